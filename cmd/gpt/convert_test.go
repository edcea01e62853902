package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gptgo/gptgo/checkpoints"
	"github.com/gptgo/gptgo/data"
	"github.com/gptgo/gptgo/model"
	"github.com/gptgo/gptgo/tokenizer"
)

// interopCheckpoint saves a resumable checkpoint of a small byte-level
// model in dir and returns its path and contents.
func interopCheckpoint(t *testing.T, dir string) (string, *checkpoints.Checkpoint) {
	t.Helper()
	c := model.Config{VocabSize: 257, Context: 32, Layers: 2, Heads: 2, Embd: 32, Activation: model.GELU}
	m, err := model.New(c, 4)
	if err != nil {
		t.Fatal(err)
	}
	for i := range m.Params { // away from GPT-2's tiny init so the loss is informative
		m.Params[i] *= 5
	}
	n := len(m.Params)
	ck := &checkpoints.Checkpoint{Config: c, Tokenizer: tokenizer.Spec{Name: "byte"}, Params: m.Params,
		Train: &checkpoints.TrainState{Step: 3, AdamW: checkpoints.AdamWState{Beta1: 0.9, Beta2: 0.95, Step: 3,
			M: make([]float32, n), V: make([]float32, n)}},
		Provenance: checkpoints.NewProvenance()}
	path := filepath.Join(dir, "run.ckpt")
	if err := checkpoints.Save(path, ck, checkpoints.SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	return path, ck
}

func captureConvert(t *testing.T) (stdout, stderr *bytes.Buffer) {
	stdout, stderr = new(bytes.Buffer), new(bytes.Buffer)
	cmdStdout, cmdStderr = stdout, stderr
	t.Cleanup(func() { cmdStdout, cmdStderr = os.Stdout, os.Stderr })
	return stdout, stderr
}

// gptgo -> safetensors -> llm.c -> gptgo keeps every parameter bit for bit.
func TestConvertRoundTrip(t *testing.T) {
	dir := t.TempDir()
	src, ck := interopCheckpoint(t, dir)
	stdout, stderr := captureConvert(t)
	var errs bytes.Buffer
	mustRun := func(args ...string) {
		t.Helper()
		errs.Reset()
		if code := run(append([]string{"convert"}, args...), &errs); code != 0 {
			t.Fatalf("convert %v: exit %d: %s", args, code, errs.String())
		}
	}
	hfDir := filepath.Join(dir, "hf")
	os.Mkdir(hfDir, 0o755)
	mustRun("--from", src, "--to", hfDir) // a folder gets model.safetensors
	if !strings.Contains(stderr.String(), "training state") || !strings.Contains(stderr.String(), "byte tokenizer is recorded in the safetensors metadata") {
		t.Errorf("stderr: %q", stderr.String())
	}
	if s := stdout.String(); !strings.Contains(s, "(gptgo checkpoint,") || !strings.Contains(s, filepath.Join(hfDir, "model.safetensors")+" (Hugging Face safetensors,") ||
		!strings.Contains(s, "2 layers, 2 heads, width 32, context 32, vocabulary 257") || !strings.Contains(s, "read ") {
		t.Errorf("stdout: %q", s)
	}
	if _, err := os.Stat(filepath.Join(hfDir, "config.json")); err != nil {
		t.Error(err)
	}
	bin := filepath.Join(dir, "m.bin")
	mustRun("--from", hfDir, "--to", bin)
	if !strings.Contains(stderr.String(), "llm.c model files carry no tokenizer: pass --tokenizer byte") {
		t.Errorf("stderr: %q", stderr.String())
	}
	out := filepath.Join(dir, "back.ckpt")
	mustRun("--from", bin, "--to", out, "--tokenizer", "byte")
	back, err := checkpoints.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if back.Config != ck.Config || back.Train != nil || back.Tokenizer.Name != "byte" {
		t.Fatalf("config %+v, train %v, tokenizer %+v", back.Config, back.Train, back.Tokenizer)
	}
	for i := range ck.Params {
		if math.Float32bits(back.Params[i]) != math.Float32bits(ck.Params[i]) {
			t.Fatalf("param %d: %g, want %g", i, back.Params[i], ck.Params[i])
		}
	}
}

func TestConvertErrors(t *testing.T) {
	dir := t.TempDir()
	src, _ := interopCheckpoint(t, dir)
	captureConvert(t)
	bin := filepath.Join(dir, "m.bin")
	if code := run([]string{"convert", "--from", src, "--to", bin}, new(bytes.Buffer)); code != 0 {
		t.Fatal("convert to llm.c failed")
	}
	junk := filepath.Join(dir, "junk.ckpt")
	os.WriteFile(junk, []byte("definitely not a model"), 0o644)
	toks := filepath.Join(dir, "toks.bin")
	if err := data.WriteTokens(toks, []int32{1, 2, 3}, 257); err != nil {
		t.Fatal(err)
	}
	hfTiny := filepath.Join("..", "..", "checkpoints", "testdata", "hf_tiny")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--to", "x.ckpt"}, "--from is required"},
		{[]string{"--from", src}, "--to is required"},
		{[]string{"--from", src, "--to", filepath.Join(dir, "x.txt")}, "unknown output format (want a .ckpt, .safetensors or .bin (llm.c) file name)"},
		{[]string{"--from", filepath.Join(dir, "nope"), "--to", "x.ckpt"}, "no model at"},
		{[]string{"--from", junk, "--to", filepath.Join(dir, "y.ckpt")}, "unknown model format"},
		{[]string{"--from", toks, "--to", filepath.Join(dir, "y.ckpt")}, "is a token file"},
		{[]string{"--from", bin, "--to", filepath.Join(dir, "y.ckpt")}, "vocabulary of 257 is not GPT-2's 50257: name the tokenizer (--tokenizer)"},
		{[]string{"--from", hfTiny, "--to", filepath.Join(dir, "y.ckpt"), "--tokenizer", "byte"}, "the tokenizer byte has 257 ids, the model only 96"},
		{[]string{"--from", src, "--to", filepath.Join(dir, "z.ckpt"), "--tokenizer", "nope"}, "unknown tokenizer"},
		{[]string{"--from", src, "--to", bin}, "exists; pass --force to replace it"},
		{[]string{"--from", bin, "--to", bin, "--force", "--tokenizer", "byte"}, "is the model being read"},
	} {
		var stderr bytes.Buffer
		code := run(append([]string{"convert"}, c.args...), &stderr)
		if code != 1 || !strings.HasPrefix(stderr.String(), "gpt convert: ") || !strings.Contains(stderr.String(), c.want) ||
			strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("%v: exit %d, %q; want 1 and one line with %q", c.args, code, stderr.String(), c.want)
		}
	}
}

// --force replaces an existing output.
func TestConvertForce(t *testing.T) {
	dir := t.TempDir()
	src, _ := interopCheckpoint(t, dir)
	captureConvert(t)
	out := filepath.Join(dir, "m.ckpt")
	if err := os.WriteFile(out, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	if code := run([]string{"convert", "--from", src, "--to", out, "--force"}, &stderr); code != 0 {
		t.Fatalf("--force: exit %d: %s", code, stderr.String())
	}
	if _, err := checkpoints.Load(out); err != nil {
		t.Fatalf("--force did not write a checkpoint: %v", err)
	}
}
