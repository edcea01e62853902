package kernels

import (
	"math"
	"testing"
)

func TestExpfAccuracy(t *testing.T) {
	worst := 0.0
	for x := float32(-87); x < 88.7; x += 0.001173 {
		got := float64(Expf(x))
		want := math.Exp(float64(x))
		if rel := math.Abs(got-want) / want; rel > worst {
			worst = rel
		}
	}
	// 2 ulp of float32 is about 2.4e-7 relative.
	if worst > 2.4e-7 {
		t.Fatalf("Expf worst relative error %.3g, want <= 2.4e-7", worst)
	}
	for _, c := range []struct{ x, want float32 }{{0, 1}, {-100, 0}, {100, float32(math.Inf(1))}} {
		if got := Expf(c.x); got != c.want {
			t.Errorf("Expf(%v) = %v, want %v", c.x, got, c.want)
		}
	}
	if nan := Expf(float32(math.NaN())); nan == nan {
		t.Errorf("Expf(NaN) = %v, want NaN", nan)
	}
}

func BenchmarkExpf(b *testing.B) {
	x := make([]float32, 4096)
	for i := range x {
		x[i] = float32(i)/256 - 8
	}
	b.SetBytes(int64(4 * len(x)))
	for b.Loop() {
		for i, v := range x {
			x[i] = Expf(v) - Expf(v) + v
		}
	}
}
