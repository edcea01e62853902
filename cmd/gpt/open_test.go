package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every command reads every model format: the same model as a .ckpt, as
// model.safetensors (file and folder) and as an llm.c .bin (which carries
// no tokenizer, so --tokenizer names it) generates the same greedy text.
func TestGenerateFromEveryFormat(t *testing.T) {
	dir := testCheckpoint(t)
	hf := filepath.Join(t.TempDir(), "hf")
	st := filepath.Join(hf, "model.safetensors")
	bin := filepath.Join(t.TempDir(), "model.bin")
	if err := os.Mkdir(hf, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, to := range []string{st, bin} {
		if code, _, stderr := runCmd(t, "", "convert", "--from", dir, "--to", to); code != 0 {
			t.Fatalf("convert to %s: %s", to, stderr)
		}
	}
	gen := func(args ...string) string {
		t.Helper()
		args = append([]string{"generate", "--prompt", "ab", "--max-tokens", "12", "--temperature", "0", "--ignore-eos"}, args...)
		code, out, stderr := runCmd(t, "", args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		return out
	}
	want := gen("--checkpoint", dir)
	if !strings.HasPrefix(want, "ab") || len(want) < 8 {
		t.Fatalf("generate from .ckpt printed %q", want)
	}
	for _, args := range [][]string{
		{"--checkpoint", st},
		{"--checkpoint", hf},
		{"--checkpoint", bin, "--tokenizer", "byte"},
	} {
		if got := gen(args...); got != want {
			t.Errorf("%v: %q, the .ckpt gives %q", args, got, want)
		}
	}
	// Without --tokenizer the llm.c file's vocabulary of 257 names no tokenizer.
	code, _, stderr := runCmd(t, "", "generate", "--checkpoint", bin, "--prompt", "x")
	wantFail(t, code, stderr, "--tokenizer")
}
