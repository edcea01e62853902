package bench

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/gptgo/gptgo/infer"
	"github.com/gptgo/gptgo/kernels"
	"github.com/gptgo/gptgo/model"
	"github.com/gptgo/gptgo/train"
)

// PromptTokens is the prompt a tg test prefills (untimed) before it
// times the generation.
const PromptTokens = 16

// Bench test kinds.
const (
	PP    = "pp"    // prompt processing: one prefill of N tokens
	TG    = "tg"    // text generation: N decoding steps, batch 1
	Train = "train" // one optimizer step at batch B, context T
)

// Test is one llama-bench style test.
type Test struct {
	Kind string // PP, TG or Train
	N    int    // tokens, for pp and tg
	B, T int    // batch and context, for train
	// Meter, for tg, interleaves one read-bandwidth pass (untimed) after
	// every Group decoding steps and compares each group with the
	// pass next to it, so the fraction of the bound holds up while the
	// machine's other load drifts.
	Meter *ReadMeter
}

// Group is how many decoding steps a tg test with a Meter runs
// between bandwidth passes.
const Group = 8

// String is the test's name in tables: pp512, tg128, train B8 T256.
func (t Test) String() string {
	if t.Kind == Train {
		return fmt.Sprintf("train B%d T%d", t.B, t.T)
	}
	return fmt.Sprintf("%s%d", t.Kind, t.N)
}

// Result is the outcome of one test.
type Result struct {
	Test          string    `json:"test"`
	Tokens        int       `json:"tokens"`      // tokens per repetition
	Samples       []float64 `json:"samples_tps"` // tokens per second of each repetition
	Mean          float64   `json:"mean_tps"`
	Stddev        float64   `json:"stddev_tps"` // sample standard deviation
	Median        float64   `json:"median_tps"`
	FlopsPerToken float64   `json:"flops_per_token"`
	GFLOPS        float64   `json:"gflops"`                    // Mean * FlopsPerToken / 1e9
	BytesPerToken float64   `json:"bytes_per_token,omitempty"` // tg: weights and KV cache read per token
	GBPerSec      float64   `json:"gb_per_s,omitempty"`        // tg: Mean * BytesPerToken / 1e9
	MFU           float64   `json:"mfu,omitempty"`             // GFLOPS / peak, given a peak
	ReadGBs       float64   `json:"read_gbs,omitempty"`        // tg with a Meter: median read bandwidth of the passes
	BWFrac        float64   `json:"bw_frac,omitempty"`         // tg with a Meter: median over groups of achieved GB/s / the adjacent pass
}

// Run runs test on m reps times after one untimed warm-up and returns
// the throughputs. Inputs are random tokens from seed. A train test runs
// AdamW steps on m's parameters (they change).
func Run(m *model.Model, test Test, reps int, seed uint64) (Result, error) {
	c := m.Config
	if reps < 1 {
		reps = 1
	}
	r := rand.New(rand.NewPCG(seed, 17))
	randTokens := func(n int) []int {
		ids := make([]int, n)
		for i := range ids {
			ids[i] = r.IntN(c.VocabSize)
		}
		return ids
	}
	res := Result{Test: test.String()}
	var run func() (time.Duration, error)
	var reads, fracs []float64 // tg with a meter: per group
	switch test.Kind {
	case PP:
		if test.N < 1 || test.N > c.Context {
			return res, fmt.Errorf("pp %d: need 1 to %d tokens (the context)", test.N, c.Context)
		}
		e, tokens := infer.NewEngine(m), randTokens(test.N)
		res.Tokens = test.N
		res.FlopsPerToken = model.PrefillFlopsPerToken(c, test.N)
		run = func() (time.Duration, error) {
			start := time.Now()
			_, err := e.Prefill(tokens)
			return time.Since(start), err
		}
	case TG:
		P := min(PromptTokens, c.Context-1)
		if test.N < 1 || P+test.N > c.Context {
			return res, fmt.Errorf("tg %d: the %d-token prompt plus %d tokens exceed the context of %d", test.N, P, test.N, c.Context)
		}
		e, prompt := infer.NewEngine(m), randTokens(P)
		res.Tokens = test.N
		res.FlopsPerToken = model.DecodeFlopsPerToken(c, P, test.N)
		res.BytesPerToken = model.DecodeBytesPerToken(c, P, test.N)
		run = func() (time.Duration, error) {
			logits, err := e.Prefill(prompt)
			if err != nil {
				return 0, err
			}
			var total time.Duration
			for g := 0; g < test.N; g += Group {
				n := min(Group, test.N-g)
				start := time.Now()
				for range n {
					if logits, err = e.Decode(argmax(logits)); err != nil {
						return 0, err
					}
				}
				d := time.Since(start)
				total += d
				if test.Meter != nil {
					bw := test.Meter.Measure(kernels.Threads(), 1)
					got := float64(n) / d.Seconds() * model.DecodeBytesPerToken(c, P+g, n) / 1e9
					reads, fracs = append(reads, bw), append(fracs, got/bw)
				}
			}
			return total, nil
		}
	case Train:
		if test.B < 1 || test.T < 1 || test.T > c.Context {
			return res, fmt.Errorf("train: need batch >= 1 and context 1 to %d, got B=%d T=%d", c.Context, test.B, test.T)
		}
		n := test.B * test.T
		x, y := make([]int32, n), make([]int32, n)
		for i := range x {
			x[i], y[i] = int32(r.IntN(c.VocabSize)), int32(r.IntN(c.VocabSize))
		}
		st := train.NewStepper(m, 1)
		res.Tokens = n
		res.FlopsPerToken = model.TrainFlopsPerToken(c, test.T)
		run = func() (time.Duration, error) {
			start := time.Now()
			_, _, err := st.Step([][]int32{x}, [][]int32{y}, test.B, test.T, 1e-4)
			return time.Since(start), err
		}
	default:
		return res, fmt.Errorf("unknown test %q (want pp, tg or train)", test.Kind)
	}
	if _, err := run(); err != nil { // warm-up: first-touch of buffers, caches
		return res, err
	}
	reads, fracs = reads[:0], fracs[:0]
	for range reps {
		d, err := run()
		if err != nil {
			return res, err
		}
		res.Samples = append(res.Samples, float64(res.Tokens)/d.Seconds())
	}
	res.Mean, res.Stddev, res.Median = summarize(res.Samples)
	if len(fracs) > 0 {
		_, _, res.ReadGBs = summarize(reads)
		_, _, res.BWFrac = summarize(fracs)
	}
	res.GFLOPS = res.Mean * res.FlopsPerToken / 1e9
	res.GBPerSec = res.Mean * res.BytesPerToken / 1e9
	return res, nil
}

// SetPeak fills in MFU from the machine's peak GFLOP/s.
func (r *Result) SetPeak(peakGFLOPS float64) {
	if peakGFLOPS > 0 {
		r.MFU = r.GFLOPS / peakGFLOPS
	}
}

// summarize returns the mean, sample standard deviation and median.
func summarize(x []float64) (mean, std, median float64) {
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	if len(x) > 1 {
		for _, v := range x {
			std += (v - mean) * (v - mean)
		}
		std = math.Sqrt(std / float64(len(x)-1))
	}
	s := append([]float64(nil), x...)
	for i := 1; i < len(s); i++ { // insertion sort: a handful of samples
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	if n := len(s); n%2 == 1 {
		median = s[n/2]
	} else {
		median = (s[n/2-1] + s[n/2]) / 2
	}
	return mean, std, median
}

func argmax(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}
