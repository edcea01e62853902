package train

import (
	"math"

	"github.com/gptgo/gptgo/kernels"
)

// normBlock is the span of one partial sum in GradNorm. Fixed, not tied to
// the thread count, so the norm is bit-identical for any number of threads.
const normBlock = 1 << 15

// GradNorm returns the global L2 norm sqrt(Σ g²) of grads, summed in float64.
// partial is scratch of at least (len(grads)+normBlock-1)/normBlock floats
// (nil allocates it).
func GradNorm(grads []float32, partial []float64) float64 {
	nb := (len(grads) + normBlock - 1) / normBlock
	if len(partial) < nb {
		partial = make([]float64, nb)
	}
	kernels.For(nb, 1, func(lo, hi int) {
		for b := lo; b < hi; b++ {
			partial[b] = sumSquares(grads[b*normBlock : min((b+1)*normBlock, len(grads))])
		}
	})
	var sum float64
	for _, s := range partial[:nb] {
		sum += s
	}
	return math.Sqrt(sum)
}

// sumSquares returns Σ x² in float64, with four independent accumulators
// so the additions do not wait on each other (a fixed order: the result
// depends only on x).
func sumSquares(x []float32) float64 {
	var s0, s1, s2, s3 float64
	n := len(x) &^ 3
	for i := 0; i < n; i += 4 {
		a, b, c, d := float64(x[i]), float64(x[i+1]), float64(x[i+2]), float64(x[i+3])
		s0 += a * a
		s1 += b * b
		s2 += c * c
		s3 += d * d
	}
	for _, v := range x[n:] {
		s0 += float64(v) * float64(v)
	}
	return (s0 + s1) + (s2 + s3)
}

// ClipScale returns the factor that global-norm clipping multiplies the
// gradients by: as in torch.nn.utils.clip_grad_norm_, maxNorm/(norm + 1e-6)
// when that is below 1, else 1. maxNorm <= 0 disables clipping. The factor
// is applied inside the optimizer's update (AdamW.Update's gradScale).
func ClipScale(norm, maxNorm float64) float64 {
	if maxNorm <= 0 {
		return 1
	}
	return min(1, maxNorm/(norm+1e-6))
}
