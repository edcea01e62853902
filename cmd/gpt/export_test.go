package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gptgo/gptgo/bench"
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
	// An existing output needs --force; the file being read is never
	// replaced, even with it (also through a run folder or another name).
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"export", "--checkpoint", dir, "--out", f32}, "exists; pass --force"},
		{[]string{"export", "--checkpoint", checkpoints.Latest(dir), "--out", checkpoints.Latest(dir), "--force"}, "is the model being read"},
		{[]string{"export", "--checkpoint", dir, "--out", filepath.Join(dir, ".", "latest.ckpt"), "--force"}, "is the model being read"},
	} {
		stderr.Reset()
		if code := run(c.args, &stderr); code != 1 || !strings.Contains(stderr.String(), c.want) || strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want 1 and one line with %q", c.args, code, stderr.String(), c.want)
		}
	}
	if _, err := checkpoints.Load(checkpoints.Latest(dir)); err != nil {
		t.Fatalf("the input did not survive: %v", err)
	}
	if code := run([]string{"export", "--checkpoint", dir, "--out", f32, "--force"}, &stderr); code != 0 {
		t.Fatalf("export --force: exit %d: %s", code, stderr.String())
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

// gpt export --dtype q8_0 (and q4_0) writes a quantized file that
// generate and eval run as stored, exactly as --dtype quantizes the
// float32 file on load; it exports again to itself byte for byte.
func TestExportQuantized(t *testing.T) {
	dir := t.TempDir()
	src, ck := interopCheckpoint(t, dir)
	text := strings.Repeat("To be, or not to be, that is the question. ", 20)
	txt := filepath.Join(dir, "q.txt")
	if err := os.WriteFile(txt, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	greedy := func(args ...string) string {
		t.Helper()
		args = append([]string{"generate", "--prompt", "To be", "--max-tokens", "24", "--temperature", "0", "--ignore-eos"}, args...)
		code, out, stderr := runCmd(t, "", args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		return out
	}
	loss := func(args ...string) string {
		t.Helper()
		out, stderr, code := runEvalCmd(t, append([]string{"--data", txt}, args...)...)
		i, j := strings.Index(out, " on "), strings.Index(out, ", perplexity")
		if code != 0 || i < 0 || j < i {
			t.Fatalf("eval %v: exit %d, %q, %q", args, code, out, stderr)
		}
		return out[i:j]
	}
	f32Text := greedy("--checkpoint", src)
	for _, dt := range []string{"q8_0", "q4_0"} {
		q := filepath.Join(dir, dt+".ckpt")
		code, out, stderr := runCmd(t, "", "export", "--checkpoint", src, "--out", q, "--dtype", dt)
		want := fmt.Sprintf("wrote %s: weights-only %s, %d parameters,", q, dt, len(ck.Params))
		if code != 0 || !strings.HasPrefix(out, want) {
			t.Fatalf("export --dtype %s: exit %d, %q, %q; want %q", dt, code, out, stderr, want)
		}
		o, err := checkpoints.Open(q, checkpoints.OpenOptions{})
		if err != nil || o.DType.String() != dt || o.Model.Params != nil {
			t.Fatalf("%s: %v, dtype %v", q, err, o.DType)
		}
		onLoad := greedy("--checkpoint", src, "--dtype", dt)
		if got := greedy("--checkpoint", q); got != onLoad {
			t.Errorf("%s file generates %q, the f32 file with --dtype %s %q", dt, got, dt, onLoad)
		}
		if got := greedy("--checkpoint", q, "--dtype", dt); got != onLoad {
			t.Errorf("%s file with --dtype %s generates %q, want %q", dt, dt, got, onLoad)
		}
		if dt == "q4_0" && onLoad == f32Text {
			t.Errorf("q4_0 generates the float32 model's text %q: the comparison shows nothing", f32Text)
		}
		if got, want := loss("--checkpoint", q), loss("--checkpoint", src, "--dtype", dt); got != want {
			t.Errorf("%s file: eval%s, the f32 file with --dtype %s: eval%s", dt, got, dt, want)
		}
		// Exporting a quantized file as it is reproduces it.
		again := filepath.Join(dir, dt+"-again.ckpt")
		if code, _, stderr := runCmd(t, "", "export", "--checkpoint", q, "--out", again); code != 0 {
			t.Fatalf("export %s: %s", q, stderr)
		}
		if a, b := readBytes(t, q), readBytes(t, again); !bytes.Equal(a, b) {
			t.Errorf("exporting %s again wrote other bytes", q)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, "q8_0.ckpt")); err != nil || fi.Size() >= int64(4*len(ck.Params))*3/10 {
		t.Errorf("q8_0 file: %v, not under 0.3 of the %d float32 bytes", err, 4*len(ck.Params))
	}

	q8 := filepath.Join(dir, "q8_0.ckpt")
	// bench runs a quantized file in its own dtype.
	code, out, stderr := runCmd(t, "", "bench", "--checkpoint", q8, "-p", "8", "-n", "4", "--tests", "pp,tg", "-r", "1",
		"-o", "json", "--bandwidth=false")
	var reps []bench.Report
	if err := json.Unmarshal([]byte(out), &reps); code != 0 || err != nil || len(reps) != 1 || reps[0].DType != "q8_0" {
		t.Fatalf("bench --checkpoint %s: exit %d, %v, %q, %q", q8, code, err, out, stderr)
	}
	small := testCheckpoint(t)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"export", "--checkpoint", q8, "--out", filepath.Join(dir, "x.ckpt"), "--dtype", "f32"},
			"--dtype f32: " + q8 + " holds q8_0 weights; export from the float32 checkpoint"},
		{[]string{"export", "--checkpoint", q8, "--out", filepath.Join(dir, "x.ckpt"), "--bf16"}, "--dtype bf16: " + q8 + " holds q8_0 weights"},
		{[]string{"export", "--checkpoint", src, "--out", filepath.Join(dir, "x.ckpt"), "--dtype", "q4_0", "--weights-only=false"},
			"--dtype q4_0 needs --weights-only"},
		{[]string{"export", "--checkpoint", src, "--out", filepath.Join(dir, "x.ckpt"), "--dtype", "q4_0", "--bf16"}, "--bf16 and --dtype q4_0 disagree"},
		{[]string{"export", "--checkpoint", small, "--out", filepath.Join(dir, "x.ckpt"), "--dtype", "q8_0"},
			"--dtype q8_0: model: embedding width 16 is not a multiple of 32"},
		{[]string{"generate", "--checkpoint", q8, "--prompt", "a", "--dtype", "q4_0"}, "--dtype q4_0: " + q8 + " holds q8_0 weights"},
		{[]string{"eval", "--checkpoint", q8, "--data", txt, "--dtype", "f32"}, "--dtype f32: " + q8 + " holds q8_0 weights"},
		{[]string{"convert", "--from", q8, "--to", filepath.Join(dir, "x.safetensors")}, "the weights are q8_0"},
	} {
		code, _, stderr := runCmd(t, "", c.args...)
		wantFail(t, code, stderr, c.want)
		if _, err := os.Stat(filepath.Join(dir, "x.ckpt")); err == nil {
			t.Fatalf("%v wrote a file", c.args)
		}
	}
}

func readBytes(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
