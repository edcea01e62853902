package model

import (
	"math"
	"testing"

	"github.com/gptgo/gptgo/internal/gradcheck"
	"github.com/gptgo/gptgo/kernels"
)

func smallModel(t testing.TB, act Activation) *Model {
	c := Config{VocabSize: 13, Context: 8, Layers: 2, Heads: 2, Embd: 8, Activation: act}
	m, err := New(c, 42)
	if err != nil {
		t.Fatal(err)
	}
	// Larger weights than GPT-2's 0.02 so every gradient is well above the
	// finite-difference noise.
	r := gradcheck.Randn(len(m.Params), 0.3, 5)
	for i := range m.Params {
		m.Params[i] += r[i]
	}
	return m
}

func TestModelGradients(t *testing.T) {
	for _, act := range []Activation{GELU, ReLU, Tanh, Sigmoid} {
		t.Run(string(act), func(t *testing.T) {
			m := smallModel(t, act)
			B, T := 2, 7
			tokens := []int32{1, 5, 2, 12, 0, 3, 3, 7, 7, 8, 1, 0, 11, 4}
			targets := []int32{5, 2, 12, -1, 3, 3, 9, 7, 8, 1, 0, 11, 4, 6}
			var mask []bool // sign of every MLP pre-activation at the base point
			loss := func() float64 {
				l, err := m.Forward(tokens, targets, B, T)
				if err != nil {
					t.Fatal(err)
				}
				if mask != nil && crossedKink(m, mask) {
					return math.NaN()
				}
				return float64(l)
			}
			loss()
			if act == ReLU {
				mask = reluMask(m)
			}
			m.ZeroGrad()
			if err := m.Backward(); err != nil {
				t.Fatal(err)
			}
			checkGradients(t, m, loss)
		})
	}
}

func reluMask(m *Model) []bool {
	var mask []bool
	for _, b := range m.acts.blocks {
		for _, v := range b.FCH {
			mask = append(mask, v > 0)
		}
	}
	return mask
}

func crossedKink(m *Model, mask []bool) bool {
	now := reluMask(m)
	for i := range mask {
		if mask[i] != now[i] {
			return true
		}
	}
	return false
}

// The same seed and inputs give bit-identical loss and gradients.
func TestDeterminism(t *testing.T) {
	c, _ := Preset("tiny", 300)
	c.Layers = 2
	run := func() (float32, []float32) {
		m, err := New(c, 7)
		if err != nil {
			t.Fatal(err)
		}
		B, T := 2, 100
		tokens, targets := make([]int32, B*T), make([]int32, B*T)
		for i := range tokens {
			tokens[i] = int32(i * 7 % c.VocabSize)
			targets[i] = int32(i * 13 % c.VocabSize)
		}
		loss, err := m.Forward(tokens, targets, B, T)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Backward(); err != nil {
			t.Fatal(err)
		}
		return loss, m.Grads
	}
	l1, g1 := run()
	l2, g2 := run()
	if math.Float32bits(l1) != math.Float32bits(l2) {
		t.Fatalf("losses differ: %v vs %v", l1, l2)
	}
	for i := range g1 {
		if math.Float32bits(g1[i]) != math.Float32bits(g2[i]) {
			t.Fatalf("gradient %d differs: %v vs %v", i, g1[i], g2[i])
		}
	}
	if math.Abs(float64(l1)-math.Log(300)) > 0.1 {
		t.Errorf("initial loss %v, want about ln(300) = %.3f for a fresh model", l1, math.Log(300))
	}
}

func TestForwardRejectsBadInput(t *testing.T) {
	m := smallModel(t, GELU)
	if _, err := m.Forward([]int32{1, 2, 3}, nil, 1, 9); err == nil {
		t.Error("T beyond the context accepted")
	}
	if _, err := m.Forward([]int32{1, 13}, nil, 1, 2); err == nil {
		t.Error("token id 13 accepted for vocabulary 13")
	}
	if _, err := m.Forward([]int32{1, 2}, []int32{1, -2}, 1, 2); err == nil {
		t.Error("target -2 accepted")
	}
	if err := m.Backward(); err == nil {
		t.Error("Backward before Forward accepted")
	}
}

// With dropout the masks depend only on the key, so a fixed key makes the
// loss one smooth function of the weights, and finite differences check
// the dropout layers' backward at all four places.
func TestModelGradientsDropout(t *testing.T) {
	m := smallModel(t, GELU)
	B, T := 2, 7
	tokens := []int32{1, 5, 2, 12, 0, 3, 3, 7, 7, 8, 1, 0, 11, 4}
	targets := []int32{5, 2, 12, -1, 3, 3, 9, 7, 8, 1, 0, 11, 4, 6}
	drop := kernels.Dropout{P: 0.25, Key: 11}
	loss := func() float64 {
		l, err := m.ForwardDropout(tokens, targets, B, T, drop)
		if err != nil {
			t.Fatal(err)
		}
		return float64(l)
	}
	base := loss()
	m.ZeroGrad()
	if err := m.Backward(); err != nil {
		t.Fatal(err)
	}
	checkGradients(t, m, loss)
	// The same key gives the same loss; another key or none, another.
	if again := loss(); again != base {
		t.Fatalf("same key: loss %v then %v", base, again)
	}
	drop.Key++
	if other := loss(); other == base {
		t.Fatalf("keys %d and %d gave the same loss %v", drop.Key-1, drop.Key, base)
	}
	if plain, _ := m.Forward(tokens, targets, B, T); float64(plain) == base {
		t.Fatal("Forward dropped too")
	}
}

// checkGradients compares every tensor's gradient (from the last Backward)
// with central differences of loss on 12 sampled coordinates.
func checkGradients(t *testing.T, m *Model, loss func() float64) {
	t.Helper()
	o := gradcheck.Default
	o.H, o.Atol, o.Samples = 5e-3, 1e-4, 12
	for _, ts := range Layout(m.Config) {
		x := m.Params[ts.Offset : ts.Offset+ts.Size]
		g := m.Grads[ts.Offset : ts.Offset+ts.Size]
		if bad, worst := gradcheck.Check(x, g, loss, o); len(bad) > 0 {
			t.Errorf("%s: %d of %d sampled gradients disagree, e.g. %+v (worst rel %.3g)", ts.Name, len(bad), o.Samples, bad[0], worst)
		}
	}
}
