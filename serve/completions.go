package serve

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gptgo/gptgo/infer"
)

// choiceOut is what one choice produced: its text, its tokens and why it
// stopped.
type choiceOut struct {
	text   string
	tokens []infer.Token
	stats  infer.Stats
}

// submitAll queues one job per prompt and choice (choice i of prompt p is
// index p*n+i, seeded seed+i, as OpenAI numbers them), all or none: if the
// queue fills, the ones queued are cancelled and the answer is 503.
func (s *Server) submitAll(ctx context.Context, prompts [][]int, p params) ([]*job, context.CancelFunc, *httpError) {
	if n := len(prompts) * p.n; n > s.opt.Queue {
		return nil, nil, badRequest("n", "%d prompts x n %d = %d sequences; the server queues at most %d at once (--queue)", len(prompts), p.n, n, s.opt.Queue)
	}
	ctx, cancel := context.WithCancel(ctx)
	var jobs []*job
	now := time.Now()
	for _, pr := range prompts {
		for i := range p.n {
			o := p.opts
			o.Sampler.Seed = p.seed + uint64(i)
			j := &job{ctx: ctx, prompt: pr, opts: o, logprobs: p.logprobs, top: p.top, out: newStream(), arrived: now}
			if err := s.sched.submit(j); err != nil {
				cancel()
				return nil, nil, &httpError{status: http.StatusServiceUnavailable, typ: "server_error", retryAfterSecond: 1,
					msg: fmt.Sprintf("the server is busy: %d slots decoding and %d requests queued; retry later", s.opt.Parallel, s.opt.Queue)}
			}
			jobs = append(jobs, j)
		}
		s.met.prompt(len(pr))
	}
	return jobs, cancel, nil
}

// collect waits for every job and returns what each produced.
func collect(ctx context.Context, jobs []*job) ([]choiceOut, *httpError) {
	outs := make([]choiceOut, len(jobs))
	for i, j := range jobs {
		for {
			c, err := j.out.next(ctx)
			if err != nil {
				return nil, &httpError{status: 499, typ: "invalid_request_error", msg: "the client went away"}
			}
			outs[i].text += c.text
			outs[i].tokens = append(outs[i].tokens, c.tokens...)
			if c.done {
				if c.err != nil {
					return nil, generationError(c.err)
				}
				outs[i].stats = c.stats
				break
			}
		}
	}
	return outs, nil
}

// generationError is a failed generation as an HTTP error.
func generationError(err error) *httpError {
	if errors.Is(err, context.Canceled) { // the server is shutting down
		return &httpError{status: http.StatusServiceUnavailable, typ: "server_error", msg: "the server is shutting down"}
	}
	return &httpError{status: http.StatusInternalServerError, typ: "server_error", msg: "generation failed: " + err.Error()}
}

// finishReason maps a stop reason to OpenAI's: "stop" for the end of the
// text or a stop string, "length" for the token limit or a full context.
func finishReason(st infer.Stats) *string {
	r := "stop"
	if st.StopReason == infer.StopLength || st.StopReason == infer.StopContext {
		r = "length"
	}
	return &r
}

// completions answers POST /v1/completions.
func (s *Server) completions(w http.ResponseWriter, r *http.Request) *httpError {
	var req completionRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	p, herr := s.parseSampling(&req.samplingFields, req.MaxTokens)
	if herr != nil {
		return herr
	}
	if req.Logprobs != nil {
		if *req.Logprobs < 0 || *req.Logprobs > maxTopLogpro {
			return badRequest("logprobs", "logprobs %d: want 0 to %d", *req.Logprobs, maxTopLogpro)
		}
		p.logprobs, p.top = true, *req.Logprobs
	}
	prompts, herr := s.parsePrompts(req.Prompt)
	if herr != nil {
		return herr
	}
	jobs, cancel, herr := s.submitAll(r.Context(), prompts, p)
	if herr != nil {
		return herr
	}
	defer cancel()
	resp := completionResponse{ID: s.newID("cmpl"), Object: "text_completion", Created: time.Now().Unix(), Model: s.opt.ModelName}
	if p.stream {
		return s.streamCompletions(w, r, jobs, prompts, p, resp)
	}
	outs, herr := collect(r.Context(), jobs)
	if herr != nil {
		return herr
	}
	u := usage{}
	for i, o := range outs {
		ch := completionChoice{Index: i, Text: o.text, FinishReason: finishReason(o.stats)}
		if p.logprobs {
			ch.Logprobs = legacyLogprobs(o.tokens, 0)
		}
		resp.Choices = append(resp.Choices, ch)
		u.CompletionTokens += o.stats.GeneratedTokens
	}
	for _, pr := range prompts {
		u.PromptTokens += len(pr) // once per prompt, however many choices
	}
	u.TotalTokens = u.PromptTokens + u.CompletionTokens
	resp.Usage = &u
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// legacyLogprobs is the completions API's log-probabilities of tokens,
// whose text starts at offset in the choice's text.
func legacyLogprobs(tokens []infer.Token, offset int) *completionLogprobs {
	lp := &completionLogprobs{Tokens: []string{}, TokenLogprobs: []float32{}, TopLogprobs: []map[string]float32{}, TextOffset: []int{}}
	for _, t := range tokens {
		lp.Tokens = append(lp.Tokens, t.Text)
		lp.TokenLogprobs = append(lp.TokenLogprobs, t.Logprob)
		// Keys are the text JSON will show, so two tokens that are
		// different invalid bytes (both U+FFFD) keep the likelier one.
		top := map[string]float32{}
		for _, a := range t.Top {
			if _, dup := top[visible(a.Text)]; !dup {
				top[visible(a.Text)] = a.Logprob
			}
		}
		lp.TopLogprobs = append(lp.TopLogprobs, top)
		lp.TextOffset = append(lp.TextOffset, offset)
		offset += len(t.Text)
	}
	return lp
}

// visible is s as JSON encodes it: each byte that is not part of valid
// UTF-8 becomes U+FFFD.
func visible(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// newID returns a response id: prefix, then a number unique to the server.
func (s *Server) newID(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().Unix(), s.ids.Add(1))
}
