package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gptgo/gptgo/checkpoints"
	"github.com/gptgo/gptgo/model"
	"github.com/gptgo/gptgo/tokenizer"
)

func TestExport(t *testing.T) {
	c := model.Config{VocabSize: 257, Context: 32, Layers: 2, Heads: 2, Embd: 64, Activation: model.GELU}
	m, err := model.New(c, 3)
	if err != nil {
		t.Fatal(err)
	}
	n := len(m.Params)
	ck := &checkpoints.Checkpoint{Config: c, Tokenizer: tokenizer.Spec{Name: "byte"}, Params: m.Params,
		Train: &checkpoints.TrainState{Step: 10, BestValLoss: 2.5,
			AdamW: checkpoints.AdamWState{Beta1: 0.9, Beta2: 0.95, Eps: 1e-8, WeightDecay: 0.1, Step: 10,
				M: make([]float32, n), V: make([]float32, n)}},
		Provenance: checkpoints.NewProvenance()}
	dir := t.TempDir()
	if err := checkpoints.Save(checkpoints.Latest(dir), ck, checkpoints.SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	var stdout bytes.Buffer
	cmdStdout = &stdout
	defer func() { cmdStdout = os.Stdout }()

	f32, b16 := filepath.Join(dir, "w.ckpt"), filepath.Join(dir, "w16.ckpt")
	var stderr bytes.Buffer
	// A run folder resolves to its latest.ckpt.
	if code := run([]string{"export", "--checkpoint", dir, "--out", f32}, &stderr); code != 0 {
		t.Fatalf("export: exit %d: %s", code, stderr.String())
	}
	if code := run([]string{"export", "--checkpoint", checkpoints.Latest(dir), "--out", b16, "--bf16"}, &stderr); code != 0 {
		t.Fatalf("export --bf16: exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "wrote "+b16+": weights-only bfloat16") {
		t.Errorf("stdout: %q", stdout.String())
	}
	w, err := checkpoints.Load(f32)
	if err != nil {
		t.Fatal(err)
	}
	if w.Train != nil || w.Config != c {
		t.Fatalf("export wrote train state %v, config %+v", w.Train, w.Config)
	}
	for i := range w.Params {
		if w.Params[i] != ck.Params[i] {
			t.Fatalf("param %d: %g, want %g", i, w.Params[i], ck.Params[i])
		}
	}
	h, err := checkpoints.Load(b16)
	if err != nil {
		t.Fatal(err)
	}
	for i := range h.Params {
		if d := math.Abs(float64(h.Params[i] - ck.Params[i])); d > math.Abs(float64(ck.Params[i]))/256 {
			t.Fatalf("bf16 param %d: %g, want %g", i, h.Params[i], ck.Params[i])
		}
	}
	if _, err := h.Model(); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"export", "--out", f32}, "--checkpoint is required"},
		{[]string{"export", "--checkpoint", dir}, "--out is required"},
		{[]string{"export", "--checkpoint", filepath.Join(dir, "nope"), "--out", f32}, "no model at"},
		{[]string{"export", "--checkpoint", t.TempDir(), "--out", f32}, "without a latest.ckpt"},
		{[]string{"export", "--checkpoint", checkpoints.Latest(dir), "--out", f32, "--bf16", "--weights-only=false"}, "--bf16 needs --weights-only"},
	} {
		stderr.Reset()
		if code := run(c.args, &stderr); code != 1 || !strings.HasPrefix(stderr.String(), "gpt export: ") ||
			!strings.Contains(stderr.String(), c.want) || strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want 1 and one line with %q", c.args, code, stderr.String(), c.want)
		}
	}
	// A file that is not a checkpoint.
	junk := filepath.Join(dir, "junk.ckpt")
	if err := os.WriteFile(junk, []byte("not a checkpoint"), 0o644); err != nil {
		t.Fatal(err)
	}
	stderr.Reset()
	if code := run([]string{"export", "--checkpoint", junk, "--out", f32}, &stderr); code != 1 ||
		!strings.Contains(stderr.String(), "not a gptgo checkpoint") {
		t.Errorf("junk input: exit %d, %q", code, stderr.String())
	}
}
