package model

import (
	"fmt"

	"github.com/gptgo/gptgo/kernels"
)

// Quantize converts the model for inference in dtype dt: the token
// embedding and the four matrices of every block become kernels.QMatrix
// ([out, in] rows of blocks along the input), everything else stays
// float32 in a small buffer of its own, and the float32 parameters and
// gradients are dropped (the model can no longer train). F32 leaves a
// float32 model as it is. A model already quantized converts only to its
// own dtype.
func (m *Model) Quantize(dt kernels.DType) error {
	if m.W.DType == dt {
		return nil
	}
	if m.Params == nil {
		return fmt.Errorf("model: the weights are already %v; quantize from float32", m.W.DType)
	}
	if dt == kernels.F32 || dt >= kernels.DType(len(kernels.DTypes)) {
		return fmt.Errorf("model: cannot quantize to %v", dt)
	}
	if err := CanQuantize(m.Config); err != nil {
		return err
	}
	w, err := quantizeWeights(m, dt)
	if err != nil {
		return err
	}
	m.W = w
	m.Params, m.Grads, m.P, m.G = nil, nil, Views{}, Views{}
	m.acts = nil
	return nil
}

// CanQuantize reports why a model of shape c cannot be quantized: every
// matrix row is blocks of kernels.Block inputs, so Embd must be a multiple
// of it.
func CanQuantize(c Config) error {
	if c.Embd%kernels.Block != 0 {
		return fmt.Errorf("model: embedding width %d is not a multiple of %d, which quantized weights need", c.Embd, kernels.Block)
	}
	return nil
}

// quantizeWeights returns m's weights with the matrices in dt and copies
// of the float32 rest.
func quantizeWeights(m *Model, dt kernels.DType) (Weights, error) {
	c, p := m.Config, &m.P
	C, V := c.Embd, c.VocabSize
	var small []float32 // one buffer for the float32 tensors, filled by keep
	keep := func(x []float32) []float32 {
		small = append(small, x...)
		return small[len(small)-len(x) : len(small) : len(small)]
	}
	small = make([]float32, 0, smallFloats(c))
	wte, err := kernels.Quantize(dt, p.WTE, V, C)
	if err != nil {
		return Weights{}, err
	}
	w := Weights{DType: dt, WTE: Table{Q: wte, Rows: V, Cols: C}, WPE: keep(p.WPE),
		Blocks: make([]BlockWeights, c.Layers)}
	lin := func(wt, b []float32, in, out int) Linear {
		q, e := kernels.QuantizeT(dt, wt, out, in)
		if e != nil && err == nil {
			err = e
		}
		return Linear{Q: q, B: keep(b), In: in, Out: out}
	}
	for l := range p.Blocks {
		b := &p.Blocks[l]
		w.Blocks[l] = BlockWeights{LN1W: keep(b.LN1W), LN1B: keep(b.LN1B),
			QKV: lin(b.QKVW, b.QKVB, C, 3*C), AttProj: lin(b.AttProjW, b.AttProjB, C, C),
			LN2W: keep(b.LN2W), LN2B: keep(b.LN2B),
			FC: lin(b.FCW, b.FCB, C, 4*C), FCProj: lin(b.FCProjW, b.FCProjB, 4*C, C)}
	}
	w.LNFW, w.LNFB = keep(p.LNFW), keep(p.LNFB)
	return w, err
}

// smallFloats is the number of parameters of c outside the token embedding
// and the block matrices.
func smallFloats(c Config) int {
	C := c.Embd
	perBlock := 4*C + 3*C + C + 4*C + C // LayerNorms, then the biases
	return c.Context*C + c.Layers*perBlock + 2*C
}
