package model

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/gptgo/gptgo/kernels"
)

var quantConfig = Config{VocabSize: 53, Context: 16, Layers: 2, Heads: 2, Embd: 64, Activation: GELU}

// noisyModel is a GPT-2 initialisation plus noise, so that logits differ.
func noisyModel(t *testing.T, c Config, seed uint64) *Model {
	t.Helper()
	m, err := New(c, seed)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(seed, 7))
	for i := range m.Params {
		m.Params[i] += float32(r.NormFloat64() * 0.05)
	}
	return m
}

// dequantized returns a float32 model whose matrices are the quantized
// model q's, dequantized: what q computes, up to rounding activations.
func dequantized(t *testing.T, f, q *Model) *Model {
	t.Helper()
	d, err := FromParams(f.Config, append([]float32(nil), f.Params...))
	if err != nil {
		t.Fatal(err)
	}
	C := f.Config.Embd
	for i := range q.W.WTE.Rows {
		q.W.WTE.Q.Row(d.P.WTE[i*C:(i+1)*C], i)
	}
	for l := range q.W.Blocks {
		qs, ds := q.W.Blocks[l].Linears(), d.W.Blocks[l].Linears()
		for k, lin := range qs {
			row := make([]float32, lin.In)
			for o := range lin.Out { // [Out, In] rows back into the [In, Out] layout
				lin.Q.Row(row, o)
				for i, v := range row {
					ds[k].W[i*lin.Out+o] = v
				}
			}
		}
	}
	return d
}

func forwardLogits(t *testing.T, m *Model, tokens []int32) []float32 {
	t.Helper()
	if _, err := m.Forward(tokens, nil, 2, len(tokens)/2); err != nil {
		t.Fatal(err)
	}
	return append([]float32(nil), m.Logits()...)
}

// A quantized model computes what the float32 model with its dequantized
// weights computes: within float32 rounding for bf16 (activations stay
// float32), within the int8 rounding of activations for q8_0 and q4_0.
func TestQuantizedForwardIsDequantizedForward(t *testing.T) {
	c := quantConfig
	tokens := make([]int32, 2*c.Context)
	for i := range tokens {
		tokens[i] = int32((i * 17) % c.VocabSize)
	}
	for _, tc := range []struct {
		dt  kernels.DType
		tol float64
	}{{kernels.BF16, 1e-5}, {kernels.Q8_0, 3e-2}, {kernels.Q4_0, 3e-2}} {
		f := noisyModel(t, c, 1)
		q := noisyModel(t, c, 1)
		if err := q.Quantize(tc.dt); err != nil {
			t.Fatal(err)
		}
		want := forwardLogits(t, dequantized(t, f, q), tokens)
		got := forwardLogits(t, q, tokens)
		var scale, worst float64
		for i := range want {
			scale = max(scale, math.Abs(float64(want[i])))
			worst = max(worst, math.Abs(float64(got[i]-want[i])))
		}
		t.Logf("%v: worst %.3g of scale %.3g", tc.dt, worst/scale, scale)
		if worst > tc.tol*scale {
			t.Errorf("%v: logits differ by %.3g from the dequantized model's (scale %.3g)", tc.dt, worst, scale)
		}
		full := forwardLogits(t, f, tokens)
		var drift float64
		for i := range full {
			drift = max(drift, math.Abs(float64(got[i]-full[i])))
		}
		if drift == 0 {
			t.Errorf("%v: logits equal the float32 model's bit for bit: nothing was quantized", tc.dt)
		}
	}
}

// Quantize drops the float32 parameters, shrinks the weights, refuses to
// train and to quantize again to another dtype.
func TestQuantizeState(t *testing.T) {
	c := quantConfig
	m := noisyModel(t, c, 2)
	f32 := m.W.Bytes()
	if f32 != 4*NumParams(c) {
		t.Fatalf("float32 weights: %d bytes, want %d", f32, 4*NumParams(c))
	}
	if err := m.Quantize(kernels.F32); err != nil || m.Params == nil {
		t.Fatalf("Quantize(f32) of a float32 model: %v (params kept: %v)", err, m.Params != nil)
	}
	if err := m.Quantize(kernels.Q8_0); err != nil {
		t.Fatal(err)
	}
	if m.Params != nil || m.Grads != nil || m.W.DType != kernels.Q8_0 {
		t.Fatalf("after Quantize: params %v, grads %v, dtype %v", m.Params != nil, m.Grads != nil, m.W.DType)
	}
	C, V := c.Embd, c.VocabSize
	matrices := V*C + c.Layers*(3*C*C+C*C+4*C*C+4*C*C)
	padded := matrices + ((V+3)/4*4-V)*C // rows come in fours in memory
	if want := 4*(NumParams(c)-matrices) + padded/32*34; m.W.Bytes() != want {
		t.Errorf("q8_0 weights: %d bytes, want %d", m.W.Bytes(), want)
	}
	tokens := []int32{1, 2, 3, 4}
	if _, err := m.Forward(tokens, tokens, 1, 4); err != nil {
		t.Fatal(err)
	}
	if err := m.Backward(); err == nil || !strings.Contains(err.Error(), "float32") {
		t.Errorf("Backward on a quantized model: %v", err)
	}
	if err := m.Quantize(kernels.Q8_0); err != nil {
		t.Errorf("Quantize to its own dtype: %v", err)
	}
	if err := m.Quantize(kernels.Q4_0); err == nil {
		t.Error("re-quantizing q8_0 weights to q4_0 was accepted")
	}
	odd := c
	odd.Embd, odd.Heads = 48, 2
	o := noisyModel(t, odd, 3)
	if err := o.Quantize(kernels.BF16); err == nil || !strings.Contains(err.Error(), "multiple of 32") {
		t.Errorf("Quantize with Embd 48: %v", err)
	}
}
