package infer

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gptgo/gptgo/kernels"
	"github.com/gptgo/gptgo/model"
)

// testModel returns a small model with GPT-2 initialisation plus noise, so
// its predictions are far from uniform and differences show.
func testModel(t testing.TB, c model.Config, seed uint64) *model.Model {
	t.Helper()
	m, err := model.New(c, seed)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(seed, 3))
	for i := range m.Params {
		m.Params[i] += float32(r.NormFloat64() * 0.1)
	}
	return m
}

var smallConfig = model.Config{VocabSize: 97, Context: 80, Layers: 2, Heads: 4, Embd: 32, Activation: model.GELU}

func randomTokens(n, vocab int, seed uint64) []int {
	r := rand.New(rand.NewPCG(seed, 5))
	ids := make([]int, n)
	for i := range ids {
		ids[i] = r.IntN(vocab)
	}
	return ids
}

// fullLogits recomputes the logits of every position with model.Forward.
func fullLogits(t testing.TB, m *model.Model, tokens []int) []float32 {
	t.Helper()
	ids := make([]int32, len(tokens))
	for i, id := range tokens {
		ids[i] = int32(id)
	}
	if _, err := m.Forward(ids, nil, 1, len(ids)); err != nil {
		t.Fatal(err)
	}
	return append([]float32(nil), m.Logits()...)
}

// closeRow compares one position's logits relative to the row's scale
// (its largest magnitude): |got - want| <= 1e-5 * max(1, max|want|).
func closeRow(t *testing.T, what string, got, want []float32) {
	t.Helper()
	var scale float64 = 1
	for _, w := range want {
		scale = max(scale, math.Abs(float64(w)))
	}
	for i := range want {
		if d := math.Abs(float64(got[i] - want[i])); d > 1e-5*scale {
			t.Fatalf("%s: logit %d = %g, full recompute gives %g (scale %g)", what, i, got[i], want[i], scale)
		}
	}
}

// TestCachedDecodingMatchesRecompute checks prefill + cached decoding
// against a full forward pass at every position, for several prompt
// lengths (1 token, within one row block, across row blocks), in every
// dtype. With q8_0 and q4_0 weights both paths round the activations to
// int8 blocks (the prompt's GEMM as the decoding dot products do).
func TestCachedDecodingMatchesRecompute(t *testing.T) {
	for _, dt := range kernels.DTypes {
		t.Run(dt.String(), func(t *testing.T) { cachedMatchesRecompute(t, dt) })
	}
}

// quantized returns testModel(c, seed) in dtype dt.
func quantized(t testing.TB, c model.Config, seed uint64, dt kernels.DType) *model.Model {
	m := testModel(t, c, seed)
	if err := m.Quantize(dt); err != nil {
		t.Fatal(err)
	}
	return m
}

func cachedMatchesRecompute(t *testing.T, dt kernels.DType) {
	c := smallConfig
	m := quantized(t, c, 1, dt)
	tokens := randomTokens(c.Context, c.VocabSize, 2)
	want := fullLogits(t, m, tokens)
	V := c.VocabSize
	for _, prompt := range []int{1, 7, 70} {
		e := NewEngine(m)
		logits, err := e.Prefill(tokens[:prompt])
		if err != nil {
			t.Fatal(err)
		}
		closeRow(t, "prefill", logits, want[(prompt-1)*V:prompt*V])
		for pos := prompt; pos < len(tokens); pos++ {
			logits, err = e.Decode(tokens[pos])
			if err != nil {
				t.Fatal(err)
			}
			closeRow(t, "decode", logits, want[pos*V:(pos+1)*V])
		}
		if e.Len() != c.Context {
			t.Fatalf("cache holds %d positions, want %d", e.Len(), c.Context)
		}
		if _, err := e.Decode(0); err == nil {
			t.Fatal("decoding past the context did not fail")
		}
	}
}

// TestAppendChunks checks that a prompt appended in several batched chunks
// gives the same logits as a full recompute.
func TestAppendChunks(t *testing.T) {
	c := smallConfig
	m := testModel(t, c, 3)
	tokens := randomTokens(50, c.VocabSize, 4)
	want := fullLogits(t, m, tokens)
	e := NewEngine(m)
	pos := 0
	for _, n := range []int{20, 1, 29} {
		logits, err := e.Append(tokens[pos : pos+n])
		if err != nil {
			t.Fatal(err)
		}
		pos += n
		closeRow(t, "append", logits, want[(pos-1)*c.VocabSize:pos*c.VocabSize])
	}
}

func TestEngineErrors(t *testing.T) {
	c := smallConfig
	e := NewEngine(testModel(t, c, 1))
	if _, err := e.Prefill(nil); err == nil {
		t.Error("empty prompt accepted")
	}
	if _, err := e.Prefill([]int{c.VocabSize}); err == nil {
		t.Error("token outside the vocabulary accepted")
	}
	if _, err := e.Prefill(make([]int, c.Context+1)); err == nil {
		t.Error("prompt longer than the context accepted")
	}
}
