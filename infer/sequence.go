package infer

import (
	"fmt"
	"math"
	"time"

	"github.com/gptgo/gptgo/tokenizer"
)

// Sequence is one generation, token by token, without the forward pass
// that produces each token's logits: Start prefills the prompt, Next
// samples a token from logits and decides whether the generation is over,
// and Feed appends the token to the engine (or slides the window). A
// Generator runs one Sequence alone; a server runs several and appends
// their tokens together with Batch.Decode. Either way the sampling, the
// text, the stop strings and the stop reasons are this code's.
type Sequence struct {
	Engine *Engine
	Tok    tokenizer.Tokenizer
	Opts   Options
	// OnToken, if set, is called with each sampled token before its text
	// is emitted (the end-of-text token included, unless it is emitted as
	// text with IgnoreEOS, when it is an ordinary token).
	OnToken func(Token)
	// TopLogprobs asks OnToken's tokens for the n most likely
	// alternatives; with LogProbs false no probabilities are computed.
	LogProbs    bool
	TopLogprobs int

	Stats   Stats
	sampler *Sampler
	history []int
	dec     *tokenizer.StreamDecoder
	out     stopFilter
	start   time.Time
	first   time.Time
	cand    []Candidate // scratch for the top alternatives
}

// Token is a sampled token as OnToken sees it.
type Token struct {
	ID      int
	Text    string  // the token's own bytes (may be part of a character)
	Logprob float32 // natural log of its probability under the model (softmax of the logits at temperature 1); 0 without LogProbs
	Top     []Alt   // the TopLogprobs most likely tokens, most likely first
}

// Alt is an alternative token and its log-probability.
type Alt struct {
	ID      int
	Text    string
	Logprob float32
}

// NewSequence returns a generation on e with tok's vocabulary, emitting
// text through emit (complete UTF-8 only, stop strings held back).
func NewSequence(e *Engine, tok tokenizer.Tokenizer, opts Options, emit func(text string) error) *Sequence {
	return &Sequence{Engine: e, Tok: tok, Opts: opts, sampler: NewSampler(opts.Sampler),
		dec: tokenizer.NewStreamDecoder(tok), out: stopFilter{stops: opts.Stop, emit: emit}}
}

// Start resets the engine, prefills prompt (the end-of-text token when it
// is empty) and returns the logits of the first token to sample.
func (s *Sequence) Start(prompt []int) ([]float32, error) {
	s.start = time.Now()
	if len(prompt) == 0 {
		prompt = []int{s.Tok.EOT()}
	}
	s.Stats = Stats{PromptTokens: len(prompt)}
	if n := s.Engine.Model.Config.Context; len(prompt) > n {
		return nil, fmt.Errorf("%w: %d tokens, context %d", ErrPromptTooLong, len(prompt), n)
	}
	logits, err := s.Engine.Prefill(prompt)
	if err != nil {
		return nil, err
	}
	s.Stats.PromptTime = time.Since(s.start)
	s.history = append(make([]int, 0, len(prompt)+max(s.Opts.MaxTokens, 0)), prompt...)
	return logits, nil
}

// Next samples a token from logits [V], emits the text it completes, and
// reports whether the generation is over (then Stats.StopReason says why).
// If it is not, the token must be appended before the next call: by Feed,
// or by Batch.Decode when MustSlide is false.
func (s *Sequence) Next(logits []float32) (tok int, done bool, err error) {
	tok, err = s.sampler.Sample(logits, s.history)
	if err != nil {
		return 0, true, err
	}
	st := &s.Stats
	st.GeneratedTokens++
	if st.GeneratedTokens == 1 {
		s.first = time.Now()
		st.TTFT = s.first.Sub(s.start)
	}
	eot := tok == s.Tok.EOT() && !s.Opts.IgnoreEOS
	s.report(tok, logits, eot)
	if eot {
		return tok, true, s.finish(StopEOT, true)
	}
	stopped, err := s.out.write(s.dec.Next(tok))
	if err != nil || stopped {
		return tok, true, s.finishErr(StopString, err)
	}
	s.history = append(s.history, tok)
	if s.Opts.MaxTokens > 0 && st.GeneratedTokens >= s.Opts.MaxTokens {
		return tok, true, s.finish(StopLength, true)
	}
	if s.Engine.Len() == s.Engine.Model.Config.Context && s.Opts.NoSlide {
		return tok, true, s.finish(StopContext, true)
	}
	return tok, false, nil
}

// MustSlide reports whether the context is full, so that the next token
// cannot simply be appended: Feed slides the window first.
func (s *Sequence) MustSlide() bool { return s.Engine.Len() == s.Engine.Model.Config.Context }

// Feed appends tok (the token Next returned) and returns the logits of
// the next one. When the context is full it slides the window: the
// oldest tokens are dropped, keeping the last Context/2 (the new one
// included), and the cache is rebuilt from them with one prefill (their
// positions restart at 0, so the cache cannot simply be shifted).
func (s *Sequence) Feed(tok int) ([]float32, error) {
	if !s.MustSlide() {
		return s.Engine.Decode(tok)
	}
	keep := s.history[len(s.history)-max(s.Engine.Model.Config.Context/2, 1):]
	s.Stats.Slides++
	return s.Engine.Prefill(keep)
}

// Cancel ends the generation from outside (a client that went away).
func (s *Sequence) Cancel() { s.Stats.StopReason = StopCanceled; s.stopClock() }

// finish records why the generation ended and, if flush, emits what the
// decoder and the stop filter hold.
func (s *Sequence) finish(reason string, flush bool) error {
	s.Stats.StopReason = reason
	s.stopClock()
	if flush {
		return s.out.flush(s.dec.Flush())
	}
	return nil
}

func (s *Sequence) finishErr(reason string, err error) error {
	if err != nil {
		return err
	}
	return s.finish(reason, false)
}

func (s *Sequence) stopClock() {
	if !s.first.IsZero() {
		s.Stats.GenTime = time.Since(s.first)
	}
}

// report tells OnToken about tok, with its probabilities if asked.
func (s *Sequence) report(tok int, logits []float32, eot bool) {
	if s.OnToken == nil {
		return
	}
	t := Token{ID: tok}
	if !eot {
		t.Text = string(s.Tok.Decode([]int{tok}))
	}
	if s.LogProbs {
		t.Logprob, t.Top = s.logprobs(tok, logits)
	}
	s.OnToken(t)
}

// logprobs returns log p(tok) under softmax(logits) and the TopLogprobs
// most likely tokens, computed in float64 from the maximum.
func (s *Sequence) logprobs(tok int, logits []float32) (float32, []Alt) {
	mx := logits[Argmax(logits)]
	var z float64
	for _, l := range logits {
		z += math.Exp(float64(l - mx))
	}
	lz := math.Log(z)
	lp := func(id int) float32 { return float32(float64(logits[id]-mx) - lz) }
	var top []Alt
	if k := min(s.TopLogprobs, len(logits)); k > 0 {
		if cap(s.cand) < len(logits) {
			s.cand = make([]Candidate, len(logits))
		}
		cand := s.cand[:len(logits)]
		for i, l := range logits {
			cand[i] = Candidate{ID: int32(i), Logit: l}
		}
		if k < len(cand) {
			selectTop(cand, k)
		}
		cand = cand[:k]
		sortByLogit(cand)
		for _, c := range cand {
			top = append(top, Alt{ID: int(c.ID), Text: string(s.Tok.Decode([]int{int(c.ID)})), Logprob: lp(int(c.ID))})
		}
	}
	return lp(tok), top
}

// sortByLogit orders a few candidates by decreasing logit, then id.
func sortByLogit(c []Candidate) {
	for i := 1; i < len(c); i++ {
		for j := i; j > 0 && (c[j].Logit > c[j-1].Logit || (c[j].Logit == c[j-1].Logit && c[j].ID < c[j-1].ID)); j-- {
			c[j], c[j-1] = c[j-1], c[j]
		}
	}
}
