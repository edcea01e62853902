package model

import "fmt"

// What a forward pass leaves to look at, for the tools that show the
// inside of the model (gpt attention, gpt inspect): the attention
// probabilities of each layer and the logit lens, the residual stream
// read out as logits after the embedding and after each block.

// AttentionProbs returns layer l's attention probabilities of the last
// Forward, [B, heads, T, T] row by row: entry (b, h, i, j) is how much
// position i of sequence b attends to position j in head h (0 for j > i).
// The slice is the model's, valid until the next Forward.
func (m *Model) AttentionProbs(l int) ([]float32, error) {
	if m.acts == nil {
		return nil, fmt.Errorf("model: no forward pass yet")
	}
	if l < 0 || l >= m.Config.Layers {
		return nil, fmt.Errorf("model: layer %d outside 0..%d", l, m.Config.Layers-1)
	}
	a, B, T, NH := m.acts, m.B, m.T, m.Config.Heads
	out := a.blocks[l].att[:B*NH*T*T]
	// Forward leaves the entries right of the diagonal in a row block
	// unwritten; they are 0 by definition.
	for r := range B * NH * T {
		clear(out[r*T+r%T+1 : (r+1)*T])
	}
	return out, nil
}

// LogitLens returns, for position pos of sequence 0 of the last Forward,
// the logits [V] the model would give if its residual stream were read out
// (final LayerNorm, then the tied head) after the embedding (row 0) and
// after each block (rows 1..Layers). The last row is the model's own
// logits at pos.
func (m *Model) LogitLens(pos int) ([][]float32, error) {
	if m.acts == nil {
		return nil, fmt.Errorf("model: no forward pass yet")
	}
	if pos < 0 || pos >= m.T {
		return nil, fmt.Errorf("model: position %d outside 0..%d", pos, m.T-1)
	}
	c, a := m.Config, m.acts
	C, V := c.Embd, c.VocabSize
	streams := [][]float32{a.encoded}
	for l := range a.blocks {
		streams = append(streams, a.blocks[l].Res3)
	}
	ln, mean, rstd := make([]float32, C), make([]float32, 1), make([]float32, 1)
	out := make([][]float32, len(streams))
	for i, res := range streams {
		LayerNormForward(ln, mean, rstd, res[pos*C:(pos+1)*C], m.W.LNFW, m.W.LNFB, 1, C)
		out[i] = make([]float32, V)
		m.W.WTE.MulT(out[i], ln, 1)
	}
	return out, nil
}

// CentralDifference returns (loss(x+h) - loss(x-h)) / 2h for parameter i
// (an index into Params), the limit definition of the derivative that
// Backward's value for Grads[i] approaches as h shrinks (until float32
// rounding of the loss takes over). The parameter is restored.
func (m *Model) CentralDifference(i int, h float32, tokens, targets []int32, B, T int) (float64, error) {
	if m.Params == nil || i < 0 || i >= len(m.Params) {
		return 0, fmt.Errorf("model: no float32 parameter %d", i)
	}
	x := m.Params[i]
	defer func() { m.Params[i] = x }()
	m.Params[i] = x + h
	up, err := m.Forward(tokens, targets, B, T)
	if err != nil {
		return 0, err
	}
	m.Params[i] = x - h
	down, err := m.Forward(tokens, targets, B, T)
	if err != nil {
		return 0, err
	}
	// The step actually taken, in float32: (x+h) - (x-h) need not be 2h.
	return (float64(up) - float64(down)) / (float64(x+h) - float64(x-h)), nil
}
