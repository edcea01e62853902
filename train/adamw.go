package train

import (
	"math"

	"github.com/gptgo/gptgo/kernels"
	"github.com/gptgo/gptgo/model"
)

// AdamW is Adam with decoupled weight decay (Loshchilov & Hutter). For each
// parameter p with gradient g, at step t (from 1):
//
//	m = β1 m + (1-β1) g          v = β2 v + (1-β2) g²
//	p -= lr * ( m/(1-β1^t) / (sqrt(v/(1-β2^t)) + eps)  +  wd * p )
//
// Weight decay applies only to 2-D tensors (matmul weights and embeddings),
// not to biases or LayerNorm parameters. M and V share the parameters'
// flat layout.
type AdamW struct {
	Beta1, Beta2, Eps, WeightDecay float32
	Step                           int       // updates done so far
	M, V                           []float32 // first and second moments
	// Lo is the first parameter M and V cover: 0, or with ZeRO-1 this
	// rank's shard (M and V then hold only the shard's moments).
	Lo     int
	decay  []bool // per tensor of the layout
	layout []model.Tensor
}

// AdamW's defaults, GPT-2's and nanoGPT's.
const (
	DefaultBeta1 = 0.9
	DefaultBeta2 = 0.95
	DefaultEps   = 1e-8
)

// NewAdamW returns an optimizer for a model of shape c with the defaults:
// betas (0.9, 0.95), eps 1e-8, weight decay 0.1.
func NewAdamW(c model.Config) *AdamW {
	n := model.NumParams(c)
	o := &AdamW{Beta1: DefaultBeta1, Beta2: DefaultBeta2, Eps: DefaultEps, WeightDecay: 0.1,
		M: make([]float32, n), V: make([]float32, n), layout: model.Layout(c)}
	for _, t := range o.layout {
		o.decay = append(o.decay, t.Decays())
	}
	return o
}

// Update applies one AdamW step with learning rate lr to params using
// gradScale*grads: gradScale carries gradient clipping's factor (see
// ClipScale) and the 1/n of n accumulated micro-batches, so neither needs a
// pass over the gradients of its own. Elements are independent, so the
// result does not depend on the thread count.
func (o *AdamW) Update(params, grads []float32, lr, gradScale float32) {
	o.UpdateShard(params[o.Lo:o.Lo+len(o.M)], grads[o.Lo:o.Lo+len(o.M)], lr, gradScale)
}

// Shard makes o cover only parameters lo..hi-1 (ZeRO-1: each rank keeps
// the moments of its shard alone), dropping the other moments.
func (o *AdamW) Shard(lo, hi int) {
	o.M, o.V, o.Lo = append([]float32(nil), o.M[lo:hi]...), append([]float32(nil), o.V[lo:hi]...), lo
}

// UpdateShard is Update for the parameters o covers: params and grads are
// those parameters and their gradients, len(o.M) values from o.Lo.
func (o *AdamW) UpdateShard(params, grads []float32, lr, gradScale float32) {
	o.Step++
	t := float64(o.Step)
	// Bias corrections in float64, as torch computes them.
	stepSize := float32(float64(lr) / (1 - math.Pow(float64(o.Beta1), t)))
	rbc2 := float32(1 / math.Sqrt(1-math.Pow(float64(o.Beta2), t)))
	for ti, ts := range o.layout {
		c := kernels.AdamWParams{Beta1: o.Beta1, Beta2: o.Beta2, Eps: o.Eps,
			StepSize: stepSize, RBC2: rbc2, GradScale: gradScale}
		if o.decay[ti] {
			c.WD = lr * o.WeightDecay
		}
		lo, hi := max(ts.Offset, o.Lo)-o.Lo, min(ts.Offset+ts.Size, o.Lo+len(o.M))-o.Lo
		if lo >= hi {
			continue // the tensor is outside the shard
		}
		p, g, m, v := params[lo:hi], grads[lo:hi], o.M[lo:hi], o.V[lo:hi]
		// kernels.AdamWF32 is elementwise (its plain Go reference is
		// kernels.adamwGo, the loop this used to be), so splitting the span
		// between threads does not change any result.
		kernels.For(len(p), 1<<14, func(lo, hi int) {
			kernels.AdamWF32(p[lo:hi], g[lo:hi], m[lo:hi], v[lo:hi], c)
		})
	}
}
