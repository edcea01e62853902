package serve

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/gptgo/gptgo/infer"
)

// /v1/inside gives the forward pass's own attention probabilities (rows
// of 1, nothing right of the diagonal, equal to AttentionProbs), a lens
// row per depth, and a next-token top 10 led by the greedy token; while
// other requests decode too.
func TestInside(t *testing.T) {
	m := testModel(t)
	s, url := testServer(t, m, Options{Parallel: 2, MaxTokens: 1000})
	hangUp := longStream(t, url) // the scheduler is busy decoding meanwhile
	defer hangUp()
	ctx := context.Background()
	status, _, body := post(t, ctx, url, "/v1/inside", `{"prompt": "abcdef"}`)
	var r insideResponse
	if status != 200 || json.Unmarshal(body, &r) != nil {
		t.Fatalf("%d %s", status, body)
	}
	c, T := m.Config, 6
	if len(r.Tokens) != T || r.Layers != c.Layers || r.Heads != c.Heads || len(r.Attention) != c.Layers || len(r.Lens) != c.Layers+1 || len(r.Next) != 10 {
		t.Fatalf("shape: %d tokens, %d/%d layers, %d lens rows, %d next", len(r.Tokens), r.Layers, len(r.Attention), len(r.Lens), len(r.Next))
	}
	if r.Lens[0].After != "embedding" || r.Lens[c.Layers].After != "block 1" || r.Lens[c.Layers].Top[0] != r.Next[0] {
		t.Fatalf("lens rows %+v", r.Lens)
	}
	hangUp()
	waitBusy(t, s, 0)
	ids := []int32{'a', 'b', 'c', 'd', 'e', 'f'}
	logits := make([]float32, c.VocabSize)
	if _, err := m.Forward(ids, nil, 1, T); err != nil {
		t.Fatal(err)
	}
	copy(logits, m.Logits()[(T-1)*c.VocabSize:])
	for l := range c.Layers {
		att, _ := m.AttentionProbs(l)
		for h := range c.Heads {
			for i := range T {
				sum := 0.0
				for j, p := range r.Attention[l][h][i] {
					sum += float64(p)
					if p != att[(h*T+i)*T+j] || (j > i && p != 0) {
						t.Fatalf("layer %d head %d: p[%d,%d] = %g, the forward pass's %g", l, h, i, j, p, att[(h*T+i)*T+j])
					}
				}
				if math.Abs(sum-1) > 1e-5 {
					t.Fatalf("row sums to %g", sum)
				}
			}
		}
	}
	if got, want := r.Next[0].Token, jsonText(string(rune(infer.Argmax(logits)))); infer.Argmax(logits) < 128 && got != want {
		t.Fatalf("next top token %q, greedy %q", got, want)
	}
	status, _, body = post(t, ctx, url, "/v1/inside", `{"prompt": "`+strings.Repeat("x", 65)+`"}`)
	if status != 400 || !strings.Contains(string(body), "prompt: 65 tokens; the inside view takes at most 64") {
		t.Fatalf("long prompt: %d %s", status, body)
	}
}
