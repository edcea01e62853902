package model

import (
	"math"
	"strings"
	"testing"

	"github.com/gptgo/gptgo/kernels"
)

// Slots of a float32 model's weights are its parameter views, in Layout
// order; matrices have the quantized shape of Layout's.
func TestSlotsFollowLayout(t *testing.T) {
	c := quantConfig
	m := noisyModel(t, c, 4)
	slots := m.W.Slots()
	layout := Layout(c)
	if len(slots) != len(layout) {
		t.Fatalf("%d slots, layout has %d tensors", len(slots), len(layout))
	}
	for i, ts := range layout {
		s := slots[i]
		if f := *s.F; len(f) != ts.Size || &f[0] != &m.Params[ts.Offset] {
			t.Fatalf("slot %d is not %s (%d floats at %d)", i, ts.Name, ts.Size, ts.Offset)
		}
		matrix := len(ts.Shape) == 2 && ts.Name != "wpe"
		if (s.Q != nil) != matrix {
			t.Fatalf("%s: quantizable %v", ts.Name, s.Q != nil)
		}
		if !matrix {
			continue
		}
		rows, cols := ts.Shape[0], ts.Shape[1]
		if s.Transposed {
			rows, cols = cols, rows
		}
		if s.Rows != rows || s.Cols != cols || s.Transposed != (ts.Name != "wte") {
			t.Fatalf("%s %v: slot %d x %d, transposed %v", ts.Name, ts.Shape, s.Rows, s.Cols, s.Transposed)
		}
	}
}

// A model built from a quantized model's weights is that model: the same
// logits bit for bit.
func TestFromWeights(t *testing.T) {
	c := quantConfig
	tokens := []int32{1, 5, 9, 2, 7, 3, 3, 8}
	for _, dt := range []kernels.DType{kernels.BF16, kernels.Q8_0, kernels.Q4_0} {
		q := noisyModel(t, c, 5)
		if err := q.Quantize(dt); err != nil {
			t.Fatal(err)
		}
		m, err := FromWeights(c, q.W)
		if err != nil {
			t.Fatal(err)
		}
		if m.Params != nil || m.W.DType != dt || m.W.Bytes() != q.W.Bytes() {
			t.Fatalf("%v: params %v, dtype %v, %d bytes", dt, m.Params != nil, m.W.DType, m.W.Bytes())
		}
		want, got := forwardLogits(t, q, tokens), forwardLogits(t, m, tokens)
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%v: logit %d is %g, the quantized model's %g", dt, i, got[i], want[i])
			}
		}
	}
}

func TestFromWeightsRejects(t *testing.T) {
	c := quantConfig
	q := noisyModel(t, c, 6)
	if err := q.Quantize(kernels.Q8_0); err != nil {
		t.Fatal(err)
	}
	f := noisyModel(t, c, 6)
	other := noisyModel(t, c, 6)
	if err := other.Quantize(kernels.Q4_0); err != nil {
		t.Fatal(err)
	}
	edit := func(e func(w *Weights)) Weights {
		w := q.W
		w.Blocks = append([]BlockWeights(nil), q.W.Blocks...)
		e(&w)
		return w
	}
	for _, tc := range []struct {
		name string
		w    Weights
		want string
	}{
		{"float32", f.W, "FromParams takes float32"},
		{"blocks", edit(func(w *Weights) { w.Blocks = w.Blocks[:1] }), "1 blocks of weights for a config of 2 layers"},
		{"wpe", edit(func(w *Weights) { w.WPE = w.WPE[1:] }), "wpe: 1023 floats, want 1024"},
		{"bias", edit(func(w *Weights) { w.Blocks[1].FC.B = nil }), "h.1.mlp.c_fc.bias: 0 floats, want 256"},
		{"missing", edit(func(w *Weights) { w.Blocks[0].QKV.Q = nil }), "h.0.attn.c_attn.weight: no q8_0 matrix"},
		{"dtype", edit(func(w *Weights) { w.Blocks[0].FCProj.Q = other.W.Blocks[0].FCProj.Q }), "h.0.mlp.c_proj.weight: a q4_0 matrix in q8_0 weights"},
		{"declared", edit(func(w *Weights) { w.Blocks[0].FC.In, w.Blocks[0].FC.Out = 256, 64 }), "h.0.mlp.c_fc.weight: declared 64 x 256, want 256 x 64"},
		{"transposed", edit(func(w *Weights) { w.Blocks[1].FCProj.Q = w.Blocks[1].FC.Q }), "h.1.mlp.c_proj.weight: a 256 x 64 matrix, want 64 x 256"},
	} {
		_, err := FromWeights(c, tc.w)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}
