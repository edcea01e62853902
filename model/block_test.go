package model

import (
	"math"
	"testing"

	"github.com/gptgo/gptgo/internal/gradcheck"
)

// One row takes the matrix-vector path; it must agree with the same row
// computed inside a batched matrix product.
func TestSingleRowMatchesBatched(t *testing.T) {
	C, OC, V := 48, 80, 96
	inp := gradcheck.Randn(3*C, 1, 1)
	w := gradcheck.Randn(C*OC, 1, 2)
	b := gradcheck.Randn(OC, 1, 3)
	wte := gradcheck.Randn(V*C, 1, 4)
	batched, one := make([]float32, 3*OC), make([]float32, OC)
	MatmulForward(batched, inp, w, b, 3, C, OC)
	MatmulForward(one, inp, w, b, 1, C, OC)
	near(t, "MatmulForward", one, batched[:OC])
	MatmulForward(batched, inp, w, nil, 3, C, OC)
	MatmulForward(one, inp, w, nil, 1, C, OC)
	near(t, "MatmulForward without bias", one, batched[:OC])
	lb, l1 := make([]float32, 3*V), make([]float32, V)
	LogitsForward(lb, inp, wte, 3, C, V)
	LogitsForward(l1, inp, wte, 1, C, V)
	near(t, "LogitsForward", l1, lb[:V])
}

// The in-place aliasing inference uses gives the block the same output as
// separate buffers.
func TestBlockInPlaceMatchesSeparateBuffers(t *testing.T) {
	c := Config{Layers: 1, Heads: 2, Embd: 16, Context: 8, VocabSize: 10, Activation: GELU}
	m, err := New(c, 7)
	if err != nil {
		t.Fatal(err)
	}
	N, C := 5, c.Embd
	res := gradcheck.Randn(N*C, 1, 5)
	// A stand-in attention that mixes q, k and v, so its input matters.
	attend := func(atty, qkv []float32) {
		for r := range N {
			for i := range C {
				atty[r*C+i] = qkv[r*3*C+i] * qkv[r*3*C+C+i] / (1 + qkv[r*3*C+2*C+i]*qkv[r*3*C+2*C+i])
			}
		}
	}
	f := func(n int) []float32 { return make([]float32, n) }
	sep := BlockActs{LN1: f(N * C), LN1Mean: f(N), LN1Rstd: f(N), QKV: f(N * 3 * C), AttY: f(N * C),
		AttProj: f(N * C), Res2: f(N * C), LN2: f(N * C), LN2Mean: f(N), LN2Rstd: f(N),
		FCH: f(N * 4 * C), FCHAct: f(N * 4 * C), FCProj: f(N * C), Res3: f(N * C)}
	BlockForward(&sep, res, &m.W.Blocks[0], c.Activation, attend, BlockDropout{}, N, C)

	stream := append([]float32(nil), res...)
	ln, mean, rstd, proj, fch := f(N*C), f(N), f(N), f(N*C), f(N*4*C)
	in := BlockActs{LN1: ln, LN1Mean: mean, LN1Rstd: rstd, QKV: f(N * 3 * C), AttY: f(N * C), AttProj: proj,
		Res2: stream, LN2: ln, LN2Mean: mean, LN2Rstd: rstd, FCH: fch, FCHAct: fch, FCProj: proj, Res3: stream}
	BlockForward(&in, stream, &m.W.Blocks[0], c.Activation, attend, BlockDropout{}, N, C)
	for i := range stream {
		if stream[i] != sep.Res3[i] {
			t.Fatalf("in-place block output [%d] = %v, separate buffers give %v", i, stream[i], sep.Res3[i])
		}
	}
}

func near(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if d := math.Abs(float64(got[i] - want[i])); d > 1e-5*(1+math.Abs(float64(want[i]))) {
			t.Fatalf("%s: one row [%d] = %v, batched %v", what, i, got[i], want[i])
		}
	}
}

func TestConfigOverride(t *testing.T) {
	p, err := Preset("small", 100)
	if err != nil {
		t.Fatal(err)
	}
	got := p.Override(Config{Layers: 8, Activation: ReLU})
	want := Config{VocabSize: 100, Context: 256, Layers: 8, Heads: 6, Embd: 384, Activation: ReLU}
	if got != want {
		t.Fatalf("Override: %+v, want %+v", got, want)
	}
	if p.Override(Config{}) != p {
		t.Fatalf("an empty override changed %+v", p)
	}
}
