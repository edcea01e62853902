//go:build unix

package runfile

import (
	"bufio"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// A second Lock of a run folder fails at once, naming the holder's pid,
// whether the holder is this process (another open file) or another one;
// the lock goes with the holder: unlocked, or killed.
func TestLock(t *testing.T) {
	if dir := os.Getenv("GPTGO_LOCK_HELPER"); dir != "" { // the other process
		if _, err := Lock(dir); err != nil {
			os.Exit(3)
		}
		os.Stdout.WriteString("locked\n")
		select {} // until killed
	}
	dir := t.TempDir()
	unlock, err := Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Lock(dir); err == nil || !strings.Contains(err.Error(), "in use by another gpt train (pid "+strconv.Itoa(os.Getpid())+")") {
		t.Fatalf("second lock in this process: %v", err)
	}
	unlock()

	cmd := exec.Command(os.Args[0], "-test.run=^TestLock$")
	cmd.Env = append(os.Environ(), "GPTGO_LOCK_HELPER="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	if line, _ := bufio.NewReader(out).ReadString('\n'); line != "locked\n" {
		t.Fatalf("helper said %q", line)
	}
	if _, err := Lock(dir); err == nil || !strings.Contains(err.Error(), "(pid "+strconv.Itoa(cmd.Process.Pid)+")") {
		t.Fatalf("lock held by pid %d: %v", cmd.Process.Pid, err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	unlock, err = Lock(dir) // the kernel released the killed holder's lock
	if err != nil {
		t.Fatalf("after the holder died: %v", err)
	}
	unlock()
}

// Existing finds any file of a run: a fresh run there would replace it.
func TestExisting(t *testing.T) {
	dir := t.TempDir()
	if got := Existing(dir); got != "" {
		t.Fatalf("empty folder: %q", got)
	}
	for _, name := range []string{"step-000010.ckpt", "metrics.jsonl", "best.ckpt", "latest.ckpt"} {
		p := dir + "/" + name
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if got := Existing(dir); got != p {
			t.Fatalf("with %s: %q", name, got)
		}
	}
}

// RemoveTemp deletes what a killed save leaves, and nothing else.
func TestRemoveTemp(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{".latest.ckpt.tmp-123", ".best.ckpt.tmp-9", "loss.png.tmp.png", "latest.ckpt", "metrics.jsonl", "notes.tmp-1"} {
		if err := os.WriteFile(dir+"/"+name, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	removed, err := RemoveTemp(dir)
	if err != nil || strings.Join(removed, ",") != ".best.ckpt.tmp-9,.latest.ckpt.tmp-123,loss.png.tmp.png" {
		t.Fatalf("removed %v, %v", removed, err)
	}
	left, _ := os.ReadDir(dir)
	var names []string
	for _, e := range left {
		names = append(names, e.Name())
	}
	if strings.Join(names, ",") != "latest.ckpt,metrics.jsonl,notes.tmp-1" {
		t.Fatalf("left %v", names)
	}
}
