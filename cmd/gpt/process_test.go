package main

import (
	"bufio"
	"io"
	"math/rand/v2"
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

// The test binary doubles as gpt: with GPTGO_AS_GPT=1 it runs the command
// line as main would, so the tests below can start real processes, kill
// them and race them.
// mpiBuildDir holds the gpt that mpi_test.go builds with -tags mpi;
// TestMain removes it.
var mpiBuildDir string

func TestMain(m *testing.M) {
	if os.Getenv("GPTGO_AS_GPT") == "1" {
		os.Exit(run(os.Args[1:], os.Stderr))
	}
	code := m.Run()
	if mpiBuildDir != "" {
		os.RemoveAll(mpiBuildDir)
	}
	os.Exit(code)
}

// gpt returns a command that runs gpt with args in a process of its own.
func gpt(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "GPTGO_AS_GPT=1")
	return cmd
}

// prepared returns a gpt prepare folder of a small byte-level corpus.
func prepared(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	text := writeFile(t, filepath.Join(dir, "c.txt"), []byte(strings.Repeat("a small corpus for killing runs. ", 300)))
	if out, err := gpt("prepare", "--data", text, "--tokenizer", "byte", "--out", filepath.Join(dir, "prep")).CombinedOutput(); err != nil {
		t.Fatalf("prepare: %v\n%s", err, out)
	}
	return filepath.Join(dir, "prep")
}

// trainArgs is a tiny model that saves at every step.
func trainArgs(prep, out string, more ...string) []string {
	return append([]string{"train", "--data", prep, "--out", out, "--layers", "1", "--heads", "2", "--embd", "16",
		"--context", "16", "--batch", "4", "--eval-every", "1", "--eval-batches", "1", "--warmup", "2",
		"--threads", "1", "--progress", "off"}, more...)
}

// startUntil starts cmd and returns once its stdout printed a line
// containing want.
func startUntil(t *testing.T, cmd *exec.Cmd, want string) {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	seen := make(chan bool)
	go func() {
		sc := bufio.NewScanner(out)
		found := false
		for sc.Scan() {
			if !found && strings.Contains(sc.Text(), want) {
				found = true
				seen <- true
			}
		}
		if !found {
			close(seen)
		}
		io.Copy(io.Discard, out)
	}()
	select {
	case ok := <-seen:
		if !ok {
			t.Fatalf("%v ended without printing %q", cmd.Args, want)
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("%v did not print %q in 60 s", cmd.Args, want)
	}
}

// A second gpt train on a folder in use fails at once, naming the first
// one's pid, and the first goes on.
func TestTwoWritersRealProcesses(t *testing.T) {
	prep, out := prepared(t), filepath.Join(t.TempDir(), "run")
	first := gpt(trainArgs(prep, out, "--max-steps", "100000")...)
	startUntil(t, first, "plan:")
	defer first.Process.Kill()
	start := time.Now()
	second := gpt(trainArgs(prep, out, "--force")...) // --force: past the "holds a run" check
	timer := time.AfterFunc(20*time.Second, func() { second.Process.Kill() })
	b, err := second.CombinedOutput()
	timer.Stop()
	want := "is in use by another gpt train (pid " + strconv.Itoa(first.Process.Pid) + ")"
	if err == nil || !strings.Contains(string(b), want) {
		t.Fatalf("second writer: %v after %v\n%s", err, time.Since(start), b)
	}
	if err := first.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatalf("the first run is gone: %v", err)
	}
}

// kill -9 at random moments of a run that saves at every step: every
// time, latest.ckpt loads and the run resumes from it, and the temp files
// the kills leave are removed by the next start.
func TestKillDuringSaveRealProcesses(t *testing.T) {
	prep, out := prepared(t), filepath.Join(t.TempDir(), "run")
	rng := rand.New(rand.NewPCG(1, 2))
	resumable := false // a kill may land before the first save: start afresh then
	for trial := range 6 {
		args := trainArgs(prep, out, "--max-steps", "100000", "--force")
		if resumable {
			args = []string{"train", "--resume", out, "--max-steps", "100000", "--progress", "off"}
		}
		cmd := gpt(args...)
		startUntil(t, cmd, "plan:")
		time.Sleep(time.Duration(50+rng.IntN(400)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		if _, err := os.Stat(checkpoints.Latest(out)); err != nil {
			if !resumable {
				continue // killed before the first save: nothing to check yet
			}
			t.Fatalf("trial %d: latest.ckpt is gone: %v", trial, err)
		}
		resumable = true
		ck, err := checkpoints.Load(checkpoints.Latest(out))
		if err != nil || ck.Train == nil {
			t.Fatalf("trial %d: latest.ckpt does not load as a resumable checkpoint: %v", trial, err)
		}
	}
	// One more start removes whatever temp files the kills left, and says so.
	b, _ := gpt("train", "--resume", out, "--max-steps", "1", "--progress", "off").CombinedOutput()
	if m, _ := filepath.Glob(filepath.Join(out, ".*.tmp-*")); len(m) > 0 {
		t.Fatalf("temp files left after a new start: %v\n%s", m, b)
	}
}
