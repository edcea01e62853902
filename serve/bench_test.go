package serve

import (
	"bufio"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gptgo/gptgo/model"
	"github.com/gptgo/gptgo/tokenizer"
)

// BenchmarkServeLoad: 32 concurrent streaming clients, each sending 10
// requests one after another (16 tokens each, sampled, end-of-text
// ignored) to the gpt2 preset (124M, random weights), for --parallel 1,
// 4 and 8. It fails on any error, and if goroutines do not return to
// their number before the load. Reports aggregate tok/s, time to first
// token p50/p99 and the median per-request tok/s (after its first token).
//
//	go test ./serve -run XXX -bench ServeLoad -benchtime 1x
func BenchmarkServeLoad(b *testing.B) {
	c, _ := model.Preset("gpt2", model.GPT2Vocab)
	m, err := model.New(c, 1)
	if err != nil {
		b.Fatal(err)
	}
	tok, err := tokenizer.New("gpt2")
	if err != nil {
		b.Fatal(err)
	}
	for _, par := range []int{1, 4, 8} {
		b.Run(fmt.Sprintf("parallel=%d", par), func(b *testing.B) {
			_, url := testServerTok(b, m, tok, Options{Parallel: par, Queue: 64, MaxTokens: 64})
			base := runtime.NumGoroutine()
			var r loadResult
			for b.Loop() {
				r = load(b, url, 32, 10, 16)
			}
			b.ReportMetric(r.tokPerSec, "tok/s")
			b.ReportMetric(r.ttft50.Seconds()*1000, "ttft-p50-ms")
			b.ReportMetric(r.ttft99.Seconds()*1000, "ttft-p99-ms")
			b.ReportMetric(r.perRequest, "req-tok/s")
			http.DefaultClient.CloseIdleConnections()
			for i := 0; runtime.NumGoroutine() > base && i < 1000; i++ {
				time.Sleep(2 * time.Millisecond)
			}
			if n := runtime.NumGoroutine(); n > base {
				b.Fatalf("%d goroutines after the load, %d before", n, base)
			}
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			b.ReportMetric(float64(ms.HeapInuse)/1e6, "heap-MB")
		})
	}
}

type loadResult struct {
	tokPerSec, perRequest float64
	ttft50, ttft99        time.Duration
}

// load runs clients goroutines of reqs streaming requests of tokens each.
func load(b *testing.B, url string, clients, reqs, tokens int) loadResult {
	var mu sync.Mutex
	var ttfts []time.Duration
	var rates []float64
	total := 0
	start := time.Now()
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for i := range reqs {
				body := fmt.Sprintf(`{"prompt": "Request %d of client %d:", "max_tokens": %d, "ignore_eos": true, "seed": %d, "stream": true}`, i, c, tokens, c*100+i)
				t0 := time.Now()
				res, err := http.Post(url+"/v1/completions", "application/json", strings.NewReader(body))
				if err != nil {
					b.Error(err)
					return
				}
				var first time.Time
				n := 0
				sc := bufio.NewScanner(res.Body)
				for sc.Scan() {
					line := sc.Text()
					if !strings.HasPrefix(line, "data: {") {
						continue
					}
					if strings.Contains(line, `"error"`) {
						b.Errorf("error event: %s", line)
					}
					if first.IsZero() {
						first = time.Now()
					}
					n++
				}
				res.Body.Close()
				if res.StatusCode != 200 || n == 0 {
					b.Errorf("status %d, %d events", res.StatusCode, n)
					return
				}
				mu.Lock()
				ttfts = append(ttfts, first.Sub(t0))
				if d := time.Since(first).Seconds(); d > 0 {
					rates = append(rates, float64(tokens-1)/d)
				}
				total += tokens
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	secs := time.Since(start).Seconds()
	slices.Sort(ttfts)
	slices.Sort(rates)
	if len(ttfts) == 0 {
		b.Fatal("no request completed")
	}
	return loadResult{tokPerSec: float64(total) / secs, perRequest: rates[len(rates)/2],
		ttft50: ttfts[len(ttfts)/2], ttft99: ttfts[len(ttfts)*99/100]}
}
