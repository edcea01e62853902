package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gptgo/gptgo/checkpoints"
	"github.com/gptgo/gptgo/model"
	"github.com/gptgo/gptgo/tokenizer"
)

// testCheckpoint saves a small random byte-level model as dir/latest.ckpt
// and returns dir.
func testCheckpoint(t *testing.T) string {
	t.Helper()
	c := model.Config{VocabSize: 257, Context: 32, Layers: 2, Heads: 2, Embd: 16, Activation: model.GELU}
	m, err := model.New(c, 3)
	if err != nil {
		t.Fatal(err)
	}
	for i := range m.P.WTE { // sharpen the predictions a little
		m.P.WTE[i] *= 20
	}
	dir := t.TempDir()
	ck := &checkpoints.Checkpoint{Config: c, Tokenizer: tokenizer.Byte{}.Spec(), Params: m.Params}
	if err := checkpoints.Save(checkpoints.Latest(dir), ck, checkpoints.SaveOptions{WeightsOnly: true}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestGenerateCommand(t *testing.T) {
	dir := testCheckpoint(t)
	args := []string{"generate", "--checkpoint", dir, "--prompt", "Hello", "--max-tokens", "20", "--seed", "5", "--ignore-eos"}
	code, a, stderr := runCmd(t, "", args...)
	if code != 0 || !strings.HasPrefix(a, "Hello") || !strings.HasSuffix(a, "\n") {
		t.Fatalf("code %d stdout %q stderr %q", code, a, stderr)
	}
	// The same seed and flags give the same bytes; the file path works too.
	args[2] = filepath.Join(dir, "latest.ckpt")
	if _, b, _ := runCmd(t, "", args...); a != b {
		t.Fatalf("same seed, different output:\n%q\n%q", a, b)
	}
	// Stop strings end the text early, without the stop string.
	gen := strings.TrimSuffix(strings.TrimPrefix(a, "Hello"), "\n")
	stop := gen[5:7]
	code, c, _ := runCmd(t, "", append(args, "--stop", stop, "--no-echo")...)
	if want := gen[:strings.Index(gen, stop)] + "\n"; code != 0 || c != want {
		t.Fatalf("--stop %q: %q, want %q", stop, c, want)
	}
	// Prompt from stdin, stats on stderr.
	code, d, stderr := runCmd(t, "Hello", "generate", "--checkpoint", dir, "--max-tokens", "20", "--seed", "5", "--ignore-eos", "--stats")
	if code != 0 || d != a || !strings.Contains(stderr, "tok/s") || !strings.Contains(stderr, "time to first token") || !strings.Contains(stderr, "seed 5") {
		t.Fatalf("stdin prompt: code %d stdout %q stderr %q", code, d, stderr)
	}
	// Greedy: temperature 0.
	code, e, _ := runCmd(t, "", "generate", "--checkpoint", dir, "--prompt", "ab", "--temperature", "0", "--max-tokens", "8", "--seed", "1")
	_, f, _ := runCmd(t, "", "generate", "--checkpoint", dir, "--prompt", "ab", "--temperature", "0", "--max-tokens", "8", "--seed", "2")
	if code != 0 || e != f {
		t.Fatalf("greedy depends on the seed: %q %q", e, f)
	}
	// --dtype quantizes on load; --stats names it and the weights' size.
	src, _ := interopCheckpoint(t, t.TempDir())
	code, _, stderr = runCmd(t, "", "generate", "--checkpoint", src, "--prompt", "ab", "--max-tokens", "4", "--dtype", "q4_0", "--stats")
	if code != 0 || !strings.Contains(stderr, "| q4_0 weights, 0.0 MB]") {
		t.Fatalf("--dtype q4_0: code %d stderr %q", code, stderr)
	}
	// Interactive: each line is a prompt.
	code, g, stderr := runCmd(t, "Hello\n\nHello\n", "generate", "--checkpoint", dir, "--interactive", "--max-tokens", "20", "--seed", "5", "--ignore-eos")
	if want := strings.Repeat(gen+"\n", 2); code != 0 || g != want {
		t.Fatalf("interactive: code %d stdout %q, want %q (stderr %q)", code, g, want, stderr)
	}
}

func TestGenerateErrors(t *testing.T) {
	dir := testCheckpoint(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--prompt", "x"}, "missing --checkpoint"},
		{[]string{"--checkpoint", filepath.Join(dir, "nope.ckpt")}, "no model at"},
		{[]string{"--checkpoint", t.TempDir()}, "without a latest.ckpt"},
		{[]string{"--checkpoint", writeFile(t, filepath.Join(t.TempDir(), "x.ckpt"), []byte("junk"))}, "x.ckpt"},
		{[]string{"--checkpoint", dir, "--prompt", strings.Repeat("a", 33)}, "longer than the model's context of 32"},
		{[]string{"--checkpoint", dir, "--top-p", "0"}, "--top-p"},
		{[]string{"--checkpoint", dir, "--temperature", "-1"}, "--temperature"},
		{[]string{"--checkpoint", dir, "--temperature", "nan"}, "--temperature NaN"},
		{[]string{"--checkpoint", dir, "--temperature", "inf"}, "--temperature +Inf"},
		{[]string{"--checkpoint", dir, "--top-p", "nan"}, "--top-p NaN"},
		{[]string{"--checkpoint", dir, "--min-p", "nan"}, "--min-p NaN"},
		{[]string{"--checkpoint", dir, "--repeat-penalty", "nan"}, "--repeat-penalty NaN"},
		{[]string{"--checkpoint", dir, "--max-tokens", "0"}, "--max-tokens"},
		{[]string{"--checkpoint", dir, "--prompt", "a", "--prompt-file", "b"}, "not both"},
		{[]string{"--checkpoint", dir, "--prompt-file", filepath.Join(dir, "missing.txt")}, "--prompt-file"},
		{[]string{"--checkpoint", dir, "--stop", ""}, "empty stop"},
		{[]string{"--checkpoint", dir, "--prompt-file", "/dev/zero"}, "/dev/zero: more than 16 MiB, the most read into memory at once"},
		{[]string{"--checkpoint", dir, "stray"}, "unexpected argument"},
		{[]string{"--checkpoint", dir, "--bogus"}, "bogus"},
		{[]string{"--checkpoint", dir, "--dtype", "int8"}, `invalid value "int8" for flag -dtype: unknown dtype`},
		{[]string{"--checkpoint", dir, "--dtype", "q8_0"}, "--dtype q8_0: model: embedding width 16 is not a multiple of 32"},
	} {
		code, _, stderr := runCmd(t, "", append([]string{"generate"}, tc.args...)...)
		wantFail(t, code, stderr, tc.want)
	}
	// Weights that diverged to NaN: a one-line error, not a panic.
	c := model.Config{VocabSize: 257, Context: 32, Layers: 1, Heads: 2, Embd: 16, Activation: model.GELU}
	m, err := model.New(c, 3)
	if err != nil {
		t.Fatal(err)
	}
	m.P.LNFW[3] = float32(math.NaN())
	bad := filepath.Join(t.TempDir(), "nan.ckpt")
	if err := checkpoints.Save(bad, &checkpoints.Checkpoint{Config: c, Tokenizer: tokenizer.Byte{}.Spec(), Params: m.Params},
		checkpoints.SaveOptions{WeightsOnly: true}); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCmd(t, "", "generate", "--checkpoint", bad, "--prompt", "x", "--max-tokens", "3")
	wantFail(t, code, stderr, "not finite")
	// A checkpoint from another format version names both versions.
	b, err := os.ReadFile(checkpoints.Latest(dir))
	if err != nil {
		t.Fatal(err)
	}
	b[8] = checkpoints.FormatVersion + 1
	other := writeFile(t, filepath.Join(t.TempDir(), "v2.ckpt"), b)
	code, _, stderr = runCmd(t, "", "generate", "--checkpoint", other, "--prompt", "x")
	wantFail(t, code, stderr, "format version", other)

	// An empty prompt is not an error: generation starts from end-of-text.
	if code, out, stderr := runCmd(t, "", "generate", "--checkpoint", dir, "--max-tokens", "3", "--ignore-eos"); code != 0 || out == "" {
		t.Fatalf("empty prompt: code %d stdout %q stderr %q", code, out, stderr)
	}
}
