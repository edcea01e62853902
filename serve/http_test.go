package serve

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gptgo/gptgo/tokenizer"
)

// post sends body to url+path and returns the status, headers and body.
func post(t testing.TB, ctx context.Context, url, path, body string, header ...string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, b
}

// The stream is server-sent events exactly: "data: JSON\n\n" per event,
// every one the same response id, and "data: [DONE]\n\n" last, nothing
// after; its text adds up to the answer without streaming.
func TestSSEFraming(t *testing.T) {
	m := testModel(t)
	_, url := testServer(t, m, Options{})
	ctx := context.Background()
	req := `{"prompt": "abc", "max_tokens": 20, "temperature": 0, "stream": %s, "stream_options": {"include_usage": true}}`
	status, h, body := post(t, ctx, url, "/v1/completions", strings.Replace(req, "%s", "true", 1))
	if status != 200 || h.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("status %d, content type %q", status, h.Get("Content-Type"))
	}
	if !bytes.HasSuffix(body, []byte("\n\ndata: [DONE]\n\n")) {
		t.Fatalf("the stream does not end with data: [DONE]: %q", body[max(0, len(body)-80):])
	}
	events := strings.Split(strings.TrimSuffix(string(body), "\n\n"), "\n\n")
	var text strings.Builder
	ids := map[string]bool{}
	var sawUsage bool
	for i, ev := range events[:len(events)-1] {
		data, ok := strings.CutPrefix(ev, "data: ")
		if !ok || strings.Contains(data, "\n") {
			t.Fatalf("event %d is not one data line: %q", i, ev)
		}
		var c completionResponse
		if err := json.Unmarshal([]byte(data), &c); err != nil {
			t.Fatalf("event %d: %v: %q", i, err, data)
		}
		ids[c.ID] = true
		if c.Object != "text_completion" {
			t.Fatalf("event %d: object %q", i, c.Object)
		}
		if c.Usage != nil {
			sawUsage = i == len(events)-2 && len(c.Choices) == 0 // the last before [DONE], no choices
			continue
		}
		text.WriteString(c.Choices[0].Text)
	}
	if len(ids) != 1 || !sawUsage {
		t.Fatalf("%d response ids, usage chunk last: %v", len(ids), sawUsage)
	}
	_, _, body = post(t, ctx, url, "/v1/completions", strings.Replace(req, "%s", "false", 1))
	var whole completionResponse
	if err := json.Unmarshal(body, &whole); err != nil {
		t.Fatal(err)
	}
	if text.String() != whole.Choices[0].Text {
		t.Fatalf("streamed %q, whole %q", text.String(), whole.Choices[0].Text)
	}
}

// Every bad request gets OpenAI's error shape with the right status.
func TestHTTPErrors(t *testing.T) {
	m := testModel(t)
	_, url := testServer(t, m, Options{APIKey: "k"})
	ctx := context.Background()
	auth := []string{"Authorization", "Bearer k"}
	for _, c := range []struct {
		path, body string
		header     []string
		status     int
		want       string
	}{
		{"/v1/completions", `{"prompt": "x"`, auth, 400, "not valid JSON"},
		{"/v1/completions", `{"prompt": "x", "n": 0}`, auth, 400, "n 0: want 1 to 16"},
		{"/v1/completions", `{"prompt": ["x", "y"], "n": 9}`, auth, 400, "2 prompts x n 9 = 18 sequences; the server queues at most 16"},
		{"/v1/completions", `{"prompt": "x", "top_p": 0}`, auth, 400, "top_p 0: want a value in (0, 1]"},
		{"/v1/completions", `{"prompt": "x", "stop": 5}`, auth, 400, "stop: want a string or a list of strings"},
		{"/v1/completions", `{"prompt": {"a": 1}}`, auth, 400, "prompt: want a string"},
		{"/v1/completions", `{}`, auth, 400, "prompt is required"},
		{"/v1/completions", `{"prompt": "x", "logprobs": 21}`, auth, 400, "logprobs 21: want 0 to 20"},
		{"/v1/chat/completions", `{"messages": [{"role": "robot", "content": "x"}]}`, auth, 400, `messages[0].role "robot"`},
		{"/v1/chat/completions", `{"messages": []}`, auth, 400, "at least one message"},
		{"/v1/chat/completions", `{"messages": [{"role": "user", "content": "x"}], "top_logprobs": 2}`, auth, 400, "with logprobs true"},
		{"/v1/completions", `{"prompt": "x"}`, nil, 401, "missing or wrong API key"},
		{"/v1/completions", `{"prompt": "x"}`, []string{"Authorization", "Bearer kk"}, 401, "missing or wrong API key"},
		{"/v1/nothing", `{}`, auth, 404, "no endpoint POST /v1/nothing"},
		{"/v1/models", `{}`, auth, 405, "use GET"},
		{"/v1/completions", `{"prompt": "` + strings.Repeat("a", maxBody) + `"}`, auth, 413, "request body over 1048576 bytes"},
		{"/detokenize", `{"tokens": [1, 999]}`, auth, 400, "tokens[1] is id 999"},
	} {
		status, h, body := post(t, ctx, url, c.path, c.body, c.header...)
		var e apiError
		if status != c.status || json.Unmarshal(body, &e) != nil || !strings.Contains(e.Error.Message, c.want) || e.Error.Type == "" ||
			h.Get("Content-Type") != "application/json" {
			t.Errorf("%s %.40s: %d %s, want %d %q", c.path, c.body, status, body, c.status, c.want)
		}
	}
}

// Requests decoded together give each the text it gets alone.
func TestConcurrentEqualsAlone(t *testing.T) {
	m := testModel(t)
	s, url := testServer(t, m, Options{Parallel: 4})
	ctx := context.Background()
	prompts := []string{"a", "bb", "ccc", "dddd", "e e", "f", "gg g", "hh"}
	got := make([]string, len(prompts))
	var wg sync.WaitGroup
	for i, p := range prompts {
		wg.Go(func() {
			b, _ := json.Marshal(map[string]any{"prompt": p, "max_tokens": 24, "temperature": 0, "ignore_eos": true})
			_, _, body := post(t, ctx, url, "/v1/completions", string(b))
			var r completionResponse
			if err := json.Unmarshal(body, &r); err != nil || len(r.Choices) != 1 {
				t.Errorf("prompt %q: %s", p, body)
				return
			}
			got[i] = r.Choices[0].Text
		})
	}
	wg.Wait()
	for i, p := range prompts {
		o := greedy(24)
		o.IgnoreEOS = true
		if want := generate(t, m, p, o); got[i] != want {
			t.Errorf("prompt %q in a batch: %q, alone: %q", p, got[i], want)
		}
	}
	if n := s.sched.busy.Load(); n != 0 {
		t.Fatalf("%d slots still busy", n)
	}
}

// longStream starts a streaming request that would run for a long time
// and returns once its first event arrived, with a function that hangs up.
func longStream(t *testing.T, url string) (hangUp func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url+"/v1/completions",
		strings.NewReader(`{"prompt": "z", "max_tokens": 100000, "ignore_eos": true, "stream": true}`))
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bufio.NewReader(res.Body).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	return func() { cancel(); res.Body.Close() }
}

// waitBusy waits until n slots are busy.
func waitBusy(t *testing.T, s *Server, n int32) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for s.sched.busy.Load() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d slots busy after 5 s, want %d", s.sched.busy.Load(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// A client that hangs up frees its slot at once; with every slot busy and
// the queue full, a request gets 503 with Retry-After; goroutines return
// to where they were.
func TestDisconnectAndBusy(t *testing.T) {
	m := testModel(t)
	s, url := testServer(t, m, Options{Parallel: 1, Queue: 1, MaxTokens: 100000})
	base := runtime.NumGoroutine()
	hangUp := longStream(t, url)
	waitBusy(t, s, 1)
	// The slot is taken; one request may wait; the next is refused.
	queued := make(chan int, 1)
	qctx, cancelQueued := context.WithCancel(context.Background())
	go func() {
		req, _ := http.NewRequestWithContext(qctx, http.MethodPost, url+"/v1/completions", strings.NewReader(`{"prompt": "q", "max_tokens": 3}`))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			queued <- -1
			return
		}
		res.Body.Close()
		queued <- res.StatusCode
	}()
	deadline := time.Now().Add(5 * time.Second)
	for len(s.sched.queue) == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	status, h, body := post(t, context.Background(), url, "/v1/completions", `{"prompt": "x", "max_tokens": 2}`)
	if status != 503 || h.Get("Retry-After") != "1" || !strings.Contains(string(body), "the server is busy") {
		t.Fatalf("full server: %d %q %s", status, h.Get("Retry-After"), body)
	}
	// Hanging up frees the slot for the queued request, which completes.
	hangUp()
	if code := <-queued; code != 200 {
		t.Fatalf("the queued request ended with %d", code)
	}
	cancelQueued()
	waitBusy(t, s, 0)
	http.DefaultClient.CloseIdleConnections()
	for i := 0; runtime.NumGoroutine() > base && i < 500; i++ {
		time.Sleep(2 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > base {
		t.Errorf("%d goroutines after the requests, %d before", n, base)
	}
}

// /health answers 503 while the model loads and 200 after; a request in
// flight at shutdown finishes its stream.
func TestHealthAndShutdown(t *testing.T) {
	m := testModel(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	release := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, ln, 10*time.Second, func() (*Server, error) {
			<-release
			return New(m, tokenizer.Byte{}, Options{Parallel: 2, MaxTokens: 4000})
		})
	}()
	var res *http.Response
	for range 100 { // until the listener answers
		if res, err = http.Get(url + "/health"); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil || res.StatusCode != 503 {
		t.Fatalf("/health while loading: %v %v", res, err)
	}
	res.Body.Close()
	close(release)
	waitHealthy(t, url)
	// A stream in flight when the server is told to stop runs to its end.
	body := make(chan string, 1)
	go func() {
		_, _, b := post(t, context.Background(), url, "/v1/completions", `{"prompt": "s", "max_tokens": 3000, "ignore_eos": true, "stream": true}`)
		body <- string(b)
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	if b := <-body; !strings.HasSuffix(b, "data: [DONE]\n\n") || strings.Count(b, `"finish_reason":"length"`) != 1 {
		t.Fatalf("the stream cut by shutdown ends with %q", b[max(0, len(b)-120):])
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// /tokenize and /detokenize round-trip; /metrics counts what happened;
// CORS answers a preflight only when configured.
func TestTokenizeMetricsCORS(t *testing.T) {
	m := testModel(t)
	_, url := testServer(t, m, Options{CORS: "https://example.com"})
	ctx := context.Background()
	_, _, b := post(t, ctx, url, "/tokenize", `{"content": "héllo"}`)
	var tk struct{ Tokens []int }
	if err := json.Unmarshal(b, &tk); err != nil || len(tk.Tokens) != 6 || tk.Tokens[0] != 'h' {
		t.Fatalf("/tokenize: %s", b)
	}
	ids, _ := json.Marshal(map[string][]int{"tokens": tk.Tokens})
	_, _, b = post(t, ctx, url, "/detokenize", string(ids))
	var dt struct{ Content string }
	if err := json.Unmarshal(b, &dt); err != nil || dt.Content != "héllo" {
		t.Fatalf("/detokenize: %s", b)
	}
	post(t, ctx, url, "/v1/completions", `{"prompt": "m", "max_tokens": 3}`)
	post(t, ctx, url, "/v1/completions", `{"prompt": "m", "n": 99}`)
	res, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	mb, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, want := range []string{`gptgo_requests_total{endpoint="POST /v1/completions",status="200"} 1`,
		`gptgo_requests_total{endpoint="POST /v1/completions",status="400"} 1`, "gptgo_time_to_first_token_seconds_count 1",
		"gptgo_prompt_tokens_total 1", "gptgo_generated_tokens_total 3", "gptgo_busy_slots 0", "gptgo_queue_depth 0"} {
		if !strings.Contains(string(mb), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	req, _ := http.NewRequest(http.MethodOptions, url+"/v1/completions", nil)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 204 || res.Header.Get("Access-Control-Allow-Origin") != "https://example.com" {
		t.Fatalf("preflight: %d %q", res.StatusCode, res.Header.Get("Access-Control-Allow-Origin"))
	}
	_, url2 := testServer(t, m, Options{})
	_, h, _ := post(t, ctx, url2, "/v1/completions", `{"prompt": "m", "max_tokens": 1}`)
	if h.Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("CORS header without --cors")
	}
}
