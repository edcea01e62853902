package model

import (
	"math"

	"github.com/gptgo/gptgo/kernels"
)

// CrossEntropy is the fused softmax + cross-entropy output layer, forward
// and backward in one pass over each row of logits (which is read once from
// memory and written once). It returns the mean loss over the rows whose
// target is not -1 and how many such rows there were, and overwrites the
// logits with the gradient of that mean:
//
//	p = softmax(l) = e^(l - max) / Σ e^(l - max)
//	loss_r = log Σ e^(l - max) + max - l[target]
//	dloss/dl = (p - onehot(target)) / count         (0 for ignored rows)
//
// The backward needs nothing but p and the target, so computing it here
// saves a second pass over the [N,V] buffer, the largest in the model.
// losses[r] holds each row's loss (0 for ignored rows). The mean is summed
// in float64 in row order, so it is the same for any thread count.
// Shapes: dlogits [N,V] (holds the logits on entry), losses [N], targets [N].
func CrossEntropy(dlogits, losses []float32, targets []int32, N, V int) (mean float32, count int) {
	for _, t := range targets[:N] {
		if t >= 0 {
			count++
		}
	}
	if count == 0 {
		clear(dlogits[:N*V])
		clear(losses[:N])
		return 0, 0
	}
	scale := 1 / float32(count)
	kernels.For(N, 1, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			row := dlogits[r*V : (r+1)*V]
			tgt := targets[r]
			if tgt < 0 {
				clear(row)
				losses[r] = 0
				continue
			}
			mx := kernels.MaxF32(row)
			shifted := row[tgt] - mx // read before row is overwritten
			sum := kernels.ExpSubSum(row, row, mx)
			losses[r] = float32(math.Log(float64(sum))) - shifted
			kernels.ScaleF32(row, row, scale/sum)
			row[tgt] -= scale
		}
	})
	var total float64
	for r := 0; r < N; r++ {
		if targets[r] >= 0 {
			total += float64(losses[r])
		}
	}
	return float32(total / float64(count)), count
}
