package model

import (
	"fmt"

	"github.com/gptgo/gptgo/attention"
	"github.com/gptgo/gptgo/kernels"
)

// Model is a GPT-2-style transformer with its parameters, gradients and the
// activations of the last forward pass.
type Model struct {
	Config Config
	Params []float32 // flat, laid out by Layout(Config); nil once quantized
	Grads  []float32 // same layout; accumulated by Backward
	P, G   Views     // typed views into Params and Grads
	W      Weights   // what Forward reads: views of Params, or quantized

	acts  *activations    // sized for the last (B, T)
	drop  kernels.Dropout // of the last Forward (inactive outside training)
	B, T  int             // shape of the last Forward
	count int             // targets that were not ignored in the last Forward
	grads bool            // acts.logits holds dloss/dlogits (Forward had targets)
}

// New returns a model of shape c with GPT-2 initialisation from seed.
func New(c Config, seed uint64) (*Model, error) {
	m, err := NewEmpty(c)
	if err != nil {
		return nil, err
	}
	Init(m.Params, c, seed)
	return m, nil
}

// NewEmpty returns a model of shape c with all parameters zero, for loading
// weights into.
func NewEmpty(c Config) (*Model, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return FromParams(c, make([]float32, NumParams(c)))
}

// FromParams returns a model of shape c that adopts params (NumParams(c)
// floats laid out by Layout) as its parameters.
func FromParams(c Config, params []float32) (*Model, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if n := NumParams(c); len(params) != n {
		return nil, fmt.Errorf("model: %d parameters for a config of %d", len(params), n)
	}
	m := &Model{Config: c, Params: params, Grads: make([]float32, len(params))}
	m.P = NewViews(m.Params, c)
	m.G = NewViews(m.Grads, c)
	m.W = FloatWeights(&m.P, c)
	return m, nil
}

// ZeroGrad sets every gradient to zero. Backward accumulates into Grads, so
// call it before each optimizer step (not between micro-batches).
func (m *Model) ZeroGrad() { clear(m.Grads) }

// Forward runs the model on tokens [B, T]. With targets [B, T] (-1 marks a
// position to ignore) it returns the mean cross-entropy over the other
// positions and keeps what Backward needs (the fused loss layer leaves the
// loss's gradient in the logits buffer). With targets nil it returns 0 and
// Logits holds the logits. It never drops anything: evaluation, sampling
// and inference all use it.
func (m *Model) Forward(tokens, targets []int32, B, T int) (float32, error) {
	return m.ForwardDropout(tokens, targets, B, T, kernels.Dropout{})
}

// ForwardDropout is Forward with dropout at rate drop.P (see dropout.go),
// for training: every mask of the pass derives from drop.Key, so the same
// key gives the same pass, and Backward the matching gradient.
func (m *Model) ForwardDropout(tokens, targets []int32, B, T int, drop kernels.Dropout) (float32, error) {
	c := m.Config
	if !(drop.P >= 0 && drop.P < 1) {
		return 0, fmt.Errorf("dropout rate %v outside [0, 1)", drop.P)
	}
	if T > c.Context {
		return 0, fmt.Errorf("sequence length %d exceeds the model's context %d", T, c.Context)
	}
	if len(tokens) != B*T || (targets != nil && len(targets) != B*T) {
		return 0, fmt.Errorf("tokens and targets must hold B*T = %d ids", B*T)
	}
	for _, id := range tokens {
		if id < 0 || int(id) >= c.VocabSize {
			return 0, fmt.Errorf("token id %d outside the vocabulary [0, %d)", id, c.VocabSize)
		}
	}
	for _, id := range targets {
		if id < -1 || int(id) >= c.VocabSize {
			return 0, fmt.Errorf("target id %d outside the vocabulary [0, %d) (or -1 to ignore)", id, c.VocabSize)
		}
	}
	a := m.ensure(B, T, drop.Active())
	m.B, m.T, m.drop = B, T, drop
	a.tokens, a.targets = tokens, targets
	V, C, NH, N := c.VocabSize, c.Embd, c.Heads, B*T

	w := &m.W
	EncoderForwardAt(a.encoded, tokens, &w.WTE, w.WPE, 0, B, T, C)
	DropoutForward(a.encoded, a.encoded, drop.Sub(0), N*C)
	res := a.encoded
	for l := range w.Blocks {
		x, d := &a.blocks[l], blockDropout(drop, l)
		attend := func(atty, qkv []float32) { attention.ForwardDropout(atty, x.att, x.attd, qkv, d.Att, B, T, C, NH) }
		BlockForward(&x.BlockActs, res, &w.Blocks[l], c.Activation, attend, d, N, C)
		res = x.Res3
	}
	LayerNormForward(a.lnf, a.lnfMean, a.lnfRstd, res, w.LNFW, w.LNFB, N, C)
	w.WTE.MulT(a.logits, a.lnf, N)
	m.grads = targets != nil
	if targets == nil {
		return 0, nil
	}
	loss, count := CrossEntropy(a.logits, a.losses, targets, N, V)
	m.count = count
	return loss, nil
}

// Logits returns the [B, T, V] logits of the last Forward without targets.
func (m *Model) Logits() []float32 {
	if m.acts == nil || m.grads {
		return nil
	}
	return m.acts.logits[:m.B*m.T*m.Config.VocabSize]
}

// Backward accumulates into Grads the gradient of the mean loss of the last
// Forward (which must have had targets). It calls the layers in the exact
// reverse order of Forward.
func (m *Model) Backward() error {
	if m.Params == nil {
		return fmt.Errorf("model: the weights are %v; training needs float32", m.W.DType)
	}
	if m.acts == nil || !m.grads {
		return fmt.Errorf("model: Backward needs a Forward with targets first")
	}
	c, a := m.Config, m.acts
	B, T := m.B, m.T
	V, C, NH, N := c.VocabSize, c.Embd, c.Heads, B*T
	if m.count == 0 {
		return nil // every target ignored: the loss is constant
	}
	// CrossEntropy's backward ran fused with its forward: a.logits holds dlogits.
	m.grads = false // Backward consumes them once
	LogitsBackward(a.dres, m.G.WTE, a.logits, a.lnf, m.P.WTE, N, C, V)
	clear(a.dres2)
	LayerNormBackward(a.dres2, m.G.LNFW, m.G.LNFB, a.dres, lastResidual(a), m.P.LNFW, a.lnfMean, a.lnfRstd, N, C)
	dres := a.dres2 // gradient of the residual stream, updated in place
	for l := len(m.P.Blocks) - 1; l >= 0; l-- {
		p, g, x, d := &m.P.Blocks[l], &m.G.Blocks[l], &a.blocks[l], blockDropout(m.drop, l)
		resIn := a.encoded
		if l > 0 {
			resIn = a.blocks[l-1].Res3
		}
		attendBack := func(dqkv, datty []float32) {
			attention.BackwardDropout(dqkv, a.datt, datty, x.QKV, x.att, x.attd, d.Att, B, T, C, NH)
		}
		BlockBackward(dres, g, &x.BlockActs, resIn, p, c.Activation, attendBack, d, a.dbig, a.dln, N, C)
	}
	dres = DropoutBackward(dres, dres, m.drop.Sub(0), N*C)
	EncoderBackward(m.G.WTE, m.G.WPE, dres, a.tokens, B, T, C)
	return nil
}

func lastResidual(a *activations) []float32 {
	if len(a.blocks) == 0 {
		return a.encoded
	}
	return a.blocks[len(a.blocks)-1].Res3
}
