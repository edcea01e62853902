package train

import (
	"math"
	"testing"

	"github.com/gptgo/gptgo/kernels"
	"github.com/gptgo/gptgo/model"
)

func TestClipScale(t *testing.T) {
	g := []float32{3, 4} // norm 5
	if n := GradNorm(g, nil); n != 5 {
		t.Fatalf("norm %v, want 5", n)
	}
	if c := ClipScale(5, 10); c != 1 {
		t.Fatalf("norm under the limit: factor %v, want 1", c)
	}
	if c := ClipScale(5, 1); math.Abs(c*5-1) > 1e-6 {
		t.Fatalf("factor %v does not bring norm 5 to 1", c)
	}
	if c := ClipScale(5, 0); c != 1 {
		t.Fatal("maxNorm 0 must disable clipping")
	}
}

// Update with gradScale s equals Update on gradients multiplied by s.
func TestUpdateGradScale(t *testing.T) {
	c := model.Config{VocabSize: 11, Context: 4, Layers: 1, Heads: 1, Embd: 4, Activation: model.GELU}
	n := model.NumParams(c)
	p1, p2, g, gs := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range p1 {
		p1[i] = float32(math.Sin(float64(i)))
		p2[i] = p1[i]
		g[i] = float32(math.Cos(float64(i))) * 1e-2
		gs[i] = g[i] * 0.25
	}
	a, b := NewAdamW(c), NewAdamW(c)
	for step := 0; step < 3; step++ {
		a.Update(p1, g, 1e-2, 0.25)
		b.Update(p2, gs, 1e-2, 1)
	}
	for i := range p1 {
		if d := math.Abs(float64(p1[i] - p2[i])); d > 1e-6 {
			t.Fatalf("param %d: %v with gradScale, %v with scaled gradients", i, p1[i], p2[i])
		}
	}
}

// The norm of a long vector is bit-identical for 1 and 2 threads.
func TestGradNormThreadIndependent(t *testing.T) {
	g := make([]float32, 3*normBlock+17)
	for i := range g {
		g[i] = float32(math.Sin(float64(i)))
	}
	defer kernels.SetThreads(kernels.Threads())
	kernels.SetThreads(1)
	a := GradNorm(g, nil)
	kernels.SetThreads(2)
	if b := GradNorm(g, nil); a != b {
		t.Fatalf("norm with 1 thread %v, with 2 threads %v", a, b)
	}
}

func TestSchedule(t *testing.T) {
	s := Schedule{Max: 1e-3, Min: 1e-4, Warmup: 10, Total: 110}
	if got := s.At(0); math.Abs(got-1e-3/11) > 1e-12 {
		t.Errorf("step 0: %g, want %g", got, 1e-3/11)
	}
	if got := s.At(10); got != 1e-3 {
		t.Errorf("end of warmup: %g, want the maximum", got)
	}
	if got := s.At(60); math.Abs(got-0.55e-3) > 1e-12 {
		t.Errorf("half way through the decay: %g, want 5.5e-4", got)
	}
	if got := s.At(110); got != 1e-4 {
		t.Errorf("after the end: %g, want the minimum", got)
	}
	for i := 11; i < 110; i++ {
		if s.At(i) > s.At(i-1) {
			t.Fatalf("rate rises during the decay at step %d", i)
		}
	}
}
