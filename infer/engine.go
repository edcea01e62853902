package infer

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

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

	rows                int       // rows the [rows, ...] buffers hold
	res, ln, atty, proj []float32 // [rows, C]
	qkv                 []float32 // [rows, 3C]
	fch                 []float32 // [rows, 4C]
	mean, rstd          []float32 // [rows]
	lnf                 []float32 // [C]
	logits              []float32 // [V]
	lnfMean, lnfRstd    []float32 // [1]
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
	e.ensure(T)
	p := &e.Model.P
	C, V := c.Embd, c.VocabSize
	res, ln, qkv, atty, proj := e.res[:T*C], e.ln[:T*C], e.qkv[:T*3*C], e.atty[:T*C], e.proj[:T*C]
	fch, mean, rstd := e.fch[:T*4*C], e.mean[:T], e.rstd[:T]

	// x[t] = wte[token t] + wpe[pos + t]
	for t, id := range tokens {
		x, w := res[t*C:(t+1)*C], p.WTE[id*C:(id+1)*C]
		wp := p.WPE[(pos+t)*C : (pos+t+1)*C]
		for i := range x {
			x[i] = w[i] + wp[i]
		}
	}
	for l := range p.Blocks {
		b := &p.Blocks[l]
		model.LayerNormForward(ln, mean, rstd, res, b.LN1W, b.LN1B, T, C)
		linear(qkv, ln, b.QKVW, b.QKVB, T, C, 3*C)
		e.caches[l].Forward(atty, qkv, pos, T)
		linear(proj, atty, b.AttProjW, b.AttProjB, T, C, C)
		model.ResidualForward(res, res, proj, T*C)
		model.LayerNormForward(ln, mean, rstd, res, b.LN2W, b.LN2B, T, C)
		linear(fch, ln, b.FCW, b.FCB, T, C, 4*C)
		model.ActivationForward(fch, fch, c.Activation, T*4*C)
		linear(proj, fch, b.FCProjW, b.FCProjB, T, 4*C, C)
		model.ResidualForward(res, res, proj, T*C)
	}
	// Only the last position's logits: logits = wte @ lnf(x[T-1]), one
	// pass over the [V, C] embedding.
	model.LayerNormForward(e.lnf, e.lnfMean, e.lnfRstd, res[(T-1)*C:], p.LNFW, p.LNFB, 1, C)
	blas32.Gemv(blas.NoTrans, 1, blas32.General{Rows: V, Cols: C, Stride: C, Data: p.WTE},
		blas32.Vector{N: C, Inc: 1, Data: e.lnf}, 0, blas32.Vector{N: V, Inc: 1, Data: e.logits})
	e.tokens = append(e.tokens, tokens...)
	return e.logits, nil
}

// ensure sizes the row buffers for at least T rows.
func (e *Engine) ensure(T int) {
	if T <= e.rows {
		return
	}
	C := e.Model.Config.Embd
	f := func(n int) []float32 { return make([]float32, n) }
	e.rows = T
	e.res, e.ln, e.atty, e.proj = f(T*C), f(T*C), f(T*C), f(T*C)
	e.qkv, e.fch = f(T*3*C), f(T*4*C)
	e.mean, e.rstd = f(T), f(T)
}

// linear is model.MatmulForward, out = inp @ w + b, with a matrix-vector
// product for a single row: y = wᵀ x streams the row-major [C, OC] weight
// once, row by row.
// Shapes: out [N,OC], inp [N,C], w [C,OC], b [OC].
func linear(out, inp, w, b []float32, N, C, OC int) {
	if N > 1 {
		model.MatmulForward(out, inp, w, b, N, C, OC)
		return
	}
	copy(out[:OC], b)
	blas32.Gemv(blas.Trans, 1, blas32.General{Rows: C, Cols: OC, Stride: OC, Data: w[:C*OC]},
		blas32.Vector{N: C, Inc: 1, Data: inp[:C]}, 1, blas32.Vector{N: OC, Inc: 1, Data: out[:OC]})
}
