package infer

import (
	"math"
	"testing"
	"time"

	"github.com/gptgo/gptgo/kernels"
	"github.com/gptgo/gptgo/model"
)

func TestRunBench(t *testing.T) {
	c := smallConfig
	for _, test := range []BenchTest{{Kind: TestPP, N: 32}, {Kind: TestTG, N: 8}, {Kind: TestTrain, B: 2, T: 16}} {
		r, err := RunBench(testModel(t, c, 1), test, 3, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Samples) != 3 || r.Mean <= 0 || r.GFLOPS <= 0 || r.Median <= 0 {
			t.Fatalf("%s: %+v", test, r)
		}
		if (test.Kind == TestTG) != (r.BytesPerToken > 0) {
			t.Fatalf("%s: bytes per token %g", test, r.BytesPerToken)
		}
	}
	for _, bad := range []BenchTest{{Kind: TestPP, N: c.Context + 1}, {Kind: TestTG, N: c.Context}, {Kind: "xx"}, {Kind: TestTrain, B: 1, T: c.Context + 1}} {
		if _, err := RunBench(testModel(t, c, 1), bad, 1, 1); err == nil {
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

func TestFlopCounts(t *testing.T) {
	c, _ := model.Preset("gpt2", model.GPT2Vocab)
	// One decoded token at position 0 of GPT-2: ~2 FLOPs per weight it
	// multiplies (85M in the blocks, 38.6M in the head).
	got := DecodeFlopsPerToken(c, 0, 1)
	want := 2*float64(12*12*768*768) + 2*float64(50257*768) + 12*4*768
	if math.Abs(got-want) > 1 {
		t.Fatalf("decode FLOPs %g, want %g", got, want)
	}
	if b := DecodeBytesPerToken(c, 0, 1); math.Abs(b-4*float64(124439808-1023*768+2*12*768)) > 1 {
		t.Fatalf("decode bytes %g", b)
	}
}

// BenchmarkReadBandwidth measures this machine's memory read bandwidth
// with 2 threads over 256 MiB, the bound of batch-1 generation.
func BenchmarkReadBandwidth(b *testing.B) {
	const size = 256 << 20
	var gbs float64
	for b.Loop() {
		gbs = ReadBandwidth(size, 2, 3)
	}
	b.ReportMetric(gbs, "GB/s")
}

// BenchmarkGenerateGPT2 decodes 128 greedy tokens with the gpt2 preset
// (124M, random weights) after a 16-token prompt, in groups of 8 steps,
// each followed by one read-bandwidth pass over 256 MiB. The machine's
// other load drifts, so each group is compared with the pass next to it:
// %bound is the median over groups of (weight + KV bytes per token x
// tokens/s) / read bandwidth.
func BenchmarkGenerateGPT2(b *testing.B) {
	c, _ := model.Preset("gpt2", model.GPT2Vocab)
	m, err := model.New(c, 1)
	if err != nil {
		b.Fatal(err)
	}
	meter := NewReadMeter(256 << 20)
	e := NewEngine(m)
	const prompt, steps, group = BenchPromptTokens, 128, 8
	var tps, reads, fracs []float64
	for b.Loop() {
		logits, err := e.Prefill(make([]int, prompt))
		if err != nil {
			b.Fatal(err)
		}
		for g := 0; g < steps; g += group {
			start := time.Now()
			for range group {
				if logits, err = e.Decode(argmax(logits)); err != nil {
					b.Fatal(err)
				}
			}
			rate := group / time.Since(start).Seconds()
			bw := meter.Measure(kernels.Threads(), 1)
			bytes := DecodeBytesPerToken(c, prompt+g, group)
			tps, reads, fracs = append(tps, rate), append(reads, bw), append(fracs, rate*bytes/1e9/bw)
		}
	}
	_, _, t := summarize(tps)
	_, _, r := summarize(reads)
	_, _, f := summarize(fracs)
	b.ReportMetric(t, "tok/s")
	b.ReportMetric(r, "GB/s-read")
	b.ReportMetric(100*f, "%bound")
}

func TestReadWords(t *testing.T) {
	for _, n := range []int{0, 3, 4, 2048, 2048*4 + 5} {
		w := make([]uint64, n)
		for i := range w {
			w[i] = 1
		}
		// Every word is read; only the last word of each copy is summed,
		// so check the tail words through a marker.
		if n > 0 {
			w[n-1] = 1 << 40
		}
		if s := readWords(w); n > 0 && s < 1<<40 {
			t.Fatalf("n=%d: the last word was not read (sum %d)", n, s)
		}
	}
	if gbs := ReadBandwidth(1<<20, 2, 2); gbs <= 0 {
		t.Fatalf("bandwidth %g", gbs)
	}
}
