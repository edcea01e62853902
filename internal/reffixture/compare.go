package reffixture

import (
	"fmt"
	"math"
)

// Compare checks |got - want| <= atol + rtol*|want| element by element and
// returns an error naming the tensor, the worst element and its difference.
func Compare(name string, got []float32, want []float64, atol, rtol float64) error {
	if len(got) != len(want) {
		return fmt.Errorf("%s: %d values, reference has %d", name, len(got), len(want))
	}
	worst, at, excess := 0.0, -1, 0.0
	for i, w := range want {
		d := math.Abs(float64(got[i]) - w)
		if e := d / (atol + rtol*math.Abs(w)); e > excess || math.IsNaN(d) {
			worst, at, excess = d, i, e
		}
	}
	if excess > 1 || at >= 0 && math.IsNaN(worst) {
		return fmt.Errorf("%s: worst element [%d] = %.9g, reference %.9g: difference %.3g is %.2fx the tolerance",
			name, at, got[at], want[at], worst, excess)
	}
	return nil
}

// Params copies the fixture's tensors named prefix+<parameter name> into the
// flat buffer dst, using names and offsets from the model's layout.
func (r *Fixture) Params(dst []float32, prefix string, names []string, offsets []int) error {
	for i, n := range names {
		src, _, ok := r.Tensor(prefix + n)
		if !ok {
			return fmt.Errorf("fixture has no tensor %q", prefix+n)
		}
		for j, v := range src {
			dst[offsets[i]+j] = float32(v)
		}
	}
	return nil
}

// Ints returns the named tensor as int32 values (tokens, targets).
func (r *Fixture) Ints(name string) []int32 {
	src, _, _ := r.Tensor(name)
	out := make([]int32, len(src))
	for i, v := range src {
		out[i] = int32(v)
	}
	return out
}
