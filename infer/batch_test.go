package infer

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gptgo/gptgo/kernels"
)

// Decoding S sequences together equals decoding each alone: the same
// logits within 1e-5 of each row's scale (bit for bit with quantized
// weights, whose kernels compute each row alone) and the same greedy
// tokens, with sequences of different lengths, one joining and one leaving
// midway; in every dtype.
func TestBatchMatchesOneByOne(t *testing.T) {
	for _, dt := range kernels.DTypes {
		t.Run(dt.String(), func(t *testing.T) { batchMatchesOneByOne(t, dt) })
	}
}

func batchMatchesOneByOne(t *testing.T, dt kernels.DType) {
	m := quantized(t, smallConfig, 2, dt)
	prompts := [][]int{randomTokens(5, 97, 1), randomTokens(1, 97, 2), randomTokens(17, 97, 3), randomTokens(9, 97, 4)}
	alone, batched := make([]*Engine, len(prompts)), make([]*Engine, len(prompts))
	next := make([]int, len(prompts)) // each sequence's next token, from its own greedy decoding
	for i, p := range prompts {
		alone[i], batched[i] = NewEngine(m), NewEngine(m)
		la, err := alone[i].Prefill(p)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := batched[i].Prefill(p); err != nil {
			t.Fatal(err)
		}
		next[i] = Argmax(la)
	}
	b := NewBatch(m)
	for step := range 12 {
		active := []int{0, 1, 2} // sequence 3 joins at step 4, sequence 1 leaves after step 7
		if step >= 4 {
			active = append(active, 3)
		}
		if step > 7 {
			active = []int{0, 2, 3}
		}
		var es []*Engine
		var toks []int
		for _, i := range active {
			es, toks = append(es, batched[i]), append(toks, next[i])
		}
		got, err := b.Decode(es, toks)
		if err != nil {
			t.Fatal(err)
		}
		V := smallConfig.VocabSize
		for s, i := range active {
			want, err := alone[i].Decode(next[i])
			if err != nil {
				t.Fatal(err)
			}
			row := got[s*V : (s+1)*V]
			closeRow(t, "batched row", row, want)
			if dt != kernels.F32 && !slices.Equal(row, want) {
				t.Fatalf("step %d, sequence %d: batched logits differ from decoding alone", step, i)
			}
			if Argmax(row) != Argmax(want) {
				t.Fatalf("step %d, sequence %d: batched greedy token %d, alone %d", step, i, Argmax(row), Argmax(want))
			}
			next[i] = Argmax(want)
		}
	}
	for i := range prompts {
		if a, b := alone[i].Tokens(), batched[i].Tokens(); len(a) != len(b) {
			t.Fatalf("sequence %d: %d tokens alone, %d batched", i, len(a), len(b))
		}
	}
}

// A batch of one is the single-sequence decoding step, bit for bit.
func TestBatchOfOneIsDecode(t *testing.T) {
	m := testModel(t, smallConfig, 3)
	a, b := NewEngine(m), NewEngine(m)
	p := randomTokens(6, 97, 9)
	a.Prefill(p)
	b.Prefill(p)
	want, _ := a.Decode(42)
	got, err := NewBatch(m).Decode([]*Engine{b}, []int{42})
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("logit %d: %v batched, %v by Decode", i, got[i], want[i])
		}
	}
}

func TestBatchErrors(t *testing.T) {
	m, other := testModel(t, smallConfig, 1), testModel(t, smallConfig, 1)
	e, f := NewEngine(m), NewEngine(other)
	e.Prefill([]int{1})
	f.Prefill([]int{1})
	full := NewEngine(m)
	full.Prefill(randomTokens(smallConfig.Context, 97, 1))
	b := NewBatch(m)
	for _, tc := range []struct {
		es   []*Engine
		toks []int
		want string
	}{
		{nil, nil, "at least 1"},
		{[]*Engine{e}, []int{1, 2}, "the same number"},
		{[]*Engine{e, f}, []int{1, 2}, "another model"},
		{[]*Engine{e, e}, []int{1, 2}, "repeats an engine"},
		{[]*Engine{full}, []int{1}, "fill the context"},
		{[]*Engine{e}, []int{97}, "outside the vocabulary"},
	} {
		if _, err := b.Decode(tc.es, tc.toks); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Decode: %v, want an error with %q", err, tc.want)
		}
	}
	if e.Len() != 1 {
		t.Errorf("a failed Decode appended to a sequence: %d tokens", e.Len())
	}
}
