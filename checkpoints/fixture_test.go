package checkpoints

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/gptgo/gptgo/model"
)

// v1Config is the model of testdata/v1, files written by gptgo before
// quantized checkpoints existed (commit 48753dc): model.New(v1Config, 5),
// saved resumable (AdamW moments m[i] = 1e-3 sin i, v = m²), weights-only
// float32 (byte-shuffled and not) and weights-only bfloat16. Later
// versions of the package must keep loading them to the same values.
var v1Config = model.Config{VocabSize: 16, Context: 4, Layers: 1, Heads: 2, Embd: 8, Activation: model.GELU}

func TestV1FixturesLoad(t *testing.T) {
	m, err := model.New(v1Config, 5)
	if err != nil {
		t.Fatal(err)
	}
	bf16 := make([]float32, len(m.Params))
	for i, x := range m.Params {
		bf16[i] = FromBF16(BF16(x))
	}
	for _, c := range []struct {
		name      string
		params    []float32
		resumable bool
	}{
		{"resumable.ckpt", m.Params, true},
		{"f32.ckpt", m.Params, false},
		{"f32_noshuffle.ckpt", m.Params, false},
		{"bf16.ckpt", bf16, false},
	} {
		ck, err := Load(filepath.Join("testdata", "v1", c.name))
		if err != nil {
			t.Fatal(err)
		}
		if ck.Config != v1Config || ck.Tokenizer.Name != "byte" || ck.Provenance.Version != "v1 fixture" {
			t.Fatalf("%s: config %+v, tokenizer %q, provenance %+v", c.name, ck.Config, ck.Tokenizer.Name, ck.Provenance)
		}
		if !bitsEqual(ck.Params, c.params) {
			t.Fatalf("%s: parameters differ from the model they were saved from", c.name)
		}
		if (ck.Train != nil) != c.resumable {
			t.Fatalf("%s: training state %v, want resumable %v", c.name, ck.Train, c.resumable)
		}
		if c.resumable && (ck.Train.Step != 7 || ck.Train.AdamW.M[1] != float32(math.Sin(1))*1e-3) {
			t.Fatalf("%s: training state %+v", c.name, ck.Train.AdamW.M[:2])
		}
		if _, err := ck.Model(); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
	}
}
