package main

import (
	"bytes"
	"github.com/gptgo/gptgo/checkpoints/runfile"
	"github.com/gptgo/gptgo/data"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// End to end: train a tiny model for a few steps with checkpoints, resume it
// for more, and generate from the result with the path train printed.
func TestTrainResumeGenerate(t *testing.T) {
	dir := t.TempDir()
	text := strings.Repeat("the quick brown fox jumps over the lazy dog. ", 200)
	corpus := writeFile(t, filepath.Join(dir, "corpus.txt"), []byte(text))
	out := filepath.Join(dir, "run")
	common := []string{"--layers", "1", "--heads", "2", "--embd", "16", "--context", "16", "--batch", "4",
		"--eval-every", "3", "--eval-batches", "2", "--warmup", "2", "--threads", "2"}
	code, stdout, stderr := runCmd(t, "", append([]string{"train", "--data", corpus, "--tokenizer", "byte",
		"--max-steps", "6", "--out", out}, common...)...)
	if code != 0 {
		t.Fatalf("train: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"model: 1 layers, 2 heads, width 16", "plan: 6 steps", "val loss", "checkpoint: " + filepath.Join(out, "latest.ckpt")} {
		if !strings.Contains(stdout, want) {
			t.Errorf("train output lacks %q:\n%s", want, stdout)
		}
	}
	code, stdout, stderr = runCmd(t, "", "train", "--resume", out, "--max-steps", "9")
	if code != 0 {
		t.Fatalf("resume: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "resuming") || !strings.Contains(stdout, "at step 6") || !strings.Contains(stdout, "done: 9 steps") {
		t.Errorf("resume output:\n%s", stdout)
	}
	metrics, err := os.ReadFile(filepath.Join(out, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(metrics, []byte("\n")); n != 9 {
		t.Errorf("metrics.jsonl has %d lines after 6 + 3 steps, want 9", n)
	}
	// A fresh run into the folder is refused, naming the way out, and
	// leaves the run as it was; --force starts over.
	before, _ := os.ReadFile(filepath.Join(out, "latest.ckpt"))
	fresh := append([]string{"train", "--data", corpus, "--tokenizer", "byte", "--max-steps", "2", "--out", out}, common...)
	code, _, stderr = runCmd(t, "", fresh...)
	wantFail(t, code, stderr, "already holds a run (latest.ckpt): continue it with --resume "+out+", replace it with --force")
	if after, _ := os.ReadFile(filepath.Join(out, "latest.ckpt")); !bytes.Equal(before, after) {
		t.Fatal("the refused run changed latest.ckpt")
	}
	// While the folder is locked (by another process, as far as flock is
	// concerned: another open file), even --resume is refused.
	unlock, err := runfile.Lock(out)
	if err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCmd(t, "", "train", "--resume", out, "--max-steps", "10")
	wantFail(t, code, stderr, "is in use by another gpt train (pid "+strconv.Itoa(os.Getpid())+")")
	unlock()
	code, stdout, stderr = runCmd(t, "", "generate", "--checkpoint", filepath.Join(out, "latest.ckpt"),
		"--prompt", "the quick", "--max-tokens", "20", "--seed", "1", "--temperature", "0")
	if code != 0 {
		t.Fatalf("generate: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.HasPrefix(stdout, "the quick") || len(stdout) < len("the quick")+5 {
		t.Errorf("generate printed %q", stdout)
	}
	code, stdout, stderr = runCmd(t, "", append(fresh, "--force")...)
	if code != 0 || !strings.Contains(stdout, "done: 2 steps") {
		t.Fatalf("--force: exit %d\n%s\n%s", code, stdout, stderr)
	}
}

// --epochs alone decides the number of steps: 2 epochs of a corpus with
// 49 windows of 17 tokens at batch 4 are 2*12 = 24 steps.
func TestTrainEpochs(t *testing.T) {
	dir := t.TempDir()
	corpus := writeFile(t, filepath.Join(dir, "c.txt"), []byte(strings.Repeat("abcdefgh", 105))) // 840 bytes
	code, stdout, stderr := runCmd(t, "", "train", "--data", corpus, "--tokenizer", "byte", "--val-fraction", "0",
		"--layers", "1", "--heads", "1", "--embd", "8", "--context", "17", "--batch", "4", "--epochs", "2",
		"--eval-every", "0", "--out", filepath.Join(dir, "run"))
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "12 iterations per epoch") || !strings.Contains(stdout, "plan: 24 steps (2.00 epochs)") {
		t.Errorf("plan does not follow --epochs:\n%s", stdout)
	}
}

func TestTrainBadInput(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := runCmd(t, "", "train", "--data", filepath.Join(dir, "missing.txt"), "--out", filepath.Join(dir, "o"))
	wantFail(t, code, stderr, "missing.txt")
	tiny := writeFile(t, filepath.Join(dir, "tiny.txt"), []byte("just a few words here"))
	code, _, stderr = runCmd(t, "", "train", "--data", tiny, "--tokenizer", "byte", "--context", "64", "--out", filepath.Join(dir, "o"))
	wantFail(t, code, stderr, "tokens", "context")
	code, _, stderr = runCmd(t, "", "train", "--resume", filepath.Join(dir, "nothing"))
	wantFail(t, code, stderr, "--resume")
	code, _, stderr = runCmd(t, "", "train", "--data", tiny, "--heads", "3", "--embd", "16", "--tokenizer", "byte", "--context", "4", "--out", filepath.Join(dir, "o"))
	wantFail(t, code, stderr, "3 heads do not divide embedding width 16")
	code, _, stderr = runCmd(t, "", "train", "--threads", "-1")
	wantFail(t, code, stderr, "--threads")
	// A token outside the vocabulary in train.bin is found before the first
	// step, naming the file and where.
	prep := filepath.Join(dir, "prep")
	text := writeFile(t, filepath.Join(dir, "t.txt"), []byte(strings.Repeat("some text to learn from. ", 100)))
	if code, _, stderr := runCmd(t, "", "prepare", "--data", text, "--tokenizer", "byte", "--out", prep); code != 0 {
		t.Fatalf("prepare: %s", stderr)
	}
	ids := make([]int32, 600)
	ids[500] = 300
	if err := data.WriteTokens(filepath.Join(prep, data.TrainFile), ids, 50257); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCmd(t, "", "train", "--data", prep, "--context", "16", "--out", filepath.Join(dir, "bad"))
	wantFail(t, code, stderr, "train.bin: token 500 (byte offset 2024) is id 300, outside the vocabulary of 257")
	// A model that cannot fit in memory is refused before it is allocated
	// (on Linux, where the available memory is known).
	if runtime.GOOS == "linux" {
		code, _, stderr = runCmd(t, "", "train", "--data", prep, "--context", "100000000", "--out", filepath.Join(dir, "huge"))
		wantFail(t, code, stderr, "the run needs about", "GB is available: lower --batch or --context")
	}
	// Every numeric flag is checked before anything runs: sign, range, NaN.
	for _, c := range [][]string{
		{"--lr", "-1", "--lr -1: want a finite value > 0"}, {"--lr", "nan", "--lr NaN"}, {"--lr", "0", "--lr 0"},
		{"--min-lr", "inf", "--min-lr +Inf"}, {"--epochs", "-1", "--epochs -1"}, {"--grad-clip", "-1", "--grad-clip -1"},
		{"--weight-decay", "nan", "--weight-decay NaN"}, {"--val-fraction", "1", "--val-fraction 1: want a value in [0, 1)"},
		{"--max-steps", "-5", "--max-steps -5: want 0 or more"}, {"--warmup", "-10", "--warmup -10"},
		{"--grad-accum", "0", "--grad-accum 0: want 1 or more"}, {"--eval-batches", "-1", "--eval-batches -1"},
		{"--save-every", "-1", "--save-every -1"}, {"--eval-every", "-2", "--eval-every -2"}, {"--sample-every", "-1", "--sample-every -1"},
		{"--batch", "0", "--batch 0"}, {"--layers", "0", "--layers 0"}, {"--context", "-4", "--context -4"},
	} {
		code, _, stderr = runCmd(t, "", "train", c[0], c[1], "--out", filepath.Join(dir, "o"))
		wantFail(t, code, stderr, c[2])
	}
	// --resume takes its options from the run: others are named, not ignored.
	code, _, stderr = runCmd(t, "", "train", "--resume", filepath.Join(dir, "o"), "--lr", "1e-3", "--batch", "8", "--max-steps", "10")
	wantFail(t, code, stderr, "drop --batch, --lr (only --max-steps or --epochs may extend it)")
	// A flag error is one line pointing at -h, not the whole usage.
	code, _, stderr = runCmd(t, "", "train", "--bogus")
	wantFail(t, code, stderr, "flag provided but not defined: -bogus (see 'gpt train -h')")
	if strings.Count(stderr, "\n") != 1 {
		t.Errorf("a flag error printed %d lines:\n%s", strings.Count(stderr, "\n"), stderr)
	}
}
