package infer

import (
	"fmt"
	"slices"

	"github.com/gptgo/gptgo/model"
)

// Batch decodes several independent sequences in one forward pass: each
// step appends one token to each of S engines (sequences at their own
// positions, each with its own KV cache) and streams the weights once for
// all S, as S-row matrix products. Sequences join by being prefilled on
// their own Engine and leave by not being passed to the next step, so the
// set can change between steps. A Batch is not safe for concurrent use;
// its buffers grow to the largest S seen and are reused.
type Batch struct {
	Model *model.Model

	buf    rowBuffers // one row per sequence
	pos    []int      // [S] the position each row is appended at
	logits []float32  // [S, V]
}

// NewBatch returns a batch decoder for engines of m.
func NewBatch(m *model.Model) *Batch { return &Batch{Model: m} }

// Decode appends tokens[s] to engines[s] for every s in one forward pass
// and returns the next-token logits of all of them, [S, V] row by row
// (row s is engines[s]'s). The slice is the Batch's and is overwritten by
// the next call. Every engine must run the Batch's model, appear once, and
// have room for one more token.
func (b *Batch) Decode(engines []*Engine, tokens []int) ([]float32, error) {
	if err := b.check(engines, tokens); err != nil {
		return nil, err
	}
	S, c, w := len(engines), b.Model.Config, &b.Model.W
	C, V := c.Embd, c.VocabSize
	b.ensure(S)
	res, ids := b.buf.res[:S*C], b.buf.ids[:S]
	for s, e := range engines {
		ids[s], b.pos[s] = int32(tokens[s]), e.Len()
		model.EncoderForwardAt(res[s*C:(s+1)*C], ids[s:s+1], &w.WTE, w.WPE, b.pos[s], 1, 1, C)
	}
	acts := b.buf.acts(S, C) // in place, as in Engine.Append
	for l := range w.Blocks {
		attend := func(atty, qkv []float32) {
			for s, e := range engines { // each row attends to its own sequence's cache
				e.caches[l].Forward(atty[s*C:(s+1)*C], qkv[s*3*C:(s+1)*3*C], b.pos[s], 1)
			}
		}
		model.BlockForward(&acts, res, &w.Blocks[l], c.Activation, attend, model.BlockDropout{}, S, C)
	}
	model.LayerNormForward(acts.LN1, acts.LN1Mean, acts.LN1Rstd, res, w.LNFW, w.LNFB, S, C)
	logits := b.logits[:S*V]
	w.WTE.MulT(logits, acts.LN1, S)
	for s, e := range engines {
		e.tokens = append(e.tokens, tokens[s])
	}
	return logits, nil
}

// check validates a Decode call before anything is written.
func (b *Batch) check(engines []*Engine, tokens []int) error {
	c := b.Model.Config
	if len(engines) == 0 || len(engines) != len(tokens) {
		return fmt.Errorf("infer: batch of %d engines and %d tokens (want the same number, at least 1)", len(engines), len(tokens))
	}
	for s, e := range engines {
		switch {
		case e.Model != b.Model:
			return fmt.Errorf("infer: batch row %d runs another model", s)
		case slices.Contains(engines[:s], e): // a few rows: no map per step
			return fmt.Errorf("infer: batch row %d repeats an engine", s)
		case e.Len()+1 > c.Context:
			return fmt.Errorf("infer: batch row %d: %d cached tokens fill the context of %d", s, e.Len(), c.Context)
		case tokens[s] < 0 || tokens[s] >= c.VocabSize:
			return fmt.Errorf("infer: batch row %d: token id %d outside the vocabulary [0, %d)", s, tokens[s], c.VocabSize)
		}
	}
	return nil
}

// ensure sizes the buffers for at least S rows.
func (b *Batch) ensure(S int) {
	c := b.Model.Config
	b.buf.ensure(S, c.Embd)
	if len(b.pos) < S {
		b.pos = make([]int, S)
		b.logits = make([]float32, S*c.VocabSize)
	}
}
