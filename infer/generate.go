package infer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gptgo/gptgo/model"
	"github.com/gptgo/gptgo/tokenizer"
)

// Options control one generation.
type Options struct {
	Sampler   SamplerOptions
	MaxTokens int      // tokens to sample at most; <= 0: no limit
	Stop      []string // stop before any of these (not emitted); "" is ignored
	IgnoreEOS bool     // keep going past the end-of-text token (it is emitted as text)
	// NoSlide stops at the context limit. Otherwise the window slides: when
	// the context is full, the oldest tokens are dropped, keeping the last
	// Context/2, and the cache is rebuilt from them with one prefill.
	NoSlide bool
}

// Why a generation stopped.
const (
	StopEOT      = "eot"      // the model produced the end-of-text token
	StopString   = "stop"     // a stop string appeared
	StopLength   = "length"   // MaxTokens were sampled
	StopContext  = "context"  // the context was full and NoSlide was set
	StopCanceled = "canceled" // the context.Context was done
)

// Stats describe one generation.
type Stats struct {
	PromptTokens    int           // tokens prefilled
	PromptTime      time.Duration // the prefill
	GeneratedTokens int           // tokens sampled, including a final end-of-text or stop token
	GenTime         time.Duration // from the first sampled token to the end
	TTFT            time.Duration // from the call to the first sampled token
	Slides          int           // times the window slid
	StopReason      string        // one of the Stop* constants
}

// PromptTokensPerSec is the prefill throughput.
func (s Stats) PromptTokensPerSec() float64 { return rate(s.PromptTokens, s.PromptTime) }

// GenTokensPerSec is the decoding throughput: the tokens after the first
// over the time after the first (each needed one decoding step).
func (s Stats) GenTokensPerSec() float64 { return rate(s.GeneratedTokens-1, s.GenTime) }

func rate(n int, d time.Duration) float64 {
	if n <= 0 || d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// String is a one-line summary.
func (s Stats) String() string {
	slides := ""
	if s.Slides > 0 {
		slides = fmt.Sprintf(" | window slid %d times", s.Slides)
	}
	return fmt.Sprintf("prompt %d tokens, %.1f tok/s | generated %d tokens, %.1f tok/s | time to first token %.1f ms%s | stop: %s",
		s.PromptTokens, s.PromptTokensPerSec(), s.GeneratedTokens, s.GenTokensPerSec(),
		float64(s.TTFT.Microseconds())/1000, slides, s.StopReason)
}

// ErrPromptTooLong is returned for a prompt longer than the model's context.
var ErrPromptTooLong = errors.New("prompt longer than the model's context")

// Generator samples text from a model. It owns an Engine (the KV cache)
// and is not safe for concurrent use; a server keeps one per model and
// serialises requests, or one per concurrent request.
type Generator struct {
	Engine *Engine
	Tok    tokenizer.Tokenizer
}

// NewGenerator returns a generator for m with its tokenizer.
func NewGenerator(m *model.Model, tok tokenizer.Tokenizer) *Generator {
	return &Generator{Engine: NewEngine(m), Tok: tok}
}

// Encode returns the prompt's tokens; a prompt that encodes to nothing
// starts from the end-of-text token, as GPT-2 does for unconditional text.
func (g *Generator) Encode(prompt string) []int {
	ids := g.Tok.Encode(prompt)
	if len(ids) == 0 {
		ids = []int{g.Tok.EOT()}
	}
	return ids
}

// Generate prefills prompt and samples tokens, calling emit with text as
// soon as it is complete UTF-8 and cannot be the start of a stop string.
// It stops at the end-of-text token (unless IgnoreEOS), at a stop string
// (which is not emitted), after MaxTokens, at the context limit with
// NoSlide, when ctx is done (returning ctx.Err()) or when emit fails
// (returning its error). The prompt itself is not emitted.
func (g *Generator) Generate(ctx context.Context, prompt []int, opts Options, emit func(text string) error) (Stats, error) {
	seq := NewSequence(g.Engine, g.Tok, opts, emit)
	logits, err := seq.Start(prompt)
	if err != nil {
		return seq.Stats, err
	}
	for {
		if err := ctx.Err(); err != nil {
			seq.Cancel()
			return seq.Stats, err
		}
		tok, done, err := seq.Next(logits)
		if done || err != nil {
			return seq.Stats, err
		}
		if logits, err = seq.Feed(tok); err != nil {
			return seq.Stats, err
		}
	}
}

// GenerateTo is Generate writing the text to w.
func (g *Generator) GenerateTo(ctx context.Context, w io.Writer, prompt []int, opts Options) (Stats, error) {
	return g.Generate(ctx, prompt, opts, func(text string) error {
		_, err := io.WriteString(w, text)
		return err
	})
}

// stopFilter passes text on to emit, holding back any tail that could be
// the start of a stop string, and reports when a stop string appears.
// Nothing emitted can be part of a stop string: held always ends with the
// longest suffix that is a prefix of some stop string, so a match can only
// start inside held.
type stopFilter struct {
	stops []string
	held  string
	emit  func(string) error
}

// write adds text; stopped is true when a stop string is complete, after
// the text before it has been emitted.
func (f *stopFilter) write(text string) (stopped bool, err error) {
	if text == "" {
		return false, nil
	}
	f.held += text
	cut, found := len(f.held), false
	for _, s := range f.stops {
		if s == "" {
			continue
		}
		if i := strings.Index(f.held, s); i >= 0 && i < cut {
			cut, found = i, true
		}
	}
	if found {
		err := f.send(f.held[:cut])
		f.held = ""
		return true, err
	}
	keep := 0
	for _, s := range f.stops {
		for n := min(len(s)-1, len(f.held)); n > keep; n-- {
			if strings.HasSuffix(f.held, s[:n]) {
				keep = n
				break
			}
		}
	}
	err = f.send(f.held[:len(f.held)-keep])
	f.held = f.held[len(f.held)-keep:]
	return false, err
}

// flush emits tail (the decoder's held-back bytes) and everything held.
func (f *stopFilter) flush(tail string) error {
	if stopped, err := f.write(tail); stopped || err != nil {
		return err
	}
	err := f.send(f.held)
	f.held = ""
	return err
}

func (f *stopFilter) send(s string) error {
	if s == "" || f.emit == nil {
		return nil
	}
	return f.emit(s)
}
