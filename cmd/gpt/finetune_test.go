package main

import (
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/gptgo/gptgo/checkpoints"
	"github.com/gptgo/gptgo/checkpoints/runfile"
)

// fineTuneBase trains a tiny byte-tokenized model and converts it to
// safetensors and llm.c: the three files --init must read as one model.
func fineTuneBase(t *testing.T, dir string) (corpus string, models []string) {
	t.Helper()
	corpus = writeFile(t, filepath.Join(dir, "corpus.txt"), []byte(strings.Repeat("to be, or not to be: that is the question. ", 150)))
	base := filepath.Join(dir, "base")
	code, stdout, stderr := runCmd(t, "", "train", "--data", corpus, "--tokenizer", "byte", "--layers", "1", "--heads", "2",
		"--embd", "32", "--context", "16", "--batch", "4", "--max-steps", "3", "--eval-every", "0", "--out", base)
	if code != 0 {
		t.Fatalf("train: exit %d\n%s\n%s", code, stdout, stderr)
	}
	models = []string{filepath.Join(base, "latest.ckpt"), filepath.Join(dir, "st", "model.safetensors"), filepath.Join(dir, "base.bin")}
	for _, to := range models[1:] {
		if code, stdout, stderr := runCmd(t, "", "convert", "--from", base, "--to", to); code != 0 {
			t.Fatalf("convert to %s: exit %d\n%s\n%s", to, code, stdout, stderr)
		}
	}
	return corpus, models
}

// --init from a gptgo checkpoint, a safetensors file and an llm.c file
// starts from the same weights bit for bit, so their runs are identical;
// the run starts at step 0 with a fresh optimizer, records where its
// weights came from, and --context crops the position embeddings.
func TestTrainInit(t *testing.T) {
	dir := t.TempDir()
	corpus, models := fineTuneBase(t, dir)
	want, err := checkpoints.Open(models[0], checkpoints.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var first []byte
	for i, m := range models {
		out := filepath.Join(dir, "ft"+string(rune('0'+i)))
		args := []string{"train", "--init", m, "--data", corpus, "--batch", "4", "--max-steps", "4",
			"--eval-every", "2", "--eval-batches", "1", "--warmup", "1", "--context", "12", "--dropout", "0.1", "--out", out}
		if strings.HasSuffix(m, ".bin") {
			args = append(args, "--tokenizer", "byte") // llm.c files carry none
		}
		code, stdout, stderr := runCmd(t, "", args...)
		if code != 0 {
			t.Fatalf("--init %s: exit %d\n%s\n%s", m, code, stdout, stderr)
		}
		if !strings.Contains(stdout, "fine-tuning "+m) || !strings.Contains(stdout, "from step 0") || !strings.Contains(stdout, "context 12") {
			t.Errorf("--init %s printed:\n%s", m, stdout)
		}
		metrics, err := os.ReadFile(filepath.Join(out, "metrics.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		// The step lines match except for the timings.
		if norm := stripTimings(metrics); first == nil {
			first = norm
		} else if string(norm) != string(first) {
			t.Errorf("--init %s trained differently from --init %s:\n%s\n%s", m, models[0], norm, first)
		}
		snap, _, _, err := runfile.Open(out)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(snap.Opt.Init, m) || snap.Opt.Dropout != 0.1 || snap.Model.Config.Context != 12 || snap.AdamW.Step != 4 {
			t.Errorf("--init %s: saved init %q, dropout %v, context %d, AdamW step %d", m, snap.Opt.Init, snap.Opt.Dropout, snap.Model.Config.Context, snap.AdamW.Step)
		}
	}
	// The starting weights themselves: each file opens to the checkpoint's.
	for _, m := range models[1:] {
		tok := ""
		if strings.HasSuffix(m, ".bin") {
			tok = "byte"
		}
		got, err := openModel(m, tok, false)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range got.Model.Params {
			if math.Float32bits(v) != math.Float32bits(want.Model.Params[i]) {
				t.Fatalf("%s: parameter %d is %v, the checkpoint's %v", m, i, v, want.Model.Params[i])
			}
		}
	}
}

// stripTimings drops the fields of metrics.jsonl lines that measure time.
func stripTimings(metrics []byte) []byte {
	var out []string
	for _, line := range strings.Split(string(metrics), "\n") {
		var keep []string
		for _, f := range strings.Split(line, ",") {
			if !strings.Contains(f, `"tok_per`) && !strings.Contains(f, `"elapsed`) {
				keep = append(keep, f)
			}
		}
		out = append(out, strings.Join(keep, ","))
	}
	return []byte(strings.Join(out, "\n"))
}

// Bad fine-tuning requests fail with one line naming the flag.
func TestTrainInitErrors(t *testing.T) {
	dir := t.TempDir()
	corpus, models := fineTuneBase(t, dir)
	ck := models[0]
	other := filepath.Join(dir, "other")
	if code, stdout, stderr := runCmd(t, "", "prepare", "--data", corpus, "--tokenizer", "bpe:300", "--out", other); code != 0 {
		t.Fatalf("prepare: exit %d\n%s\n%s", code, stdout, stderr)
	}
	q8 := filepath.Join(dir, "q8.ckpt")
	if code, stdout, stderr := runCmd(t, "", "export", "--checkpoint", ck, "--dtype", "q8_0", "--out", q8); code != 0 {
		t.Fatalf("export: exit %d\n%s\n%s", code, stdout, stderr)
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--init", ck, "--context", "17"}, "--context 17: the model " + ck + " has a context of 16; fine-tuning can crop it, not extend it"},
		{[]string{"--init", ck, "--embd", "64"}, "--embd 64: the model " + ck + " has 32; drop --embd when fine-tuning"},
		{[]string{"--init", ck, "--activation", "relu"}, "--activation relu: the model " + ck + " uses gelu"},
		{[]string{"--init", ck, "--preset", "tiny"}, "--preset: the shape comes from --init's model"},
		{[]string{"--init", ck, "--data", other}, "--data " + other + " was tokenized with bpe, but the model " + ck + " uses byte"},
		{[]string{"--init", ck, "--resume", ck}, "--init starts a new run and --resume continues one"},
		{[]string{"--init", filepath.Join(dir, "none.bin")}, "--init: no model at " + filepath.Join(dir, "none.bin")},
		{[]string{"--init", corpus}, "--init: " + corpus},
		{[]string{"--init", q8}, "--init " + q8 + ": the weights are q8_0, and training needs float32 ones"},
		{[]string{"--init", ck, "--dropout", "1"}, "--dropout 1: want a value in [0, 1)"},
		{[]string{"--init", ck, "--beta2", "-0.5"}, "--beta2 -0.5: want a finite value >= 0"},
		{[]string{"--data-order", "random"}, `--data-order "random": want shuffled or sequential`},
	}
	if runtime.GOOS == "linux" { // where the available memory is known
		cases = append(cases, struct {
			args []string
			want string
		}{[]string{"--init", ck, "--batch", "100000000"}, "the run needs about"})
	}
	for _, c := range cases {
		args := append([]string{"train", "--max-steps", "1", "--out", filepath.Join(dir, "bad")}, c.args...)
		if !contains(c.args, "--data") {
			args = append(args, "--data", corpus)
		}
		code, _, stderr := runCmd(t, "", args...)
		wantFail(t, code, stderr, c.want)
	}
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
