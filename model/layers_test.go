package model

import (
	"testing"

	"github.com/gptgo/gptgo/internal/gradcheck"
)

// check runs gradcheck on one tensor and fails the test with the worst
// coordinates if the analytic gradient disagrees.
func check(t *testing.T, name string, x, grad []float32, loss func() float64) {
	t.Helper()
	bad, worst := gradcheck.Check(x, grad, loss, gradcheck.Default)
	if len(bad) > 0 {
		b := bad[0]
		t.Errorf("%s: %d of the sampled gradients disagree with finite differences; e.g. [%d] numeric %.6g analytic %.6g (worst rel %.3g)",
			name, len(bad), b.Index, b.Numeric, b.Anal, worst)
	}
}

func TestLayerNormGradients(t *testing.T) {
	N, C := 6, 16
	inp := gradcheck.Randn(N*C, 1, 1)
	w := gradcheck.Randn(C, 1, 2)
	b := gradcheck.Randn(C, 1, 3)
	dout := gradcheck.Randn(N*C, 1, 4)
	out, mean, rstd := make([]float32, N*C), make([]float32, N), make([]float32, N)
	loss := func() float64 {
		LayerNormForward(out, mean, rstd, inp, w, b, N, C)
		return gradcheck.Dot(out, dout)
	}
	loss()
	dinp, dw, db := make([]float32, N*C), make([]float32, C), make([]float32, C)
	LayerNormBackward(dinp, dw, db, dout, inp, w, mean, rstd, N, C)
	check(t, "dinp", inp, dinp, loss)
	check(t, "dw", w, dw, loss)
	check(t, "db", b, db, loss)
}

// A LayerNorm backward that forgets the gradient through the mean must fail
// the check: proof that the tolerances catch a missing term.
func TestGradcheckCatchesBrokenBackward(t *testing.T) {
	N, C := 4, 16
	inp := gradcheck.Randn(N*C, 1, 1)
	inp[0] += 3 // a non-zero mean makes the missing term large
	w := gradcheck.Randn(C, 1, 2)
	b := gradcheck.Randn(C, 1, 3)
	dout := gradcheck.Randn(N*C, 1, 4)
	for i := range dout {
		dout[i] += 0.5 // so mean(dout*w) is not ~0
	}
	out, mean, rstd := make([]float32, N*C), make([]float32, N), make([]float32, N)
	loss := func() float64 {
		LayerNormForward(out, mean, rstd, inp, w, b, N, C)
		return gradcheck.Dot(out, dout)
	}
	loss()
	broken := make([]float32, N*C)
	for r := 0; r < N; r++ { // dx = rstd*(g - n*mean(g*n)): the -mean(g) term is missing
		var gn float32
		for i := 0; i < C; i++ {
			gn += dout[r*C+i] * w[i] * (inp[r*C+i] - mean[r]) * rstd[r]
		}
		gn /= float32(C)
		for i := 0; i < C; i++ {
			n := (inp[r*C+i] - mean[r]) * rstd[r]
			broken[r*C+i] = rstd[r] * (dout[r*C+i]*w[i] - n*gn)
		}
	}
	if bad, _ := gradcheck.Check(inp, broken, loss, gradcheck.Default); len(bad) == 0 {
		t.Fatal("a LayerNorm backward without the mean term passed the finite-difference check")
	}
	// And a sign flip in the correct gradient is caught too.
	dinp, dw, db := make([]float32, N*C), make([]float32, C), make([]float32, C)
	LayerNormBackward(dinp, dw, db, dout, inp, w, mean, rstd, N, C)
	for i := range dw {
		dw[i] = -dw[i]
	}
	if bad, _ := gradcheck.Check(w, dw, loss, gradcheck.Default); len(bad) == 0 {
		t.Fatal("a sign-flipped dw passed the finite-difference check")
	}
}

func TestMatmulGradients(t *testing.T) {
	N, C, OC := 5, 12, 20
	inp := gradcheck.Randn(N*C, 1, 1)
	w := gradcheck.Randn(C*OC, 0.3, 2)
	b := gradcheck.Randn(OC, 1, 3)
	dout := gradcheck.Randn(N*OC, 1, 4)
	out := make([]float32, N*OC)
	loss := func() float64 {
		MatmulForward(out, inp, w, b, N, C, OC)
		return gradcheck.Dot(out, dout)
	}
	dinp, dw, db := make([]float32, N*C), make([]float32, C*OC), make([]float32, OC)
	MatmulBackward(dinp, dw, db, dout, inp, w, N, C, OC)
	check(t, "dinp", inp, dinp, loss)
	check(t, "dw", w, dw, loss)
	check(t, "db", b, db, loss)
}

func TestActivationGradients(t *testing.T) {
	n := 200
	for _, act := range []Activation{GELU, ReLU, Tanh, Sigmoid} {
		t.Run(string(act), func(t *testing.T) {
			inp := gradcheck.Randn(n, 2, 1)
			for i, v := range inp { // keep ReLU's kink out of the finite-difference step
				if v > -0.05 && v < 0.05 {
					inp[i] = 0.1
				}
			}
			dout := gradcheck.Randn(n, 1, 2)
			out := make([]float32, n)
			loss := func() float64 {
				ActivationForward(out, inp, act, n)
				return gradcheck.Dot(out, dout)
			}
			loss()
			dinp := make([]float32, n)
			ActivationBackward(dinp, dout, inp, out, act, n)
			check(t, "dinp", inp, dinp, loss)
		})
	}
}

func TestEncoderGradients(t *testing.T) {
	B, T, C, V := 2, 5, 8, 7
	tokens := []int32{1, 3, 3, 0, 6, 2, 1, 1, 5, 4}
	wte := gradcheck.Randn(V*C, 1, 1)
	wpe := gradcheck.Randn(T*C, 1, 2)
	dout := gradcheck.Randn(B*T*C, 1, 3)
	out := make([]float32, B*T*C)
	loss := func() float64 {
		EncoderForward(out, tokens, wte, wpe, B, T, C)
		return gradcheck.Dot(out, dout)
	}
	dwte, dwpe := make([]float32, V*C), make([]float32, T*C)
	EncoderBackward(dwte, dwpe, dout, tokens, B, T, C)
	check(t, "dwte", wte, dwte, loss)
	check(t, "dwpe", wpe, dwpe, loss)
}

func TestLogitsAndCrossEntropyGradients(t *testing.T) {
	N, C, V := 6, 8, 11
	x := gradcheck.Randn(N*C, 1, 1)
	wte := gradcheck.Randn(V*C, 0.5, 2)
	targets := []int32{3, -1, 0, 10, 5, 5}
	buf, losses := make([]float32, N*V), make([]float32, N)
	var count int
	loss := func() float64 {
		LogitsForward(buf, x, wte, N, C, V)
		l, n := CrossEntropy(buf, losses, targets, N, V)
		count = n
		return float64(l)
	}
	loss()
	if count != 5 {
		t.Fatalf("%d targets counted, want 5 (one is -1)", count)
	}
	// buf now holds dloss/dlogits from the base point.
	dx, dwte := make([]float32, N*C), make([]float32, V*C)
	LogitsBackward(dx, dwte, buf, x, wte, N, C, V)
	// The loss is a mean of O(1) values in float32: use a larger step.
	o := gradcheck.Default
	o.H, o.Atol = 5e-2, 2e-4
	for _, c := range []struct {
		name    string
		x, grad []float32
	}{{"dx", x, dx}, {"dwte", wte, dwte}} {
		if bad, worst := gradcheck.Check(c.x, c.grad, loss, o); len(bad) > 0 {
			t.Errorf("%s: %d mismatches, e.g. %+v (worst rel %.3g)", c.name, len(bad), bad[0], worst)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	good := Config{VocabSize: 10, Context: 8, Layers: 1, Heads: 2, Embd: 8, Activation: GELU}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		mut  func(*Config)
		want string
	}{
		{func(c *Config) { c.Heads = 3 }, "3 heads do not divide embedding width 8"},
		{func(c *Config) { c.VocabSize = 0 }, "vocabulary size must be positive, got 0"},
		{func(c *Config) { c.Layers = -1 }, "number of layers must be positive, got -1"},
		{func(c *Config) { c.Activation = "swish" }, `unknown activation "swish" (want gelu, relu, tanh or sigmoid)`},
	} {
		bad := good
		c.mut(&bad)
		if err := bad.Validate(); err == nil || err.Error() != c.want {
			t.Errorf("Validate() = %v, want %q", err, c.want)
		}
	}
	for _, name := range PresetNames() {
		if _, err := Preset(name, GPT2Vocab); err != nil {
			t.Errorf("preset %s: %v", name, err)
		}
	}
	if n := NumParams(mustPreset(t, "gpt2")); n != 124439808 {
		t.Errorf("gpt2 has %d parameters, want 124,439,808 (GPT-2 small)", n)
	}
	if _, err := Preset("huge", 10); err == nil {
		t.Error("unknown preset accepted")
	}
}

func mustPreset(t *testing.T, name string) Config {
	c, err := Preset(name, GPT2Vocab)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
