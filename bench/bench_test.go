package bench

import (
	"math"
	"testing"

	"github.com/gptgo/gptgo/model"
)

// newModel returns a model of shape c with GPT-2 initialisation.
func newModel(t testing.TB, c model.Config) *model.Model {
	t.Helper()
	m, err := model.New(c, 1)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var smallConfig = model.Config{VocabSize: 97, Context: 80, Layers: 2, Heads: 4, Embd: 32, Activation: model.GELU}

func TestRun(t *testing.T) {
	c := smallConfig
	meter := NewReadMeter(1 << 20)
	for _, test := range []Test{{Kind: PP, N: 32}, {Kind: TG, N: 8}, {Kind: TG, N: 20, Meter: meter}, {Kind: Train, B: 2, T: 16}} {
		r, err := Run(newModel(t, c), test, 3, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Samples) != 3 || r.Mean <= 0 || r.GFLOPS <= 0 || r.Median <= 0 {
			t.Fatalf("%s: %+v", test, r)
		}
		if (test.Kind == TG) != (r.BytesPerToken > 0) {
			t.Fatalf("%s: bytes per token %g", test, r.BytesPerToken)
		}
		if (test.Meter != nil) != (r.BWFrac > 0 && r.ReadGBs > 0) {
			t.Fatalf("%s: bandwidth %g, fraction %g", test, r.ReadGBs, r.BWFrac)
		}
	}
	for _, bad := range []Test{{Kind: PP, N: c.Context + 1}, {Kind: TG, N: c.Context}, {Kind: "xx"}, {Kind: Train, B: 1, T: c.Context + 1}} {
		if _, err := Run(newModel(t, c), bad, 1, 1); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestSummarize(t *testing.T) {
	mean, std, med := summarize([]float64{1, 2, 3, 10})
	if mean != 4 || med != 2.5 || math.Abs(std-math.Sqrt(50.0/3)) > 1e-12 {
		t.Fatalf("mean %g std %g median %g", mean, std, med)
	}
}

// BenchmarkReadBandwidth measures this machine's memory read bandwidth
// with 2 threads over 1 GiB, the bound of batch-1 generation.
func BenchmarkReadBandwidth(b *testing.B) {
	const size = 1 << 30
	var gbs float64
	for b.Loop() {
		gbs = ReadBandwidth(size, 2, 3)
	}
	b.ReportMetric(gbs, "GB/s")
}

// BenchmarkGenerateGPT2 decodes 128 greedy tokens with the gpt2 preset
// (124M, random weights) after a 16-token prompt, with a read-bandwidth
// pass over 1 GiB after every 8 steps (see Test.Meter): %bound is
// the median over groups of (weight + KV bytes per token x tokens/s) /
// the adjacent pass's bandwidth.
func BenchmarkGenerateGPT2(b *testing.B) {
	c, _ := model.Preset("gpt2", model.GPT2Vocab)
	m, err := model.New(c, 1)
	if err != nil {
		b.Fatal(err)
	}
	test := Test{Kind: TG, N: 128, Meter: NewReadMeter(1 << 30)}
	var r Result
	for b.Loop() {
		if r, err = Run(m, test, 3, 1); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(r.Median, "tok/s")
	b.ReportMetric(r.ReadGBs, "GB/s-read")
	b.ReportMetric(100*r.BWFrac, "%bound")
}

// BenchmarkGenerateGPT2Batch8 decodes 8 sequences together with the gpt2
// preset (124M, random weights), 64 greedy steps after 16-token prompts;
// tok/s is the aggregate of the 8.
func BenchmarkGenerateGPT2Batch8(b *testing.B) {
	c, _ := model.Preset("gpt2", model.GPT2Vocab)
	m, err := model.New(c, 1)
	if err != nil {
		b.Fatal(err)
	}
	test := Test{Kind: TG, N: 64, Seqs: 8}
	var r Result
	for b.Loop() {
		if r, err = Run(m, test, 3, 1); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(r.Median, "tok/s")
}

func TestReadWords(t *testing.T) {
	// One word of every 64-byte line is read: mark them all with 1 and
	// the other words with a large value that must not be summed.
	for _, n := range []int{0, 3, 8, 64, 2048*4 + 40} {
		w := make([]uint64, n)
		for i := range w {
			if i%8 == 0 {
				w[i] = 1
			} else {
				w[i] = 1 << 40
			}
		}
		if got, want := readWords(w), uint64((n+7)/8); got != want {
			t.Fatalf("n=%d: sum %d, want %d (one word per line)", n, got, want)
		}
	}
	if gbs := ReadBandwidth(1<<20, 2, 2); gbs <= 0 {
		t.Fatalf("bandwidth %g", gbs)
	}
	for _, n := range []int{0, 1, 17, 4096, 10001} {
		x := make([]float32, n)
		for i := range x {
			x[i] = 1
		}
		if got := dotOnes(x); got != float32(n) {
			t.Fatalf("dotOnes over %d ones = %v", n, got)
		}
	}
}

// A batched tg test reports the tokens of all its sequences and its
// sequence count, and runs on a small model.
func TestRunBatched(t *testing.T) {
	r, err := Run(newModel(t, smallConfig), Test{Kind: TG, N: 5, Seqs: 3}, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	if r.Test != "tg5 x3" || r.Seqs != 3 || r.Tokens != 15 || len(r.Samples) != 2 || r.Median <= 0 || r.GBPerSec <= 0 {
		t.Fatalf("batched tg: %+v", r)
	}
	// Per token: a third of the weights (read once per step for three
	// sequences) and the token's own KV cache.
	c := smallConfig
	w := 4 * float64(model.NumParams(c)-(c.Context-1)*c.Embd)
	if want := w/3 + model.DecodeBytesPerToken(c, w, PromptTokens, 5) - w; math.Abs(r.BytesPerToken-want) > 1e-9*want {
		t.Fatalf("batched tg reads %v bytes per token, want %v", r.BytesPerToken, want)
	}
}
