package model

import (
	"fmt"

	"github.com/gptgo/gptgo/kernels"
)

// FromWeights returns a model of shape c that runs the quantized weights w
// (dtype bf16, q8_0 or q4_0, as Quantize makes them), for weights read
// from a file without ever holding float32 matrices. Every tensor's shape
// is checked against c. Like a model after Quantize it has no float32
// parameters and cannot train.
func FromWeights(c Config, w Weights) (*Model, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if err := checkWeights(c, &w); err != nil {
		return nil, err
	}
	return &Model{Config: c, W: w}, nil
}

// checkWeights reports the first tensor of w that does not fit shape c.
func checkWeights(c Config, w *Weights) error {
	dt := w.DType
	if dt == kernels.F32 || dt >= kernels.DType(len(kernels.DTypes)) {
		return fmt.Errorf("model: weights of dtype %v: FromWeights takes bf16, q8_0 or q4_0 (FromParams takes float32)", dt)
	}
	if err := CanQuantize(c); err != nil {
		return err
	}
	if len(w.Blocks) != c.Layers {
		return fmt.Errorf("model: %d blocks of weights for a config of %d layers", len(w.Blocks), c.Layers)
	}
	want := EmptyWeights(c, dt)
	ws, wants := w.Slots(), want.Slots()
	for i, t := range Layout(c) {
		if err := checkSlot(ws[i], wants[i], t, dt); err != nil {
			return fmt.Errorf("model: %s: %v", t.Name, err)
		}
	}
	return nil
}

// checkSlot compares the tensor s with want, the same slot of weights
// of the right shape, for layout tensor t.
func checkSlot(s, want Slot, t Tensor, dt kernels.DType) error {
	if want.Q == nil {
		if n := len(*s.F); n != t.Size {
			return fmt.Errorf("%d floats, want %d", n, t.Size)
		}
		return nil
	}
	if s.Rows != want.Rows || s.Cols != want.Cols {
		return fmt.Errorf("declared %d x %d, want %d x %d", s.Rows, s.Cols, want.Rows, want.Cols)
	}
	q := *s.Q
	switch {
	case q == nil:
		return fmt.Errorf("no %v matrix", dt)
	case q.DType != dt:
		return fmt.Errorf("a %v matrix in %v weights", q.DType, dt)
	case q.Rows != want.Rows || q.Cols != want.Cols:
		return fmt.Errorf("a %d x %d matrix, want %d x %d ([out, in])", q.Rows, q.Cols, want.Rows, want.Cols)
	}
	return nil
}

// EmptyWeights returns weights of shape c and dtype dt with every tensor
// nil, sized (Table and Linear dimensions, the number of blocks) for
// filling through Slots.
func EmptyWeights(c Config, dt kernels.DType) Weights {
	C, V := c.Embd, c.VocabSize
	w := Weights{DType: dt, WTE: Table{Rows: V, Cols: C}, Blocks: make([]BlockWeights, c.Layers)}
	for l := range w.Blocks {
		w.Blocks[l] = BlockWeights{QKV: Linear{In: C, Out: 3 * C}, AttProj: Linear{In: C, Out: C},
			FC: Linear{In: C, Out: 4 * C}, FCProj: Linear{In: 4 * C, Out: C}}
	}
	return w
}

// Slot is where one tensor of Weights lives, for code that reads or
// writes weights tensor by tensor (checkpoint files). A float32 tensor
// (position embedding, bias, LayerNorm) has only F. A matrix (the token
// embedding, a block's linear weight) has F for its float32 form and Q
// for its quantized one, which is Rows x Cols: [V, C] for the token
// embedding, [out, in] for a linear weight, whose float32 form is the
// transpose ([in, out], Transposed).
type Slot struct {
	F          *[]float32
	Q          **kernels.QMatrix // nil for a float32-only tensor
	Rows, Cols int               // of the quantized matrix
	Transposed bool              // F is [Cols, Rows]
}

// Slots returns w's tensors in Layout order: slot i holds the tensor
// Layout(c)[i] describes.
func (w *Weights) Slots() []Slot {
	f := func(x *[]float32) Slot { return Slot{F: x} }
	lin := func(l *Linear) []Slot {
		return []Slot{{F: &l.W, Q: &l.Q, Rows: l.Out, Cols: l.In, Transposed: true}, f(&l.B)}
	}
	s := []Slot{{F: &w.WTE.F, Q: &w.WTE.Q, Rows: w.WTE.Rows, Cols: w.WTE.Cols}, f(&w.WPE)}
	for l := range w.Blocks {
		b := &w.Blocks[l]
		s = append(s, f(&b.LN1W), f(&b.LN1B))
		s = append(s, lin(&b.QKV)...)
		s = append(s, lin(&b.AttProj)...)
		s = append(s, f(&b.LN2W), f(&b.LN2B))
		s = append(s, lin(&b.FC)...)
		s = append(s, lin(&b.FCProj)...)
	}
	return append(s, f(&w.LNFW), f(&w.LNFB))
}
