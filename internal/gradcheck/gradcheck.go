// Package gradcheck compares analytic gradients with central finite
// differences, the limit definition of the derivative:
//
//	df/dx_i ≈ (f(x + h e_i) - f(x - h e_i)) / 2h
//
// Tests of the layers use it on a random subset of coordinates.
package gradcheck

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Options set the step and the tolerance |num - ana| <= Atol + Rtol*max(|num|, |ana|).
type Options struct {
	H, Atol, Rtol float64
	Samples       int    // coordinates checked per tensor (all if <= 0 or >= len)
	Seed          uint64 // chooses the coordinates
}

// Default suits float32 layers evaluated with a float64 loss: truncation
// error is O(h²), rounding about 1e-7*|f|/h. A wrong sign, a missing term or
// a wrong factor of 2 is far outside it.
var Default = Options{H: 1e-2, Atol: 1e-3, Rtol: 2e-2, Samples: 40, Seed: 1}

// Mismatch is one coordinate where the gradients disagree.
type Mismatch struct {
	Index         int
	Numeric, Anal float64
}

// Check perturbs x[i] for the sampled i, calls loss() for each side, and
// compares with analytic[i]. x is restored afterwards. A loss may return NaN
// to say that the step crossed a point where f is not differentiable (a
// ReLU's kink); that coordinate is then skipped. It returns the
// mismatches and the worst relative difference seen.
func Check(x, analytic []float32, loss func() float64, o Options) (bad []Mismatch, worst float64) {
	if len(x) != len(analytic) {
		panic(fmt.Sprintf("gradcheck: %d values but %d gradients", len(x), len(analytic)))
	}
	idx := sample(len(x), o.Samples, o.Seed)
	for _, i := range idx {
		orig := x[i]
		x[i] = orig + float32(o.H)
		hi := float64(x[i])
		fp := loss()
		x[i] = orig - float32(o.H)
		lo := float64(x[i])
		fm := loss()
		x[i] = orig
		num := (fp - fm) / (hi - lo) // the actual float32 step, not 2h
		if math.IsNaN(num) {
			continue // loss said the step crossed a kink (e.g. ReLU at 0)
		}
		ana := float64(analytic[i])
		diff := math.Abs(num - ana)
		scale := math.Max(math.Abs(num), math.Abs(ana))
		if r := diff / math.Max(scale, 1e-12); diff > o.Atol && r > worst {
			worst = r
		}
		if diff > o.Atol+o.Rtol*scale {
			bad = append(bad, Mismatch{i, num, ana})
		}
	}
	return bad, worst
}

func sample(n, k int, seed uint64) []int {
	if k <= 0 || k >= n {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	return rand.New(rand.NewPCG(seed, 7)).Perm(n)[:k]
}

// Dot returns Σ a_i*w_i in float64: a random linear function of a layer's
// output, whose gradient with respect to a is w.
func Dot(a, w []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(w[i])
	}
	return s
}

// Randn fills a new slice with N(0, std²) values from seed.
func Randn(n int, std float64, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 11))
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64() * std)
	}
	return x
}
