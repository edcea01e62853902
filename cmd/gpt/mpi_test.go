package main

import (
	"bufio"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gptgo/gptgo/checkpoints"
)

// mpiBinary builds gpt with MPI compiled in, or skips the test when this
// machine cannot (no mpirun, no cgo toolchain or no libopenmpi-dev).
func mpiBinary(t *testing.T) (gpt, mpirun string) {
	t.Helper()
	mpirun, err := exec.LookPath("mpirun")
	if err != nil {
		t.Skip("no mpirun: install openmpi-bin and libopenmpi-dev (Debian) to run the MPI tests")
	}
	if err := exec.Command("pkg-config", "--exists", "ompi-c").Run(); err != nil {
		t.Skip("pkg-config finds no ompi-c: install libopenmpi-dev (Debian) to run the MPI tests")
	}
	gpt = filepath.Join(t.TempDir(), "gpt-mpi")
	build := exec.Command("go", "build", "-tags", "mpi", "-o", gpt, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build -tags mpi: %v\n%s", err, out)
	}
	return gpt, mpirun
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
}
