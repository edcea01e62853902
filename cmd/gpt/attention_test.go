package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gptgo/gptgo/checkpoints"
	"github.com/gptgo/gptgo/internal/report"
)

// gpt attention draws the model's own attention probabilities: its PNG is
// byte for byte the picture of AttentionProbs after a forward pass of the
// prompt, for the grid and for one head; bad requests are one line.
func TestAttentionCommand(t *testing.T) {
	dir := t.TempDir()
	_, models := fineTuneBase(t, dir) // 1 layer, 2 heads, context 16, byte tokenizer
	ck := models[0]
	prompt := "to be, or not"
	o, err := checkpoints.Open(ck, checkpoints.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ids := o.Tokenizer.Encode(prompt)
	T := len(ids)
	if _, err := o.Model.Forward(toInt32(ids), nil, 1, T); err != nil {
		t.Fatal(err)
	}
	att, _ := o.Model.AttentionProbs(0)
	labels := make([]string, T)
	for i, id := range ids {
		labels[i] = o.Tokenizer.Decode([]int{id})
	}
	for _, c := range []struct {
		args []string
		maps []report.AttentionMap
	}{
		{nil, []report.AttentionMap{{Title: "layer 0 head 0", P: att[:T*T]}, {Title: "layer 0 head 1", P: att[T*T : 2*T*T]}}},
		{[]string{"--layer", "0", "--head", "1"}, []report.AttentionMap{{Title: "layer 0 head 1", P: att[T*T : 2*T*T]}}},
	} {
		out := filepath.Join(dir, "got.png")
		code, stdout, stderr := runCmd(t, "", append([]string{"attention", "--checkpoint", ck, "--prompt", prompt, "--out", out}, c.args...)...)
		if code != 0 || !strings.Contains(stdout, "of 13 x 13 tokens") {
			t.Fatalf("exit %d: %s %s", code, stdout, stderr)
		}
		want := filepath.Join(dir, "want.png")
		if err := report.AttentionPNG(want, c.maps, len(c.maps), T, labels); err != nil {
			t.Fatal(err)
		}
		a, _ := os.ReadFile(out)
		b, _ := os.ReadFile(want)
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Fatalf("%v: the command's PNG (%d bytes) is not the picture of the model's probabilities (%d bytes)", c.args, len(a), len(b))
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--prompt", strings.Repeat("x", 17)}, "--prompt: 17 tokens, and the model's context is 16"},
		{[]string{"--prompt", "ab", "--layer", "1", "--head", "0"}, "--layer 1 --head 0: the model has layers 0..0 and heads 0..1"},
		{[]string{"--prompt", "ab", "--layer", "0"}, "--layer and --head go together"},
		{[]string{}, "--checkpoint and --prompt are required"},
	} {
		code, _, stderr := runCmd(t, "", append([]string{"attention", "--checkpoint", ck, "--out", filepath.Join(dir, "x.png")}, c.args...)...)
		wantFail(t, code, stderr, c.want)
	}
}
