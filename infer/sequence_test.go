package infer

import (
	"math"
	"testing"

	"github.com/gptgo/gptgo/tokenizer"
)

// OnToken sees every sampled token with log p under the full softmax of
// the logits it was drawn from (checked against a float64 softmax of a
// full recompute), and the alternatives in order, the greedy choice first.
func TestSequenceLogprobs(t *testing.T) {
	c := byteConfig
	m := testModel(t, c, 5)
	tok := tokenizer.Byte{}
	var got []Token
	var text string
	seq := NewSequence(NewEngine(m), tok, Options{MaxTokens: 6}, func(s string) error { text += s; return nil })
	seq.LogProbs, seq.TopLogprobs = true, 3
	seq.OnToken = func(t Token) { got = append(got, t) }
	prompt := tok.Encode("abc")
	logits, err := seq.Start(prompt)
	if err != nil {
		t.Fatal(err)
	}
	history := append([]int(nil), prompt...)
	for {
		id, done, err := seq.Next(logits)
		if err != nil {
			t.Fatal(err)
		}
		// The probabilities of the token just drawn, from scratch.
		full := fullLogits(t, m, history)
		row := full[(len(history)-1)*c.VocabSize:]
		mx := row[Argmax(row)]
		var z float64
		for _, l := range row {
			z += math.Exp(float64(l - mx))
		}
		want := float64(row[id]-mx) - math.Log(z)
		g := got[len(got)-1]
		if g.ID != id || math.Abs(float64(g.Logprob)-want) > 1e-4 {
			t.Fatalf("token %d: OnToken saw id %d logprob %v, want %d, %v", len(got), g.ID, g.Logprob, id, want)
		}
		if len(g.Top) != 3 || g.Top[0].ID != id || g.Top[0].Logprob != g.Logprob || g.Top[1].Logprob > g.Top[0].Logprob || g.Top[2].Logprob > g.Top[1].Logprob {
			t.Fatalf("token %d: alternatives %+v (greedy %d first, decreasing)", len(got), g.Top, id)
		}
		if g.Text != string(tok.Decode([]int{id})) {
			t.Fatalf("token %d: text %q", len(got), g.Text)
		}
		if done {
			break
		}
		history = append(history, id)
		if logits, err = seq.Feed(id); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != 6 || seq.Stats.StopReason != StopLength || seq.Stats.GeneratedTokens != 6 {
		t.Fatalf("%d tokens, stop %q", len(got), seq.Stats.StopReason)
	}
	var all string
	for _, g := range got {
		all += g.Text
	}
	if all != text {
		t.Fatalf("emitted %q, tokens spell %q", text, all)
	}
}
