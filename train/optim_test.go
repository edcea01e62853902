package train

import (
	"math"
	"testing"

	"github.com/gptgo/gptgo/kernels"
)

func TestClipGradNorm(t *testing.T) {
	g := []float32{3, 4} // norm 5
	if n := ClipGradNorm(g, 10, nil); n != 5 || g[0] != 3 || g[1] != 4 {
		t.Fatalf("norm under the limit: got %v and grads %v, want 5 and unchanged", n, g)
	}
	if n := ClipGradNorm(g, 1, nil); n != 5 {
		t.Fatalf("norm %v, want 5", n)
	}
	if got := math.Hypot(float64(g[0]), float64(g[1])); math.Abs(got-1) > 1e-6 {
		t.Fatalf("clipped norm %v, want 1", got)
	}
	g = []float32{3, 4}
	if ClipGradNorm(g, 0, nil); g[0] != 3 {
		t.Fatal("maxNorm 0 must disable clipping")
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
