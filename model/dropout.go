package model

import "github.com/gptgo/gptgo/kernels"

// Dropout (Srivastava et al. 2014), in its inverted form: in training each
// element is zeroed with probability p and the survivors are scaled by
// 1/(1-p), so evaluation needs no rescaling and simply leaves it out. The
// model drops where nanoGPT does: the embedding sum, the attention
// probabilities, and the outputs of the attention and MLP projections
// before each joins the residual stream. Masks come from
// kernels.Dropout's keyed hash, so Backward draws the same masks again
// instead of storing them.

// BlockDropout are the dropout layers of one block in one training pass:
// Att on the attention probabilities (applied by the model's Attend, see
// attention.ForwardDropout), AttProj and FCProj on the two projections'
// outputs (applied by BlockForward). The zero value drops nothing, as
// inference needs.
type BlockDropout struct{ Att, AttProj, FCProj kernels.Dropout }

// blockDropout returns block l's layers under the pass's key; the
// embedding's layer is drop.Sub(0).
func blockDropout(drop kernels.Dropout, l int) BlockDropout {
	k := uint64(1 + 3*l)
	return BlockDropout{Att: drop.Sub(k), AttProj: drop.Sub(k + 1), FCProj: drop.Sub(k + 2)}
}

// DropoutForward computes out = inp ⊙ mask / (1-p) over n elements (the
// mask's index is the element's); out may be inp. An inactive d copies.
// Shapes: out [n], inp [n].
func DropoutForward(out, inp []float32, d kernels.Dropout, n int) {
	if !d.Active() {
		copy(out[:n], inp[:n])
		return
	}
	kernels.For(n, 1<<14, func(lo, hi int) { d.Apply(out[lo:hi], inp[lo:hi], lo, hi-lo) })
}

// DropoutBackward is DropoutForward's chain rule, dinp = dout ⊙ mask /
// (1-p): the same masks, so the same operation. It returns the gradient
// of the input: dinp, or dout itself when d is inactive (nothing is
// copied).
// Shapes: dinp [n], dout [n].
func DropoutBackward(dinp, dout []float32, d kernels.Dropout, n int) []float32 {
	if !d.Active() {
		return dout[:n]
	}
	DropoutForward(dinp, dout, d, n)
	return dinp[:n]
}
