package model

import (
	"math"
	"testing"
)

// The attention maps are the forward pass's probabilities: each row sums
// to 1, nothing right of the diagonal, and they equal softmax(q·k/√hs)
// recomputed in float64 from the pass's own q and k. The logit lens after
// the last block is the model's logits.
func TestAttentionProbsAndLogitLens(t *testing.T) {
	m := smallModel(t, GELU)
	c := m.Config
	T, C, NH := 7, c.Embd, c.Heads
	hs := C / NH
	tokens := []int32{1, 5, 2, 12, 0, 3, 3}
	if _, err := m.Forward(tokens, nil, 1, T); err != nil {
		t.Fatal(err)
	}
	logits := append([]float32(nil), m.Logits()...)
	for l := range c.Layers {
		att, err := m.AttentionProbs(l)
		if err != nil {
			t.Fatal(err)
		}
		qkv := m.acts.blocks[l].QKV
		for h := range NH {
			for i := range T {
				row := att[(h*T+i)*T : (h*T+i+1)*T]
				scores := make([]float64, i+1)
				mx, sum := math.Inf(-1), 0.0
				for j := 0; j <= i; j++ {
					for d := range hs {
						scores[j] += float64(qkv[i*3*C+h*hs+d]) * float64(qkv[j*3*C+C+h*hs+d])
					}
					scores[j] /= math.Sqrt(float64(hs))
					mx = math.Max(mx, scores[j])
				}
				for j := range scores {
					scores[j] = math.Exp(scores[j] - mx)
					sum += scores[j]
				}
				total := 0.0
				for j, p := range row {
					total += float64(p)
					if j > i && p != 0 {
						t.Fatalf("layer %d head %d: row %d attends to later position %d (%g)", l, h, i, j, p)
					}
					if j <= i && math.Abs(float64(p)-scores[j]/sum) > 1e-6 {
						t.Fatalf("layer %d head %d: p[%d,%d] = %g, softmax gives %g", l, h, i, j, p, scores[j]/sum)
					}
				}
				if math.Abs(total-1) > 1e-5 {
					t.Fatalf("layer %d head %d: row %d sums to %g", l, h, i, total)
				}
			}
		}
	}
	pos := T - 1
	lens, err := m.LogitLens(pos)
	if err != nil {
		t.Fatal(err)
	}
	if len(lens) != c.Layers+1 {
		t.Fatalf("%d lens rows, want %d", len(lens), c.Layers+1)
	}
	for v, x := range lens[c.Layers] {
		if math.Float32bits(x) != math.Float32bits(logits[pos*c.VocabSize+v]) {
			t.Fatalf("lens after the last block: logit %d is %g, the model's %g", v, x, logits[pos*c.VocabSize+v])
		}
	}
	if _, err := m.AttentionProbs(c.Layers); err == nil {
		t.Fatal("layer out of range accepted")
	}
	if _, err := m.LogitLens(T); err == nil {
		t.Fatal("position out of range accepted")
	}
}
