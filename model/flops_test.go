package model

import (
	"math"
	"testing"

	"github.com/gptgo/gptgo/kernels"
)

func TestFlopCounts(t *testing.T) {
	c, _ := Preset("gpt2", GPT2Vocab)
	// One decoded token at position 0 of GPT-2: ~2 FLOPs per weight it
	// multiplies (85M in the blocks, 38.6M in the head).
	got := DecodeFlopsPerToken(c, 0, 1)
	want := 2*float64(12*12*768*768) + 2*float64(50257*768) + 12*4*768
	if math.Abs(got-want) > 1 {
		t.Fatalf("decode FLOPs %g, want %g", got, want)
	}
	w := 4 * float64(124439808-1023*768)
	if b := DecodeBytesPerToken(c, w, 0, 1); math.Abs(b-w-4*float64(2*12*768)) > 1 {
		t.Fatalf("decode bytes %g", b)
	}
}

// A decoding step reads every weight once, of wpe one row, in the
// weights' dtype.
func TestDecodeBytes(t *testing.T) {
	c := quantConfig
	m := noisyModel(t, c, 1)
	C := c.Embd
	if got, want := m.W.DecodeBytes(), 4*float64(NumParams(c)-(c.Context-1)*C); got != want {
		t.Fatalf("float32: %g bytes, want %g", got, want)
	}
	f32 := m.W.DecodeBytes()
	if err := m.Quantize(kernels.Q4_0); err != nil {
		t.Fatal(err)
	}
	// In memory a matrix's rows come in fours (wte's last group padded).
	matrices, padded := float64(c.VocabSize*C+c.Layers*12*C*C), float64((c.VocabSize+3)/4*4*C+c.Layers*12*C*C)
	if got, want := m.W.DecodeBytes(), f32-4*matrices+padded*18/32; got != want {
		t.Fatalf("q4_0: %g bytes, want %g", got, want)
	}
}

// TrainBytes counts what a training step really allocates: the float32
// parameters, gradients and moments, and the activation buffers.
func TestTrainBytes(t *testing.T) {
	c := Config{VocabSize: 300, Context: 32, Layers: 2, Heads: 2, Embd: 16, Activation: GELU}
	m, err := New(c, 1)
	if err != nil {
		t.Fatal(err)
	}
	const B, T = 3, 32
	for _, drop := range []bool{false, true} {
		m.acts = nil
		a := m.ensure(B, T, drop)
		floats := 2 * len(m.Params) // the parameters and gradients; AdamW's moments are 2 more
		count := func(xs ...[]float32) {
			for _, x := range xs {
				floats += len(x)
			}
		}
		count(a.encoded, a.lnf, a.lnfMean, a.lnfRstd, a.logits, a.losses, a.dres, a.dres2, a.dln, a.dbig, a.datt)
		for _, b := range a.blocks {
			count(b.LN1, b.LN1Mean, b.LN1Rstd, b.QKV, b.AttY, b.AttProj, b.Res2, b.LN2, b.LN2Mean, b.LN2Rstd,
				b.FCH, b.FCHAct, b.FCProj, b.Res3, b.att, b.attd)
		}
		floats += 2 * len(m.Params)
		if got, want := TrainBytes(c, B, T, drop), float64(4*floats); got != want {
			t.Fatalf("dropout %v: TrainBytes = %g, the buffers hold %g", drop, got, want)
		}
	}
}
