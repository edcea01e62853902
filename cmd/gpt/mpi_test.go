//go:build unix

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gptgo/gptgo/checkpoints"
)

// mpiBinary builds gpt with MPI compiled in (once per test binary), or
// skips the test when this machine cannot (no mpirun, no cgo toolchain
// or no libopenmpi-dev).
func mpiBinary(t *testing.T) (gpt, mpirun string) {
	t.Helper()
	mpirun, err := exec.LookPath("mpirun")
	if err != nil {
		t.Skip("no mpirun: install openmpi-bin and libopenmpi-dev (Debian) to run the MPI tests")
	}
	if err := exec.Command("pkg-config", "--exists", "ompi-c").Run(); err != nil {
		t.Skip("pkg-config finds no ompi-c: install libopenmpi-dev (Debian) to run the MPI tests")
	}
	if mpiBuildDir == "" {
		if mpiBuildDir, err = os.MkdirTemp("", "gptgo-mpi-"); err != nil {
			t.Fatal(err)
		}
		build := exec.Command("go", "build", "-tags", "mpi", "-o", filepath.Join(mpiBuildDir, "gpt"), ".")
		build.Env = append(os.Environ(), "CGO_ENABLED=1")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("go build -tags mpi: %v\n%s", err, out)
		}
	}
	return filepath.Join(mpiBuildDir, "gpt"), mpirun
}

// mpiArgs launch n ranks on this machine over TCP (the network path, as
// between hosts), as root if need be.
func mpiArgs(n int) []string {
	return []string{"-np", strconv.Itoa(n), "--oversubscribe", "--allow-run-as-root", "--mca", "btl", "tcp,self",
		"--mca", "btl_tcp_if_include", "lo", "--mca", "oob_tcp_if_include", "lo", "-x", "GOMAXPROCS=1"}
}

// metricLosses reads the train losses of a run's metrics.jsonl.
func metricLosses(t *testing.T, dir string) []float64 {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []float64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m struct {
			Loss float64 `json:"train_loss"`
		}
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m.Loss)
	}
	return out
}

// 2 ranks x batch B train as 1 rank x batch 2B: the same losses to 1e-5
// relative over 20 steps and the same parameters to 1e-5 (the gradients
// are summed in another order, so not bit for bit), over TCP.
func TestMPITwoRanksEqualOne(t *testing.T) {
	gpt, mpirun := mpiBinary(t)
	dir := t.TempDir()
	corpus := writeFile(t, filepath.Join(dir, "corpus.txt"), []byte(strings.Repeat("it was the best of times, it was the worst of times. ", 300)))
	prep := filepath.Join(dir, "data")
	if code, _, stderr := runCmd(t, "", "prepare", "--data", corpus, "--tokenizer", "byte", "--out", prep); code != 0 {
		t.Fatalf("prepare: %s", stderr)
	}
	common := []string{"train", "--data", prep, "--layers", "2", "--heads", "2", "--embd", "32", "--context", "32",
		"--max-steps", "20", "--eval-every", "10", "--eval-batches", "2", "--warmup", "5", "--threads", "1", "--progress", "off"}
	one := filepath.Join(dir, "one")
	cmd := exec.Command(gpt, append(common, "--batch", "8", "--out", one)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("1 rank: %v\n%s", err, out)
	}
	two := filepath.Join(dir, "two")
	start := time.Now()
	cmd = exec.Command(mpirun, append(append(mpiArgs(2), gpt), append(common, "--batch", "4", "--out", two)...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("2 ranks: %v\n%s", err, out)
	}
	t.Logf("2 ranks in %s:\n%s", time.Since(start).Round(time.Millisecond), out)
	if !strings.Contains(string(out), "rank 0 of 2: data-parallel, global batch 8 = 4 per rank x 2 ranks") || strings.Count(string(out), "done: 20 steps") != 1 {
		t.Fatalf("the 2-rank run printed:\n%s", out)
	}
	a, b := metricLosses(t, one), metricLosses(t, two)
	if len(a) != 20 || len(b) != 20 {
		t.Fatalf("%d and %d metric lines, want 20", len(a), len(b))
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-5*math.Abs(a[i]) {
			t.Fatalf("step %d: loss %.9g on 1 rank, %.9g on 2", i+1, a[i], b[i])
		}
	}
	pa, err := checkpoints.Open(one, checkpoints.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pb, err := checkpoints.Open(two, checkpoints.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	worst := 0.0
	for i, v := range pa.Model.Params {
		worst = math.Max(worst, math.Abs(float64(v-pb.Model.Params[i])))
	}
	if worst > 1e-5 {
		t.Fatalf("parameters after 20 steps differ by up to %g", worst)
	}
	t.Logf("losses within 1e-5 relative; parameters differ by at most %.3g", worst)

	// ZeRO-1: the same run with AdamW's moments sharded over the ranks,
	// and a checkpoint whose moments are whole again.
	zero := filepath.Join(dir, "zero")
	out, err = exec.Command(mpirun, append(append(mpiArgs(2), gpt), append(common, "--batch", "4", "--zero", "1", "--out", zero)...)...).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "ZeRO-1: each rank keeps 1/2 of AdamW's moments") {
		t.Fatalf("2 ranks, --zero 1: %v\n%s", err, out)
	}
	c := metricLosses(t, zero)
	for i := range a {
		if math.Abs(a[i]-c[i]) > 1e-5*math.Abs(a[i]) {
			t.Fatalf("step %d: loss %.9g on 1 rank, %.9g on 2 with --zero 1", i+1, a[i], c[i])
		}
	}
	pz, err := checkpoints.Open(zero, checkpoints.OpenOptions{KeepTrain: true})
	if err != nil {
		t.Fatal(err)
	}
	pb2, err := checkpoints.Open(two, checkpoints.OpenOptions{KeepTrain: true})
	if err != nil {
		t.Fatal(err)
	}
	worst = 0
	for i, v := range pa.Model.Params {
		worst = math.Max(worst, math.Abs(float64(v-pz.Model.Params[i])))
	}
	mz, m2 := pz.Train.AdamW, pb2.Train.AdamW
	if worst > 1e-5 || len(mz.M) != len(m2.M) || mz.Step != m2.Step {
		t.Fatalf("--zero 1: parameters differ by %g; moments %d vs %d values, step %d vs %d", worst, len(mz.M), len(m2.M), mz.Step, m2.Step)
	}
	for i := range m2.M {
		if math.Abs(float64(mz.M[i]-m2.M[i])) > 1e-6 || math.Abs(float64(mz.V[i]-m2.V[i])) > 1e-7+1e-3*math.Abs(float64(m2.V[i])) {
			t.Fatalf("moment %d: m %g v %g with --zero 1, m %g v %g without", i, mz.M[i], mz.V[i], m2.M[i], m2.V[i])
		}
	}
	t.Logf("--zero 1: losses within 1e-5, parameters within %.3g, checkpointed moments whole", worst)
}

// rankPid finds the process of rank r of a job whose command line holds
// marker (Open MPI gives each rank OMPI_COMM_WORLD_RANK).
func rankPid(t *testing.T, marker string, r int) int {
	t.Helper()
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		cmdline, err1 := os.ReadFile(filepath.Join(p, "cmdline"))
		env, err2 := os.ReadFile(filepath.Join(p, "environ"))
		if err1 != nil || err2 != nil || !strings.Contains(string(cmdline), marker) || strings.Contains(string(cmdline), "mpirun") {
			continue
		}
		if strings.Contains(string(env), "OMPI_COMM_WORLD_RANK="+strconv.Itoa(r)+"\x00") {
			pid, _ := strconv.Atoi(filepath.Base(p))
			return pid
		}
	}
	return 0
}

// Killing one rank mid-run ends the whole job with an error instead of a
// hang, the last checkpoint stays whole, and it resumes on one rank,
// saying that the number of ranks changed.
func TestMPIKillRankAndResume(t *testing.T) {
	gpt, mpirun := mpiBinary(t)
	dir := t.TempDir()
	corpus := writeFile(t, filepath.Join(dir, "corpus.txt"), []byte(strings.Repeat("a stitch in time saves nine. ", 400)))
	out := filepath.Join(dir, "killed")
	args := []string{"train", "--data", corpus, "--tokenizer", "byte", "--layers", "1", "--heads", "2", "--embd", "16",
		"--context", "16", "--batch", "4", "--max-steps", "100000", "--eval-every", "5", "--eval-batches", "1",
		"--threads", "1", "--progress", "off", "--out", out}
	cmd := exec.Command(mpirun, append(append(mpiArgs(2), gpt), args...)...)
	var log strings.Builder
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for !fileExists(filepath.Join(out, "latest.ckpt")) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("no checkpoint after 60 s:\n%s", log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // some steps after the first save
	pid := rankPid(t, out, 1)
	if pid == 0 {
		cmd.Process.Kill()
		t.Fatal("rank 1 not found")
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err == nil {
			t.Fatalf("the job exited 0 after a rank was killed:\n%s", log.String())
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("the job hung after rank 1 was killed:\n%s", log.String())
	}
	t.Logf("the job after kill -9 of rank 1 (pid %d):\n%s", pid, tail(log.String(), 6))
	o, err := checkpoints.Open(out, checkpoints.OpenOptions{KeepTrain: true})
	if err != nil || o.Train == nil {
		t.Fatalf("the last checkpoint does not load: %v", err)
	}
	step := o.Train.Step
	res := exec.Command(gpt, "train", "--resume", out, "--max-steps", strconv.Itoa(step+3), "--progress", "off")
	b, err := res.CombinedOutput()
	if err != nil || !strings.Contains(string(b), "note: the run was trained on 2 ranks and resumes on 1") ||
		!strings.Contains(string(b), "done: "+strconv.Itoa(step+3)+" steps") {
		t.Fatalf("resume on 1 rank from step %d: %v\n%s", step, err, b)
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// Two hosts for real, on one machine: two network namespaces joined by a
// veth pair, mpirun in the first launching rank 1 in the second (its
// "ssh" is ip netns exec), training over that link only. Needs root and
// iproute2; skipped otherwise.
func TestMPITwoNetworkNamespaces(t *testing.T) {
	gpt, mpirun := mpiBinary(t)
	if os.Geteuid() != 0 {
		t.Skip("network namespaces need root")
	}
	ip, err := exec.LookPath("ip")
	if err != nil {
		t.Skip("no ip (iproute2) for network namespaces")
	}
	id := strconv.Itoa(os.Getpid() % 10000)
	ns := []string{"gptgo-a" + id, "gptgo-b" + id}
	addr := []string{"10.78.0.1", "10.78.0.2"}
	run := func(args ...string) error {
		out, err := exec.Command(ip, args...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	if err := run("netns", "add", ns[0]); err != nil {
		t.Skipf("cannot make network namespaces here: %v", err)
	}
	t.Cleanup(func() { _ = run("netns", "del", ns[0]); _ = run("netns", "del", ns[1]) })
	veth := []string{"gva" + id, "gvb" + id}
	for _, step := range [][]string{
		{"netns", "add", ns[1]},
		{"link", "add", veth[0], "type", "veth", "peer", "name", veth[1]},
		{"link", "set", veth[0], "netns", ns[0]}, {"link", "set", veth[1], "netns", ns[1]},
		{"-n", ns[0], "addr", "add", addr[0] + "/24", "dev", veth[0]}, {"-n", ns[1], "addr", "add", addr[1] + "/24", "dev", veth[1]},
		{"-n", ns[0], "link", "set", veth[0], "up"}, {"-n", ns[1], "link", "set", veth[1], "up"},
		{"-n", ns[0], "link", "set", "lo", "up"}, {"-n", ns[1], "link", "set", "lo", "up"},
	} {
		if err := run(step...); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	agent := writeFile(t, filepath.Join(dir, "agent.sh"), []byte("#!/bin/sh\n# mpirun's ssh: run the command in the host's namespace\n"+
		"case $1 in "+addr[0]+") ns="+ns[0]+";; "+addr[1]+") ns="+ns[1]+";; *) exit 1;; esac\nshift\nexec "+ip+" netns exec $ns sh -c \"$*\"\n"))
	if err := os.Chmod(agent, 0o755); err != nil {
		t.Fatal(err)
	}
	corpus := writeFile(t, filepath.Join(dir, "corpus.txt"), []byte(strings.Repeat("many hands make light work. ", 400)))
	prep := filepath.Join(dir, "data")
	if code, _, stderr := runCmd(t, "", "prepare", "--data", corpus, "--tokenizer", "byte", "--out", prep); code != 0 {
		t.Fatalf("prepare: %s", stderr)
	}
	common := []string{"train", "--data", prep, "--layers", "1", "--heads", "2", "--embd", "32", "--context", "32",
		"--max-steps", "10", "--eval-every", "0", "--eval-batches", "1", "--threads", "1", "--progress", "off"}
	one := filepath.Join(dir, "one")
	if out, err := exec.Command(gpt, append(common, "--batch", "8", "--out", one)...).CombinedOutput(); err != nil {
		t.Fatalf("1 rank: %v\n%s", err, out)
	}
	two := filepath.Join(dir, "two")
	args := []string{"netns", "exec", ns[0], mpirun, "-np", "2", "--host", addr[0] + ":1," + addr[1] + ":1", "--allow-run-as-root",
		"--mca", "plm_rsh_agent", agent, "--mca", "btl", "tcp,self", "--mca", "btl_tcp_if_include", "10.78.0.0/24",
		"--mca", "oob_tcp_if_include", "10.78.0.0/24", "-x", "GOMAXPROCS=1", gpt}
	out, err := exec.Command(ip, append(append(args, common...), "--batch", "4", "--out", two)...).CombinedOutput()
	if err != nil {
		t.Fatalf("2 ranks in 2 namespaces: %v\n%s", err, out)
	}
	a, b := metricLosses(t, one), metricLosses(t, two)
	if len(a) != 10 || len(b) != 10 {
		t.Fatalf("%d and %d steps\n%s", len(a), len(b), out)
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-5*math.Abs(a[i]) {
			t.Fatalf("step %d: loss %.9g on 1 rank, %.9g on 2 hosts", i+1, a[i], b[i])
		}
	}
	t.Logf("over the veth link: %s", tail(string(out), 1))
}

// Ctrl-C to mpirun (which forwards it) stops every rank after the same
// step, and rank 0 saves that step.
func TestMPIInterruptSaves(t *testing.T) {
	gpt, mpirun := mpiBinary(t)
	dir := t.TempDir()
	corpus := writeFile(t, filepath.Join(dir, "corpus.txt"), []byte(strings.Repeat("still waters run deep. ", 400)))
	out := filepath.Join(dir, "run")
	cmd := exec.Command(mpirun, append(append(mpiArgs(2), gpt), "train", "--data", corpus, "--tokenizer", "byte",
		"--layers", "1", "--heads", "2", "--embd", "16", "--context", "16", "--batch", "4", "--max-steps", "1000000",
		"--eval-every", "0", "--threads", "1", "--progress", "off", "--out", out)...)
	var log strings.Builder
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	deadline := time.Now().Add(60 * time.Second)
	for !fileExists(filepath.Join(out, "metrics.jsonl")) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("the job did not stop after Ctrl-C:\n%s", log.String())
	}
	var step int
	for _, line := range strings.Split(log.String(), "\n") {
		if n, err := fmt.Sscanf(line, "interrupted at step %d", &step); n == 1 && err == nil {
			break
		}
	}
	o, err := checkpoints.Open(out, checkpoints.OpenOptions{KeepTrain: true})
	if step == 0 || err != nil || o.Train == nil || o.Train.Step != step {
		t.Fatalf("interrupted at step %d; checkpoint %v, %v\n%s", step, o, err, log.String())
	}
	if n := len(metricLosses(t, out)); n != step {
		t.Fatalf("metrics.jsonl has %d lines, the run stopped at step %d", n, step)
	}
}
