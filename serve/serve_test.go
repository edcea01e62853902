package serve

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gptgo/gptgo/infer"
	"github.com/gptgo/gptgo/model"
	"github.com/gptgo/gptgo/tokenizer"
)

// testModel is a small random model over the byte tokenizer: fast, and
// its greedy text is a fixed function of the prompt.
func testModel(t testing.TB) *model.Model {
	t.Helper()
	m, err := model.New(model.Config{VocabSize: 257, Context: 64, Layers: 2, Heads: 2, Embd: 32, Activation: model.GELU}, 7)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// testServer serves m on a loopback port until the test ends, and
// returns the server and its base URL.
func testServer(t testing.TB, m *model.Model, opt Options) (*Server, string) {
	t.Helper()
	return testServerTok(t, m, tokenizer.Byte{}, opt)
}

// testServerTok is testServer with the tokenizer tok.
func testServerTok(t testing.TB, m *model.Model, tok tokenizer.Tokenizer, opt Options) (*Server, string) {
	t.Helper()
	if opt.Parallel == 0 {
		opt.Parallel = 4
	}
	if opt.MaxTokens == 0 {
		opt.MaxTokens = 64
	}
	s, err := New(m, tok, opt)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, 5*time.Second, func() (*Server, error) { return s, nil }) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	url := "http://" + ln.Addr().String()
	waitHealthy(t, url)
	return s, url
}

// generate is what infer.Generator makes of prompt with opts: what the
// server must answer, alone or batched.
func generate(t testing.TB, m *model.Model, prompt string, opts infer.Options) string {
	t.Helper()
	g := infer.NewGenerator(m, tokenizer.Byte{})
	var b strings.Builder
	if _, err := g.GenerateTo(context.Background(), &b, g.Encode(prompt), opts); err != nil {
		t.Fatal(err)
	}
	return jsonText(b.String())
}

// jsonText is s as it comes back through JSON: each byte that is not
// part of valid UTF-8 becomes U+FFFD (the random test model emits such
// bytes).
func jsonText(s string) string {
	b, _ := json.Marshal(s)
	var out string
	_ = json.Unmarshal(b, &out)
	return out
}

// greedy are generation options with temperature 0.
func greedy(maxTokens int, stop ...string) infer.Options {
	o := infer.DefaultSamplerOptions()
	o.Temperature = 0
	return infer.Options{Sampler: o, MaxTokens: maxTokens, Stop: stop}
}

// sampled are the server's default sampling options with a seed.
func sampled(maxTokens int, seed uint64) infer.Options {
	o := infer.DefaultSamplerOptions()
	o.Seed = seed
	return infer.Options{Sampler: o, MaxTokens: maxTokens}
}

// waitHealthy polls /health until it answers 200.
func waitHealthy(t testing.TB, url string) {
	t.Helper()
	for range 200 {
		if r, err := http.Get(url + "/health"); err == nil {
			r.Body.Close()
			if r.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s/health never answered 200", url)
}
