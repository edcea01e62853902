package serve

import (
	"math"
	"net/http"
	"sort"
)

// maxInsideTokens bounds the prompt of /v1/inside: its attention maps are
// layers x heads x T x T numbers.
const maxInsideTokens = 64

// insideResponse is what POST /v1/inside answers for a prompt: one
// forward pass, seen from inside.
type insideResponse struct {
	Tokens    []string        `json:"tokens"`    // the prompt's tokens
	Layers    int             `json:"layers"`    // of the model
	Heads     int             `json:"heads"`     // per layer
	Attention [][][][]float32 `json:"attention"` // [layer][head][query][key] probabilities
	Lens      []lensRow       `json:"lens"`      // after the embedding, then after each block
	Next      []tokenProb     `json:"next"`      // the final distribution's top 10
}

type lensRow struct {
	After string      `json:"after"` // "embedding", "block 0", ...
	Top   []tokenProb `json:"top"`   // the 5 most likely next tokens
}

type tokenProb struct {
	Token string  `json:"token"`
	P     float32 `json:"p"`
}

// inside answers POST /v1/inside {"prompt": text}: the attention
// probabilities of every layer and head, the logit lens at the last
// position, and the next-token top 10. The forward pass runs on the
// scheduler's goroutine between two decoding steps.
func (s *Server) inside(w http.ResponseWriter, r *http.Request) *httpError {
	var req struct {
		Prompt *string `json:"prompt"`
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Prompt == nil || *req.Prompt == "" {
		return badRequest("prompt", "prompt is required")
	}
	ids := s.encode(*req.Prompt)
	if len(ids) > min(maxInsideTokens, s.model.Config.Context) {
		return badRequest("prompt", "prompt: %d tokens; the inside view takes at most %d", len(ids), min(maxInsideTokens, s.model.Config.Context))
	}
	var resp insideResponse
	var herr *httpError
	if err := s.sched.do(r.Context(), func() { resp, herr = s.look(ids) }); err != nil {
		return &httpError{status: 499, typ: "invalid_request_error", msg: "the client went away"}
	}
	if herr != nil {
		return herr
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// look runs ids through the model and collects the inside view.
func (s *Server) look(ids []int) (insideResponse, *httpError) {
	m, c, T := s.model, s.model.Config, len(ids)
	tokens := make([]int32, T)
	resp := insideResponse{Layers: c.Layers, Heads: c.Heads}
	for i, id := range ids {
		tokens[i] = int32(id)
		resp.Tokens = append(resp.Tokens, visible(s.tok.Decode([]int{id})))
	}
	if _, err := m.Forward(tokens, nil, 1, T); err != nil {
		return resp, generationError(err)
	}
	for l := range c.Layers {
		att, err := m.AttentionProbs(l)
		if err != nil {
			return resp, generationError(err)
		}
		heads := make([][][]float32, c.Heads)
		for h := range heads {
			heads[h] = make([][]float32, T)
			for i := range T {
				heads[h][i] = append([]float32(nil), att[(h*T+i)*T:(h*T+i+1)*T]...)
			}
		}
		resp.Attention = append(resp.Attention, heads)
	}
	lens, err := m.LogitLens(T - 1)
	if err != nil {
		return resp, generationError(err)
	}
	for d, logits := range lens {
		after := "embedding"
		if d > 0 {
			after = "block " + itoa(d-1)
		}
		resp.Lens = append(resp.Lens, lensRow{After: after, Top: s.top(logits, 5)})
	}
	resp.Next = s.top(lens[len(lens)-1], 10)
	return resp, nil
}

// top returns the n most likely tokens of softmax(logits).
func (s *Server) top(logits []float32, n int) []tokenProb {
	V := min(len(logits), s.tok.VocabSize())
	mx := float64(logits[0])
	for _, l := range logits[:V] {
		mx = math.Max(mx, float64(l))
	}
	var z float64
	for _, l := range logits[:V] {
		z += math.Exp(float64(l) - mx)
	}
	idx := make([]int, V)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return logits[idx[a]] > logits[idx[b]] })
	out := make([]tokenProb, 0, n)
	for _, id := range idx[:min(n, V)] {
		out = append(out, tokenProb{Token: visible(s.tok.Decode([]int{id})), P: float32(math.Exp(float64(logits[id])-mx) / z)})
	}
	return out
}
