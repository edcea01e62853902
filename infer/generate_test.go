package infer

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gptgo/gptgo/model"
	"github.com/gptgo/gptgo/tokenizer"
)

// byteConfig is a small model over the byte tokenizer (257 ids).
var byteConfig = model.Config{VocabSize: 257, Context: 24, Layers: 2, Heads: 2, Embd: 16, Activation: model.GELU}

// TestSlidingWindow generates greedily well past the context and checks
// every token against a reference without a cache that applies the
// documented rule: when the context is full, keep the last Context/2
// tokens (the newest included) and continue from them at position 0.
func TestSlidingWindow(t *testing.T) {
	c := byteConfig
	m := testModel(t, c, 11)
	tok := tokenizer.Byte{}
	prompt := tok.Encode("0123456789")
	const maxTokens = 60

	// Reference: recompute the whole window for every token.
	var want []int
	window := slices.Clone(prompt)
	history := slices.Clone(prompt)
	slides := 0
	for len(want) < maxTokens {
		logits := fullLogits(t, m, window)
		next := Argmax(logits[(len(window)-1)*c.VocabSize:])
		want = append(want, next)
		history = append(history, next)
		if len(window) == c.Context {
			window = slices.Clone(history[len(history)-c.Context/2:])
			slides++
		} else {
			window = append(window, next)
		}
	}

	g := NewGenerator(m, tok)
	var got []int
	g.Tok = recordingTok{tok, &got}
	opts := Options{MaxTokens: maxTokens, IgnoreEOS: true}
	st, err := g.Generate(context.Background(), prompt, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("sliding generation\n got %v\nwant %v", got, want)
	}
	if st.Slides != slides || slides < 2 || st.StopReason != StopLength || st.GeneratedTokens != maxTokens {
		t.Fatalf("stats %+v, want %d slides, %d tokens, stop %q", st, slides, maxTokens, StopLength)
	}

	// Without sliding it stops when the context is full: the last token
	// sampled is the one that no longer fits.
	got = got[:0]
	opts.NoSlide = true
	st, err = g.Generate(context.Background(), prompt, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := c.Context - len(prompt) + 1; st.StopReason != StopContext || len(got) != n || !slices.Equal(got, want[:n]) {
		t.Fatalf("no-slide: stop %q after %d tokens %v, want %q after %d", st.StopReason, len(got), got, StopContext, n)
	}
}

// recordingTok records every id the stream decoder asks it to decode.
type recordingTok struct {
	tokenizer.Tokenizer
	ids *[]int
}

func (r recordingTok) Decode(ids []int) string {
	*r.ids = append(*r.ids, ids...)
	return r.Tokenizer.Decode(ids)
}

func TestGenerateDeterministicAndStops(t *testing.T) {
	c := byteConfig
	c.Context = 128
	m := testModel(t, c, 5)
	g := NewGenerator(m, tokenizer.Byte{})
	prompt := g.Encode("Hello")
	opts := Options{Sampler: DefaultSamplerOptions(), MaxTokens: 100, IgnoreEOS: true}
	opts.Sampler.Seed = 9
	opts.Sampler.TopK = 0 // the random model is nearly flat over bytes: keep variety
	run := func(o Options) (string, Stats) {
		var b strings.Builder
		st, err := g.GenerateTo(context.Background(), &b, prompt, o)
		if err != nil {
			t.Fatal(err)
		}
		return b.String(), st
	}
	a, st := run(opts)
	if b, _ := run(opts); a != b {
		t.Fatalf("same seed, different text:\n%q\n%q", a, b)
	}
	if st.GeneratedTokens != 100 || st.PromptTokens != 5 || st.StopReason != StopLength {
		t.Fatalf("stats %+v", st)
	}
	// A stop string spanning several tokens (bytes) in the middle of the
	// text: everything before its first occurrence, and not the string.
	stop := a[40:43]
	o := opts
	o.Stop = []string{"never", stop}
	got, st := run(o)
	if want := a[:strings.Index(a, stop)]; got != want || st.StopReason != StopString {
		t.Fatalf("stop %q: got %q (%s), want %q", stop, got, st.StopReason, want)
	}
}

func TestGenerateEOT(t *testing.T) {
	c := byteConfig
	m := testModel(t, c, 5)
	// Make the end-of-text token overwhelmingly likely.
	eot := tokenizer.Byte{}.EOT()
	for i := range m.P.LNFB {
		m.P.LNFB[i] = 0
		m.P.LNFW[i] = 1
	}
	for i := 0; i < c.Embd; i++ {
		m.P.WTE[eot*c.Embd+i] = 0
	}
	m.P.LNFB[0], m.P.WTE[eot*c.Embd] = 100, 100
	g := NewGenerator(m, tokenizer.Byte{})
	var out strings.Builder
	st, err := g.GenerateTo(context.Background(), &out, g.Encode(""), Options{MaxTokens: 10})
	if err != nil {
		t.Fatal(err)
	}
	if st.StopReason != StopEOT || st.GeneratedTokens != 1 || out.Len() != 0 || st.PromptTokens != 1 {
		t.Fatalf("stop %q after %d tokens, text %q, prompt %d", st.StopReason, st.GeneratedTokens, out.String(), st.PromptTokens)
	}
	out.Reset()
	st, _ = g.GenerateTo(context.Background(), &out, []int{'a'}, Options{MaxTokens: 3, IgnoreEOS: true})
	if st.StopReason != StopLength || out.String() != strings.Repeat(tokenizer.EndOfText, 3) {
		t.Fatalf("ignore-eos: stop %q, text %q", st.StopReason, out.String())
	}
}

func TestGenerateErrors(t *testing.T) {
	c := byteConfig
	g := NewGenerator(testModel(t, c, 5), tokenizer.Byte{})
	_, err := g.Generate(context.Background(), make([]int, c.Context+1), Options{}, nil)
	if !errors.Is(err, ErrPromptTooLong) {
		t.Errorf("long prompt: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	st, err := g.Generate(ctx, []int{1}, Options{}, nil)
	if !errors.Is(err, context.Canceled) || st.StopReason != StopCanceled {
		t.Errorf("canceled: %v, %q", err, st.StopReason)
	}
	boom := errors.New("boom")
	_, err = g.Generate(context.Background(), []int{1}, Options{IgnoreEOS: true, MaxTokens: 5},
		func(string) error { return boom })
	if !errors.Is(err, boom) {
		t.Errorf("emit error: %v", err)
	}
}

// TestStreamingText feeds bytes of multi-byte text one at a time through
// the stream decoder and the stop filter, as Generate does: every chunk is
// valid UTF-8 and the stop string (spanning runes and tokens) is cut.
func TestStreamingText(t *testing.T) {
	text := "héllo wörld, ünïcode ✓ done"
	for _, tc := range []struct {
		stops []string
		want  string
	}{
		{nil, text},
		{[]string{"wö"}, "héllo "},
		{[]string{"x", "✓ d", "ünï"}, "héllo wörld, "},
		{[]string{"done"}, "héllo wörld, ünïcode ✓ "},
		{[]string{"donee"}, text},
		{[]string{"llo wörld, ünïcode ✓ done!"}, text}, // a prefix held to the end is released
	} {
		var chunks []string
		f := stopFilter{stops: tc.stops, emit: func(s string) error { chunks = append(chunks, s); return nil }}
		d := tokenizer.NewStreamDecoder(tokenizer.Byte{})
		stopped := false
		for _, b := range []byte(text) {
			var err error
			if stopped, err = f.write(d.Next(int(b))); err != nil {
				t.Fatal(err)
			}
			if stopped {
				break
			}
		}
		if !stopped {
			if err := f.flush(d.Flush()); err != nil {
				t.Fatal(err)
			}
		}
		for _, ch := range chunks {
			if !utf8.ValidString(ch) {
				t.Fatalf("stops %q: chunk %q is not valid UTF-8", tc.stops, ch)
			}
		}
		if got := strings.Join(chunks, ""); got != tc.want {
			t.Errorf("stops %q: got %q, want %q", tc.stops, got, tc.want)
		}
	}
}
