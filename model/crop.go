package model

import "fmt"

// CropContext returns a float32 model of m's shape with a context of n
// positions: the first n rows of the position embedding and every other
// parameter as they are (nanoGPT's crop_block_size), so the model computes
// exactly what m computes on sequences of up to n tokens. n equal to m's
// context returns m itself; a longer one is an error, since no weights
// exist for the new positions.
func (m *Model) CropContext(n int) (*Model, error) {
	c := m.Config
	switch {
	case m.Params == nil:
		return nil, fmt.Errorf("model: the weights are %v; cropping needs float32", m.W.DType)
	case n < 1 || n > c.Context:
		return nil, fmt.Errorf("model: context %d outside 1..%d, the model's", n, c.Context)
	case n == c.Context:
		return m, nil
	}
	cc := c
	cc.Context = n
	out, err := NewEmpty(cc)
	if err != nil {
		return nil, err
	}
	// Both layouts list the same tensors in the same order; only wpe
	// shrinks, and its first rows are its first elements.
	to := Layout(cc)
	for i, t := range Layout(c) {
		copy(out.Params[to[i].Offset:to[i].Offset+to[i].Size], m.Params[t.Offset:t.Offset+t.Size])
	}
	return out, nil
}
