package model

import "github.com/gptgo/gptgo/kernels"

// Weights are what the forward pass reads: for a float32 model, views of
// its parameters; for a quantized one (see Quantize), the token embedding
// and the four matrices of every block in a reduced precision, and the
// rest (position embedding, biases, LayerNorms) in float32. Training
// updates Params and needs float32; inference reads only Weights.
type Weights struct {
	DType      kernels.DType // of WTE and the block matrices
	WTE        Table         // [V, C] token embedding, also the output head
	WPE        []float32     // [maxT, C] position embedding
	Blocks     []BlockWeights
	LNFW, LNFB []float32 // [C]
}

// BlockWeights are the weights one transformer block's forward pass reads.
type BlockWeights struct {
	LN1W, LN1B []float32 // [C]
	QKV        Linear    // C -> 3C, outputs [q | k | v]
	AttProj    Linear    // C -> C
	LN2W, LN2B []float32 // [C]
	FC         Linear    // C -> 4C
	FCProj     Linear    // 4C -> C
}

// Linear is the weight and bias of a linear layer, out = inp @ W + b: in
// float32 in Hugging Face's Conv1D layout [In, Out] (W), or quantized as
// [Out, In] rows (Q), so that each output is one row's dot product.
type Linear struct {
	W       []float32        // [In, Out], or nil when Q is set
	Q       *kernels.QMatrix // [Out, In], or nil
	B       []float32        // [Out], or nil
	In, Out int
}

// Forward computes out = inp @ W + b for N rows.
// Shapes: out [N, Out], inp [N, In].
func (l *Linear) Forward(out, inp []float32, N int) {
	if l.Q == nil {
		MatmulForward(out, inp, l.W, l.B, N, l.In, l.Out)
		return
	}
	kernels.QMatmul(out, inp, l.Q, N)
	if l.B != nil {
		for r := range N {
			o := out[r*l.Out : (r+1)*l.Out]
			for i, v := range l.B {
				o[i] += v
			}
		}
	}
}

// Table is a matrix read by rows, the token embedding: float32 (F) or
// quantized (Q), [Rows, Cols] either way.
type Table struct {
	F          []float32        // [Rows, Cols], or nil when Q is set
	Q          *kernels.QMatrix // [Rows, Cols], or nil
	Rows, Cols int
}

// Row writes row i into dst [Cols].
func (t *Table) Row(dst []float32, i int) {
	if t.Q != nil {
		t.Q.Row(dst, i)
		return
	}
	copy(dst[:t.Cols], t.F[i*t.Cols:(i+1)*t.Cols])
}

// MulT computes out = x @ tableᵀ, the tied output head.
// Shapes: out [N, Rows], x [N, Cols].
func (t *Table) MulT(out, x []float32, N int) {
	if t.Q != nil {
		kernels.QMatmul(out, x, t.Q, N)
		return
	}
	LogitsForward(out, x, t.F, N, t.Cols, t.Rows)
}

// FloatWeights returns the weights of the float32 parameter views p of a
// model of shape c.
func FloatWeights(p *Views, c Config) Weights {
	C, V := c.Embd, c.VocabSize
	lin := func(w, b []float32, in, out int) Linear { return Linear{W: w, B: b, In: in, Out: out} }
	w := Weights{DType: kernels.F32, WTE: Table{F: p.WTE, Rows: V, Cols: C}, WPE: p.WPE,
		Blocks: make([]BlockWeights, len(p.Blocks)), LNFW: p.LNFW, LNFB: p.LNFB}
	for l := range p.Blocks {
		b := &p.Blocks[l]
		w.Blocks[l] = BlockWeights{LN1W: b.LN1W, LN1B: b.LN1B, LN2W: b.LN2W, LN2B: b.LN2B,
			QKV: lin(b.QKVW, b.QKVB, C, 3*C), AttProj: lin(b.AttProjW, b.AttProjB, C, C),
			FC: lin(b.FCW, b.FCB, C, 4*C), FCProj: lin(b.FCProjW, b.FCProjB, 4*C, C)}
	}
	return w
}

// Bytes is the memory the weights occupy.
func (w *Weights) Bytes() int {
	n := 4 * (len(w.WPE) + len(w.LNFW) + len(w.LNFB))
	n += tableBytes(&w.WTE)
	for l := range w.Blocks {
		b := &w.Blocks[l]
		n += 4 * (len(b.LN1W) + len(b.LN1B) + len(b.LN2W) + len(b.LN2B))
		for _, lin := range b.Linears() {
			n += 4*(len(lin.W)+len(lin.B)) + qBytes(lin.Q)
		}
	}
	return n
}

// Linears returns the block's four linear layers in forward order.
func (b *BlockWeights) Linears() []*Linear { return []*Linear{&b.QKV, &b.AttProj, &b.FC, &b.FCProj} }

func tableBytes(t *Table) int { return 4*len(t.F) + qBytes(t.Q) }

func qBytes(q *kernels.QMatrix) int {
	if q == nil {
		return 0
	}
	return q.Bytes()
}
