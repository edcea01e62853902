package tokenizer

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pkoukk/tiktoken-go"
	tiktoken_loader "github.com/pkoukk/tiktoken-go-loader"
)

// goSources returns up to limit bytes of .go files under GOROOT/src, in
// walk order.
func goSources(tb testing.TB, limit int) []byte {
	root := filepath.Join(runtime.GOROOT(), "src")
	var buf []byte
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || len(buf) >= limit {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err == nil {
			buf = append(buf, b...)
		}
		return nil
	})
	if len(buf) < limit {
		tb.Skipf("only %d bytes of Go sources under %s", len(buf), root)
	}
	return buf[:limit]
}

func reportTrain(b *testing.B, start time.Time) {
	b.ReportMetric(time.Since(start).Seconds()/float64(b.N), "s/train")
}

// BenchmarkTrainShakespeare4096: target < 2 s.
func BenchmarkTrainShakespeare4096(b *testing.B) {
	text := readShakespeare(b)
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if _, err := TrainBPE(text, 4096, PatternGPT4); err != nil {
			b.Fatal(err)
		}
	}
	reportTrain(b, start)
}

// BenchmarkTrainGoSrc32768: first 10 MB of GOROOT/src/**/*.go, target < 30 s.
func BenchmarkTrainGoSrc32768(b *testing.B) {
	text := goSources(b, 10<<20)
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if _, err := TrainBPE(text, 32768, PatternGPT4); err != nil {
			b.Fatal(err)
		}
	}
	reportTrain(b, start)
}

var (
	benchBPEOnce sync.Once
	benchBPE     *BPE
)

func reportMBs(b *testing.B, n int, start time.Time) {
	b.SetBytes(int64(n))
	b.ReportMetric(float64(n)*float64(b.N)/time.Since(start).Seconds()/1e6, "MB/s")
}

// BenchmarkEncodeBPE encodes tinyshakespeare with our BPE (vocab 4096
// trained on it), target >= 15 MB/s.
func BenchmarkEncodeBPE(b *testing.B) {
	text := readShakespeare(b)
	benchBPEOnce.Do(func() { benchBPE, _ = TrainBPE(text, 4096, PatternGPT4) })
	s := string(text)
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		benchBPE.Encode(s)
	}
	reportMBs(b, len(text), start)
}

// BenchmarkEncodeGPT2 is our wrapper around pkoukk/tiktoken-go (gpt2).
func BenchmarkEncodeGPT2(b *testing.B) {
	text := readShakespeare(b)
	tok, err := New("gpt2")
	if err != nil {
		b.Fatal(err)
	}
	s := string(text)
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		tok.Encode(s)
	}
	reportMBs(b, len(text), start)
}

// BenchmarkEncodeTiktokenGo is pkoukk/tiktoken-go itself (r50k_base) on
// tinyshakespeare, for comparison in the same run.
func BenchmarkEncodeTiktokenGo(b *testing.B) {
	text := readShakespeare(b)
	tiktoken.SetBpeLoader(tiktoken_loader.NewOfflineLoader())
	enc, err := tiktoken.GetEncoding(tiktoken.MODEL_R50K_BASE)
	if err != nil {
		b.Fatal(err)
	}
	s := string(text)
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		enc.EncodeOrdinary(s)
	}
	reportMBs(b, len(text), start)
}

func BenchmarkDecodeBPE(b *testing.B) {
	text := readShakespeare(b)
	benchBPEOnce.Do(func() { benchBPE, _ = TrainBPE(text, 4096, PatternGPT4) })
	ids := benchBPE.Encode(string(text))
	var buf []byte
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		buf = benchBPE.DecodeBytes(buf[:0], ids)
	}
	reportMBs(b, len(text), start)
}
