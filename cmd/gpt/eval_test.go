package main

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/gptgo/gptgo/checkpoints"
	"github.com/gptgo/gptgo/data"
	"github.com/gptgo/gptgo/kernels"
	"github.com/gptgo/gptgo/model"
	"github.com/gptgo/gptgo/tokenizer"
	"github.com/gptgo/gptgo/train"
)

func runEvalCmd(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmdStdout, cmdStderr = &stdout, &stderr
	defer func() { cmdStdout, cmdStderr = os.Stdout, os.Stderr }()
	code := run(append([]string{"eval"}, args...), &stderr)
	return stdout.String(), stderr.String(), code
}

func TestEval(t *testing.T) {
	dir := t.TempDir()
	src, ck := interopCheckpoint(t, dir)
	text := strings.Repeat("To be, or not to be, that is the question. ", 40) // 1760 bytes
	txt := filepath.Join(dir, "q.txt")
	os.WriteFile(txt, []byte(text), 0o644)
	ids := tokenizer.Byte{}.Encode(text)
	toks := make([]int32, len(ids))
	for i, id := range ids {
		toks[i] = int32(id)
	}
	m, err := ck.Model()
	if err != nil {
		t.Fatal(err)
	}
	// The same number train.Evaluate gives: 4x32 windows in order.
	want, _, err := train.Evaluate(m, data.Slice{Label: "q", IDs: toks}, 4, 32, 1000, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := evaluate(m, data.Slice{Label: "q", IDs: toks}, 4, 32, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Loss != want || r.Batches != 13 || r.Tokens != 13*4*32 {
		t.Fatalf("evaluate %+v, train.Evaluate %v", r, want)
	}
	line := fmt.Sprintf("%d tokens (13 batches of 4x32), loss %.4f, perplexity %.2f", 13*4*32, want, math.Exp(want))

	// A text file, a token file and a prepared folder give the same line;
	// the model may be any format.
	prep := filepath.Join(dir, "prep")
	os.Mkdir(prep, 0o755)
	if err := data.WriteTokens(filepath.Join(prep, "val.bin"), toks, 257); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(prep, "tokenizer.json"), []byte(`{"name":"byte"}`), 0o644)
	st := filepath.Join(dir, "model.safetensors")
	if err := checkpoints.ExportHF(st, ck); err != nil {
		t.Fatal(err)
	}
	for _, c := range [][]string{
		{"--checkpoint", src, "--data", txt},
		{"--checkpoint", st, "--data", filepath.Join(prep, "val.bin")},
		{"--checkpoint", src, "--data", prep, "--threads", "1"},
	} {
		out, errOut, code := runEvalCmd(t, c...)
		if code != 0 || !strings.Contains(out, line) || !strings.HasSuffix(out, " tok/s\n") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want %q", c, code, out, errOut, line)
		}
	}
	// --max-batches and --context.
	want2, _, _ := train.Evaluate(m, data.Slice{Label: "q", IDs: toks}, 2, 16, 5, nil)
	out, _, code := runEvalCmd(t, "--checkpoint", src, "--data", txt, "--batch", "2", "--context", "16", "--max-batches", "5")
	if line := fmt.Sprintf("160 tokens (5 batches of 2x16), loss %.4f", want2); code != 0 || !strings.Contains(out, line) {
		t.Errorf("max-batches: %q, want %q", out, line)
	}
	// --dtype: the loss of the model quantized in memory.
	for _, dt := range []kernels.DType{kernels.BF16, kernels.Q8_0, kernels.Q4_0} {
		q, _ := ck.Model()
		q, _ = model.FromParams(q.Config, slices.Clone(q.Params))
		if err := q.Quantize(dt); err != nil {
			t.Fatal(err)
		}
		wantQ, _, _ := train.Evaluate(q, data.Slice{Label: "q", IDs: toks}, 4, 32, 1000, nil)
		out, _, code := runEvalCmd(t, "--checkpoint", src, "--data", txt, "--dtype", dt.String())
		line := fmt.Sprintf("(%v) on %s: %d tokens (13 batches of 4x32), loss %.4f,", dt, txt, 13*4*32, wantQ)
		if code != 0 || !strings.Contains(out, line) || wantQ == want {
			t.Errorf("--dtype %v: exit %d, %q, want %q (f32 loss %.4f)", dt, code, out, line, want)
		}
	}
	// Text shorter than one batch of the model's context: the window shrinks.
	short := filepath.Join(dir, "short.txt")
	os.WriteFile(short, []byte("hello there"), 0o644)
	out, _, code = runEvalCmd(t, "--checkpoint", src, "--data", short)
	if code != 0 || !strings.Contains(out, "10 tokens (1 batches of 1x10)") {
		t.Errorf("short text: exit %d, %q", code, out)
	}

	// Errors.
	os.WriteFile(filepath.Join(dir, "bin.dat"), []byte{0, 1, 2, 0xff, 0xfe, 0, 0, 0}, 0o644)
	other := filepath.Join(dir, "other")
	os.Mkdir(other, 0o755)
	data.WriteTokens(filepath.Join(other, "val.bin"), toks, 257)
	os.WriteFile(filepath.Join(other, "tokenizer.json"), []byte(`{"name":"gpt2"}`), 0o644)
	outside := filepath.Join(dir, "outside.bin")
	data.WriteTokens(outside, []int32{1, 2, 300, 4}, 50257)
	nanCk := *ck
	nanCk.Params = slices.Clone(ck.Params)
	nanCk.Params[len(nanCk.Params)-1] = float32(math.NaN())
	nanPath := filepath.Join(dir, "nan.ckpt")
	if err := checkpoints.Save(nanPath, &nanCk, checkpoints.SaveOptions{WeightsOnly: true}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--checkpoint", src, "--data", outside}, "outside.bin: token 2 (byte offset 1028) is id 300, outside the vocabulary of 257"},
		{[]string{"--checkpoint", nanPath, "--data", txt}, "the loss is NaN: the model's output is not finite"},
		{[]string{"--data", txt}, "--checkpoint is required"},
		{[]string{"--checkpoint", src}, "--data is required"},
		{[]string{"--checkpoint", src, "--data", txt, "--context", "64"}, "--context 64 exceeds the model's context 32"},
		{[]string{"--checkpoint", src, "--data", txt, "--batch", "0"}, "--batch 0: want at least 1"},
		{[]string{"--checkpoint", src, "--data", filepath.Join(dir, "nope")}, "no such file or folder"},
		{[]string{"--checkpoint", src, "--data", dir}, "a folder without a val.bin"},
		{[]string{"--checkpoint", src, "--data", other}, "is tokenized with gpt2, the model uses byte"},
		{[]string{"--checkpoint", src, "--data", filepath.Join(dir, "bin.dat")}, "neither a token file nor text"},
		{[]string{"--checkpoint", src, "--data", txt, "--batch", "100", "--context", "32"}, "fewer than batch size 100"},
		{[]string{"--checkpoint", txt, "--data", txt}, "unknown model format"},
		{[]string{"--checkpoint", src, "--data", txt, "--dtype", "q5_1"}, `invalid value "q5_1" for flag -dtype`},
	} {
		out, errOut, code := runEvalCmd(t, c.args...)
		if code != 1 || out != "" || !strings.HasPrefix(errOut, "gpt eval: ") || !strings.Contains(errOut, c.want) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want 1 and one line with %q", c.args, code, errOut, c.want)
		}
	}
	if runtime.GOOS == "linux" { // where the available memory is known
		_, errOut, code := runEvalCmd(t, "--checkpoint", src, "--data", txt, "--batch", "100000000", "--context", "32")
		wantFail(t, code, errOut, "GB of activations and", "GB is available: lower --batch or --context")
	}
}
