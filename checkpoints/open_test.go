package checkpoints

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gptgo/gptgo/model"
	"github.com/gptgo/gptgo/tokenizer"
)

func TestOpenEveryFormat(t *testing.T) {
	dir := t.TempDir()
	c := model.Config{VocabSize: 257, Context: 8, Layers: 1, Heads: 2, Embd: 8, Activation: model.GELU}
	m, err := model.New(c, 1)
	if err != nil {
		t.Fatal(err)
	}
	n := len(m.Params)
	ck := &Checkpoint{Config: c, Tokenizer: tokenizer.Byte{}.Spec(), Params: m.Params,
		Train: &TrainState{Step: 2, AdamW: AdamWState{M: make([]float32, n), V: make([]float32, n)}}}
	if err := Save(Latest(dir), ck, SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	st, bin := filepath.Join(dir, "m.safetensors"), filepath.Join(dir, "m.bin")
	if err := Export(st, ck, FormatSafetensors); err != nil {
		t.Fatal(err)
	}
	if err := Export(bin, ck, FormatLlmc); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path   string
		opt    OpenOptions
		format Format
	}{
		{dir, OpenOptions{KeepTrain: true}, FormatGptgo},
		{Latest(dir), OpenOptions{}, FormatGptgo},
		{st, OpenOptions{}, FormatSafetensors},
		{bin, OpenOptions{Tokenizer: tokenizer.Byte{}}, FormatLlmc},
	} {
		o, err := Open(tc.path, tc.opt)
		if err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		if o.Format != tc.format || o.Model.Config != c || o.Tokenizer.Spec().Name != "byte" {
			t.Fatalf("%s: format %s, config %+v, tokenizer %s", tc.path, o.Format, o.Model.Config, o.Tokenizer.Spec().Name)
		}
		if (o.Train != nil) != tc.opt.KeepTrain || (o.Train != nil && o.Train.Step != 2) {
			t.Fatalf("%s: training state %+v with KeepTrain %v", tc.path, o.Train, tc.opt.KeepTrain)
		}
		for i := range m.Params {
			if math.Float32bits(o.Model.Params[i]) != math.Float32bits(m.Params[i]) {
				t.Fatalf("%s: parameter %d is %v, want %v", tc.path, i, o.Model.Params[i], m.Params[i])
			}
		}
		if back := o.Checkpoint(); back.Tokenizer.Name != "byte" || len(back.Params) != n {
			t.Fatalf("%s: Checkpoint() %+v", tc.path, back.Tokenizer)
		}
	}
	for _, tc := range []struct {
		path string
		opt  OpenOptions
		want string
	}{
		{filepath.Join(dir, "nope"), OpenOptions{}, "no model at"},
		{t.TempDir(), OpenOptions{}, "without a latest.ckpt or a model.safetensors"},
		{bin, OpenOptions{}, "name the tokenizer"},
		{Latest(dir), OpenOptions{Tokenizer: mustTokenizer(t, "gpt2")}, "has 50257 ids, the model only 257"},
	} {
		_, err := Open(tc.path, tc.opt)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error %v, want one line with %q", tc.path, err, tc.want)
		}
	}
}

func mustTokenizer(t *testing.T, name string) tokenizer.Tokenizer {
	t.Helper()
	tok, err := tokenizer.New(name)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
