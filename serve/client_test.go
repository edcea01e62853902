package serve

import (
	"context"
	"errors"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// client is the official OpenAI client pointed at url.
func client(url string, opts ...option.RequestOption) openai.Client {
	return openai.NewClient(append([]option.RequestOption{option.WithBaseURL(url + "/v1/"), option.WithAPIKey("unused"),
		option.WithMaxRetries(0)}, opts...)...)
}

// Completions through the OpenAI client give infer.Generator's text,
// greedy and seeded, with usage, finish reasons and log-probabilities.
func TestClientCompletions(t *testing.T) {
	m := testModel(t)
	_, url := testServer(t, m, Options{})
	c := client(url)
	ctx := context.Background()

	res, err := c.Completions.New(ctx, openai.CompletionNewParams{Model: "gptgo",
		Prompt:    openai.CompletionNewParamsPromptUnion{OfString: openai.String("Hello")},
		MaxTokens: openai.Int(12), Temperature: openai.Float(0), Logprobs: openai.Int(3)})
	if err != nil {
		t.Fatal(err)
	}
	want := generate(t, m, "Hello", greedy(12))
	ch := res.Choices[0]
	if ch.Text != want {
		t.Fatalf("greedy text %q, Generate gives %q", ch.Text, want)
	}
	if res.Usage.PromptTokens != 5 || res.Usage.TotalTokens != res.Usage.PromptTokens+res.Usage.CompletionTokens || res.Usage.CompletionTokens < 1 {
		t.Fatalf("usage %+v", res.Usage)
	}
	if string(ch.FinishReason) != map[bool]string{true: "length", false: "stop"}[res.Usage.CompletionTokens == 12] {
		t.Fatalf("finish reason %q after %d tokens", ch.FinishReason, res.Usage.CompletionTokens)
	}
	lp := ch.Logprobs
	if len(lp.Tokens) != int(res.Usage.CompletionTokens) && len(lp.Tokens) != int(res.Usage.CompletionTokens)-1 {
		t.Fatalf("%d logprob tokens for %d generated", len(lp.Tokens), res.Usage.CompletionTokens)
	}
	for i, tok := range lp.Tokens {
		best := math.Inf(-1)
		for _, v := range lp.TopLogprobs[i] {
			best = math.Max(best, v)
		}
		// Greedy: the chosen token is the most likely one.
		if lp.TokenLogprobs[i] > 0 || math.Abs(lp.TokenLogprobs[i]-best) > 1e-6 || len(lp.TopLogprobs[i]) == 0 {
			t.Fatalf("token %d %q: logprob %v, alternatives %v", i, tok, lp.TokenLogprobs[i], lp.TopLogprobs[i])
		}
	}

	// Seeded sampling: the same text as Generate with the same seed, twice.
	for range 2 {
		res, err = c.Completions.New(ctx, openai.CompletionNewParams{Model: "gptgo",
			Prompt:    openai.CompletionNewParamsPromptUnion{OfString: openai.String("Hello")},
			MaxTokens: openai.Int(20), Seed: openai.Int(42)})
		if err != nil {
			t.Fatal(err)
		}
		if want := generate(t, m, "Hello", sampled(20, 42)); res.Choices[0].Text != want {
			t.Fatalf("seeded text %q, Generate gives %q", res.Choices[0].Text, want)
		}
	}
	// n choices and a list of prompts: choice p*n+i, seeded seed+i.
	res, err = c.Completions.New(ctx, openai.CompletionNewParams{Model: "gptgo",
		Prompt:    openai.CompletionNewParamsPromptUnion{OfArrayOfStrings: []string{"ab", "cd"}},
		MaxTokens: openai.Int(8), Seed: openai.Int(5), N: openai.Int(2)})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Choices) != 4 || res.Usage.PromptTokens != 4 {
		t.Fatalf("%d choices for 2 prompts x n=2, %d prompt tokens (want 4: each prompt once)", len(res.Choices), res.Usage.PromptTokens)
	}
	for i, ch := range res.Choices {
		if want := generate(t, m, []string{"ab", "cd"}[i/2], sampled(8, uint64(5+i%2))); ch.Text != want || int(ch.Index) != i {
			t.Fatalf("choice %d (index %d): %q, want %q", i, ch.Index, ch.Text, want)
		}
	}
}

// Streaming completions through the client add up to the non-streamed
// text; stop strings end the text before them, streamed or not.
func TestClientStreamingAndStop(t *testing.T) {
	m := testModel(t)
	_, url := testServer(t, m, Options{})
	c := client(url)
	ctx := context.Background()
	full := generate(t, m, "The", greedy(30))
	if len(full) < 6 {
		t.Fatalf("the test model says only %q", full)
	}
	stop := full[3:5] // text the model is sure to produce
	params := openai.CompletionNewParams{Model: "gptgo", Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("The")},
		MaxTokens: openai.Int(30), Temperature: openai.Float(0)}
	st := c.Completions.NewStreaming(ctx, params)
	var got strings.Builder
	var finish string
	for st.Next() {
		ch := st.Current().Choices
		if len(ch) > 0 {
			got.WriteString(ch[0].Text)
			if ch[0].FinishReason != "" {
				finish = string(ch[0].FinishReason)
			}
		}
	}
	if err := st.Err(); err != nil {
		t.Fatal(err)
	}
	if got.String() != full || finish == "" {
		t.Fatalf("streamed %q (finish %q), want %q", got.String(), finish, full)
	}
	params.Stop = openai.CompletionNewParamsStopUnion{OfString: openai.String(stop)}
	res, err := c.Completions.New(ctx, params)
	if err != nil {
		t.Fatal(err)
	}
	if want := generate(t, m, "The", greedy(30, stop)); res.Choices[0].Text != want || strings.Contains(want, stop) || res.Choices[0].FinishReason != "stop" {
		t.Fatalf("with stop %q: %q (%s), want %q", stop, res.Choices[0].Text, res.Choices[0].FinishReason, want)
	}
	st = c.Completions.NewStreaming(ctx, params)
	got.Reset()
	for st.Next() {
		if ch := st.Current().Choices; len(ch) > 0 {
			got.WriteString(ch[0].Text)
		}
	}
	if st.Err() != nil || got.String() != res.Choices[0].Text {
		t.Fatalf("streamed with stop: %q (%v), want %q", got.String(), st.Err(), res.Choices[0].Text)
	}
}

// Chat renders the documented template and answers in both modes, with
// usage in the stream when asked and token log-probabilities.
func TestClientChat(t *testing.T) {
	m := testModel(t)
	_, url := testServer(t, m, Options{})
	c := client(url)
	ctx := context.Background()
	msgs := []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("Be brief."), openai.UserMessage("Hi"),
		openai.AssistantMessage("Hello."), openai.UserMessage("Who?")}
	prompt := "Be brief.\n\nUser: Hi\nAssistant: Hello.\nUser: Who?\nAssistant:"
	want := strings.TrimPrefix(generate(t, m, prompt, greedy(16, chatUserStop)), " ")
	params := openai.ChatCompletionNewParams{Model: "gptgo", Messages: msgs, MaxTokens: openai.Int(16),
		Temperature: openai.Float(0), Logprobs: openai.Bool(true), TopLogprobs: openai.Int(2)}
	res, err := c.Chat.Completions.New(ctx, params)
	if err != nil {
		t.Fatal(err)
	}
	ch := res.Choices[0]
	if ch.Message.Content != want || ch.Message.Role != "assistant" || res.Object != "chat.completion" {
		t.Fatalf("chat: %q (%s, %s), want %q", ch.Message.Content, ch.Message.Role, res.Object, want)
	}
	if len(ch.Logprobs.Content) == 0 || len(ch.Logprobs.Content[0].TopLogprobs) != 2 {
		t.Fatalf("chat logprobs %+v", ch.Logprobs)
	}
	if res.Usage.PromptTokens != int64(len(prompt)) {
		t.Fatalf("prompt tokens %d, the template has %d bytes", res.Usage.PromptTokens, len(prompt))
	}
	params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	st := c.Chat.Completions.NewStreaming(ctx, params)
	var got strings.Builder
	var u int64
	for st.Next() {
		chunk := st.Current()
		if len(chunk.Choices) > 0 {
			got.WriteString(chunk.Choices[0].Delta.Content)
		}
		if chunk.Usage.TotalTokens > 0 {
			u = chunk.Usage.TotalTokens
		}
	}
	if st.Err() != nil || got.String() != want || u != res.Usage.TotalTokens {
		t.Fatalf("streamed chat %q, usage %d (%v); want %q, %d", got.String(), u, st.Err(), want, res.Usage.TotalTokens)
	}
}

// Errors come back as OpenAI errors the client understands.
func TestClientErrors(t *testing.T) {
	m := testModel(t)
	_, url := testServer(t, m, Options{APIKey: "sesame"})
	ctx := context.Background()
	params := openai.CompletionNewParams{Model: "gptgo", Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("x")}}
	for _, c := range []struct {
		key    string
		params func(p *openai.CompletionNewParams)
		status int
		want   string
	}{
		{"wrong", nil, http.StatusUnauthorized, "missing or wrong API key"},
		{"sesame", func(p *openai.CompletionNewParams) { p.Temperature = openai.Float(3) }, 400, "temperature 3: want a value in [0, 2]"},
		{"sesame", func(p *openai.CompletionNewParams) { p.MaxTokens = openai.Int(1000) }, 400, "max_tokens 1000: want 1 to 64"},
		{"sesame", func(p *openai.CompletionNewParams) {
			p.Prompt = openai.CompletionNewParamsPromptUnion{OfString: openai.String(strings.Repeat("a", 64))}
		}, 400, "prompt: 64 tokens, and the model's context is 64"},
		{"sesame", func(p *openai.CompletionNewParams) {
			p.Prompt = openai.CompletionNewParamsPromptUnion{OfArrayOfTokens: []int64{1, 300}}
		}, 400, "token 1 is id 300, outside the vocabulary [0, 257)"},
	} {
		p := params
		if c.params != nil {
			c.params(&p)
		}
		cl := client(url, option.WithAPIKey(c.key))
		_, err := cl.Completions.New(ctx, p)
		var e *openai.Error
		if !errors.As(err, &e) || e.StatusCode != c.status || !strings.Contains(e.Message, c.want) {
			t.Errorf("want %d %q, got %v", c.status, c.want, err)
		}
	}
}
