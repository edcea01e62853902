package model

import (
	"math"

	"github.com/gptgo/gptgo/kernels"
)

// CrossEntropyForward turns each row of logits into probabilities IN PLACE
// and returns the mean cross-entropy over the rows whose target is not -1,
// and how many such rows there were:
//
//	p = softmax(logits) = e^(l - max) / Σ e^(l - max)
//	loss_r = log Σ e^(l - max) + max - l[target]
//
// losses[r] holds each row's loss (0 for ignored rows). The mean is summed
// in float64 in row order, so it is the same for any thread count.
// Shapes: probs [N,V] (holds the logits on entry), losses [N], targets [N].
func CrossEntropyForward(probs, losses []float32, targets []int32, N, V int) (mean float32, count int) {
	kernels.For(N, 1, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			row := probs[r*V : (r+1)*V]
			mx := kernels.MaxF32(row)
			tgt := targets[r]
			var shifted float32 // l[target] - max, read before row is overwritten
			if tgt >= 0 {
				shifted = row[tgt] - mx
			}
			sum := kernels.ExpSubSum(row, row, mx)
			if tgt >= 0 {
				losses[r] = float32(math.Log(float64(sum))) - shifted
			} else {
				losses[r] = 0
			}
			kernels.ScaleF32(row, row, 1/sum)
		}
	})
	var total float64
	for r := 0; r < N; r++ {
		if targets[r] >= 0 {
			total += float64(losses[r])
			count++
		}
	}
	if count == 0 {
		return 0, 0
	}
	return float32(total / float64(count)), count
}

// CrossEntropyBackward applies the chain rule to the mean loss through the
// softmax, in place: for rows with a target,
//
//	dlogits = (p - onehot(target)) / count
//
// and 0 for ignored rows. dlogits may be (and in Model is) the probs buffer.
// Shapes: dlogits [N,V], probs [N,V], targets [N].
func CrossEntropyBackward(dlogits, probs []float32, targets []int32, count, N, V int) {
	scale := 1 / float32(count)
	kernels.For(N, 1, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			d, p := dlogits[r*V:(r+1)*V], probs[r*V:(r+1)*V]
			tgt := targets[r]
			if tgt < 0 {
				clear(d)
				continue
			}
			kernels.ScaleF32(d, p, scale)
			d[tgt] -= scale
		}
	})
}
