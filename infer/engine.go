package infer

import (
	"fmt"

	"github.com/gptgo/gptgo/attention"
	"github.com/gptgo/gptgo/model"
)

// Engine runs a model for inference with a KV cache per layer. Prefill
// processes a prompt in one batched forward pass (matrix-matrix products)
// that fills the caches; Decode then runs one token at a time through every
// layer (matrix-vector products) attending to the cached keys and values.
// Both return only the logits of the last position: the output head is a
// single pass over wte. An Engine is not safe for concurrent use; its
// buffers are allocated once and reused.
type Engine struct {
	Model  *model.Model
	caches []*attention.KVCache // one per layer
	tokens []int                // the tokens in the cache, positions 0..len-1

	buf              rowBuffers // the rows being appended
	lnf              []float32  // [C]
	logits           []float32  // [V]
	lnfMean, lnfRstd []float32  // [1]
}

// NewEngine returns an engine for m with empty caches of m's full context.
func NewEngine(m *model.Model) *Engine {
	c := m.Config
	e := &Engine{Model: m, caches: make([]*attention.KVCache, c.Layers)}
	for l := range e.caches {
		e.caches[l] = attention.NewKVCache(c.Context, c.Embd, c.Heads)
	}
	e.lnf = make([]float32, c.Embd)
	e.logits = make([]float32, c.VocabSize)
	e.lnfMean, e.lnfRstd = make([]float32, 1), make([]float32, 1)
	return e
}

// Len is the number of positions in the cache.
func (e *Engine) Len() int { return len(e.tokens) }

// Tokens returns the tokens in the cache (do not modify).
func (e *Engine) Tokens() []int { return e.tokens }

// Reset empties the cache.
func (e *Engine) Reset() { e.tokens = e.tokens[:0] }

// KVBytes is the memory the cached keys and values of n positions occupy
// over all layers: 2 * layers * n * C * 4 bytes.
func (e *Engine) KVBytes(n int) int { return e.Model.Config.Layers * e.caches[0].Bytes(n) }

// Prefill empties the cache, runs tokens through the model in one batched
// forward pass and returns the logits [V] that predict the next token. The
// slice is the engine's and is overwritten by the next call.
func (e *Engine) Prefill(tokens []int) ([]float32, error) {
	e.Reset()
	return e.Append(tokens)
}

// Decode appends one token and returns the logits [V] for the next one.
func (e *Engine) Decode(token int) ([]float32, error) {
	return e.Append([]int{token})
}

// Append runs tokens at the positions after the cached ones, attending to
// the cache and to each other causally, stores their keys and values and
// returns the logits [V] after the last of them. One token takes the
// matrix-vector path; more take the batched path.
func (e *Engine) Append(tokens []int) ([]float32, error) {
	c := e.Model.Config
	T, pos := len(tokens), len(e.tokens)
	if T == 0 {
		return nil, fmt.Errorf("infer: no tokens to process")
	}
	if pos+T > c.Context {
		return nil, fmt.Errorf("infer: %d tokens after %d cached exceed the model's context of %d", T, pos, c.Context)
	}
	for _, id := range tokens {
		if id < 0 || id >= c.VocabSize {
			return nil, fmt.Errorf("infer: token id %d outside the vocabulary [0, %d)", id, c.VocabSize)
		}
	}
	e.buf.ensure(T, c.Embd)
	w := &e.Model.W
	C := c.Embd
	res, ids := e.buf.res[:T*C], e.buf.ids[:T]
	for t, id := range tokens {
		ids[t] = int32(id)
	}
	model.EncoderForwardAt(res, ids, &w.WTE, w.WPE, pos, 1, T, C)
	acts := e.buf.acts(T, C)
	for l := range w.Blocks {
		cache := e.caches[l]
		attend := func(atty, qkv []float32) { cache.Forward(atty, qkv, pos, T) }
		model.BlockForward(&acts, res, &w.Blocks[l], c.Activation, attend, model.BlockDropout{}, T, C)
	}
	// Only the last position's logits: one pass over the [V, C] embedding.
	model.LayerNormForward(e.lnf, e.lnfMean, e.lnfRstd, res[(T-1)*C:], w.LNFW, w.LNFB, 1, C)
	w.WTE.MulT(e.logits, e.lnf, 1)
	e.tokens = append(e.tokens, tokens...)
	return e.logits, nil
}
