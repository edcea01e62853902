package serve

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"time"

	"github.com/gptgo/gptgo/infer"
)

// httpError is an error answered in OpenAI's shape with its status.
type httpError struct {
	status           int
	typ, msg, param  string
	retryAfterSecond int
}

func (e *httpError) Error() string { return e.msg }

func badRequest(param, format string, args ...any) *httpError {
	return &httpError{status: http.StatusBadRequest, typ: "invalid_request_error", param: param, msg: fmt.Sprintf(format, args...)}
}

// params are a request's validated generation settings.
type params struct {
	opts     infer.Options
	n        int
	seed     uint64
	logprobs bool
	top      int
	stream   bool
	usage    bool // stream_options.include_usage
}

// limits bound what a request may ask for.
const (
	maxN         = 16
	maxStops     = 16
	maxTopLogpro = 20
)

// parseSampling validates the fields both endpoints share. maxTokens is
// the request's token limit (max_tokens, or chat's max_completion_tokens).
func (s *Server) parseSampling(f *samplingFields, maxTokens *int) (params, *httpError) {
	o := infer.DefaultSamplerOptions()
	p := params{n: 1, stream: f.Stream, usage: f.StreamOptions != nil && f.StreamOptions.IncludeUsage}
	p.opts.MaxTokens = s.opt.MaxTokens
	p.opts.IgnoreEOS = f.IgnoreEOS
	if maxTokens != nil {
		if *maxTokens < 1 || *maxTokens > s.opt.MaxTokens {
			return p, badRequest("max_tokens", "max_tokens %d: want 1 to %d (the server's --max-tokens)", *maxTokens, s.opt.MaxTokens)
		}
		p.opts.MaxTokens = *maxTokens
	}
	if herr := parseRanges(f, &o); herr != nil {
		return p, herr
	}
	if f.TopK != nil {
		if *f.TopK < 0 {
			return p, badRequest("top_k", "top_k %d: want 0 (off) or more", *f.TopK)
		}
		o.TopK = *f.TopK
	}
	if f.N != nil {
		if *f.N < 1 || *f.N > maxN {
			return p, badRequest("n", "n %d: want 1 to %d", *f.N, maxN)
		}
		p.n = *f.N
	}
	if f.Seed != nil {
		p.seed = uint64(*f.Seed)
	} else {
		p.seed = uint64(time.Now().UnixNano())
	}
	o.Seed = p.seed
	p.opts.Sampler = o
	stops, err := parseStop(f.Stop)
	if err != nil {
		return p, err
	}
	p.opts.Stop = stops
	return p, nil
}

// parseRanges sets o's real-valued fields the request gives, each
// checked against its range.
func parseRanges(f *samplingFields, o *infer.SamplerOptions) *httpError {
	for _, r := range []struct {
		name    string
		v       *float64
		lo, hi  float64
		loOpen  bool
		setting *float32
	}{
		{"temperature", f.Temperature, 0, 2, false, &o.Temperature},
		{"top_p", f.TopP, 0, 1, true, &o.TopP},
		{"min_p", f.MinP, 0, 1, false, &o.MinP},
		{"repeat_penalty", f.RepeatPenalty, 0, 10, true, &o.RepeatPenalty},
	} {
		if r.v == nil {
			continue
		}
		v := *r.v
		if math.IsNaN(v) || v < r.lo || v > r.hi || (r.loOpen && v == r.lo) {
			lb := "["
			if r.loOpen {
				lb = "("
			}
			return badRequest(r.name, "%s %g: want a value in %s%g, %g]", r.name, v, lb, r.lo, r.hi)
		}
		*r.setting = float32(v)
	}
	return nil
}

// parseStop reads "stop": absent, a string, or a list of strings.
func parseStop(raw json.RawMessage) ([]string, *httpError) {
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, badRequest("stop", "stop: want a string or a list of strings")
	}
	if len(list) > maxStops {
		return nil, badRequest("stop", "stop: %d strings, at most %d", len(list), maxStops)
	}
	return list, nil
}

// parsePrompts reads a completions "prompt": a string, a list of strings,
// a list of token ids, or a list of lists of token ids. Each becomes one
// prompt of token ids, checked against the vocabulary and the context.
func (s *Server) parsePrompts(raw json.RawMessage) ([][]int, *httpError) {
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, badRequest("prompt", "prompt is required")
	}
	var prompts [][]int
	var one string
	var strs []string
	var ids []int
	var idLists [][]int
	switch {
	case json.Unmarshal(raw, &one) == nil:
		prompts = [][]int{s.encode(one)}
	case json.Unmarshal(raw, &strs) == nil && len(strs) > 0:
		for _, t := range strs {
			prompts = append(prompts, s.encode(t))
		}
	case json.Unmarshal(raw, &ids) == nil && len(ids) > 0:
		prompts = [][]int{ids}
	case json.Unmarshal(raw, &idLists) == nil && len(idLists) > 0:
		prompts = idLists
	default:
		return nil, badRequest("prompt", "prompt: want a string, a list of strings, a list of token ids or a list of lists of them")
	}
	if len(prompts) > maxN {
		return nil, badRequest("prompt", "prompt: %d prompts, at most %d", len(prompts), maxN)
	}
	for _, p := range prompts {
		if err := s.checkPrompt(p); err != nil {
			return nil, err
		}
	}
	return prompts, nil
}

// encode tokenizes text; an empty prompt starts from end-of-text.
func (s *Server) encode(text string) []int {
	ids := s.tok.Encode(text)
	if len(ids) == 0 {
		ids = []int{s.tok.EOT()}
	}
	return ids
}

// checkPrompt refuses a prompt that is empty, has an id outside the
// vocabulary, or leaves no room in the context for a generated token.
func (s *Server) checkPrompt(ids []int) *httpError {
	V, T := s.model.Config.VocabSize, s.model.Config.Context
	if len(ids) == 0 {
		return badRequest("prompt", "prompt: an empty list of token ids")
	}
	for i, id := range ids {
		if id < 0 || id >= V {
			return badRequest("prompt", "prompt: token %d is id %d, outside the vocabulary [0, %d)", i, id, V)
		}
	}
	if len(ids) >= T {
		return badRequest("prompt", "prompt: %d tokens, and the model's context is %d: shorten it to at most %d", len(ids), T, T-1)
	}
	return nil
}
