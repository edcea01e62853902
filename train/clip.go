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
			var s float64
			for _, g := range grads[b*normBlock : min((b+1)*normBlock, len(grads))] {
				s += float64(g) * float64(g)
			}
			partial[b] = s
		}
	})
	var sum float64
	for _, s := range partial[:nb] {
		sum += s
	}
	return math.Sqrt(sum)
}

// ClipGradNorm scales grads so their global norm is at most maxNorm and
// returns the norm before clipping. As in torch.nn.utils.clip_grad_norm_,
// the factor is maxNorm/(norm + 1e-6), applied only when it is below 1.
// maxNorm <= 0 disables clipping. partial is scratch as for GradNorm.
func ClipGradNorm(grads []float32, maxNorm float64, partial []float64) float64 {
	norm := GradNorm(grads, partial)
	if maxNorm <= 0 {
		return norm
	}
	if coef := maxNorm / (norm + 1e-6); coef < 1 {
		c := float32(coef)
		kernels.For(len(grads), 1<<15, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				grads[i] *= c
			}
		})
	}
	return norm
}
