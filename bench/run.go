package bench

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/gptgo/gptgo/infer"
	"github.com/gptgo/gptgo/kernels"
	"github.com/gptgo/gptgo/model"
	"github.com/gptgo/gptgo/train"
)

// Run runs test on m reps times after one untimed warm-up and returns
// the throughputs. Inputs are random tokens from seed. A train test runs
// AdamW steps on m's parameters (they change).
func Run(m *model.Model, test Test, reps int, seed uint64) (Result, error) {
	r := rand.New(rand.NewPCG(seed, 17))
	res := Result{Test: test.String()}
	var g groups // tg with a meter
	var rep func() (time.Duration, error)
	var err error
	switch test.Kind {
	case PP:
		rep, err = prefill(&res, m, test, r)
	case TG:
		if test.Seqs > 1 {
			rep, err = generateBatch(&res, m, test, r)
		} else {
			rep, err = generate(&res, &g, m, test, r)
		}
	case Train:
		rep, err = step(&res, m, test, r)
	default:
		err = fmt.Errorf("unknown test %q (want pp, tg or train)", test.Kind)
	}
	if err != nil {
		return res, err
	}
	if _, err := rep(); err != nil { // warm-up: first-touch of buffers, caches
		return res, err
	}
	g.reads, g.fracs = g.reads[:0], g.fracs[:0]
	for range max(reps, 1) {
		d, err := rep()
		if err != nil {
			return res, err
		}
		res.Samples = append(res.Samples, float64(res.Tokens)/d.Seconds())
	}
	res.Mean, res.Stddev, res.Median = summarize(res.Samples)
	if len(g.fracs) > 0 {
		_, _, res.ReadGBs = summarize(g.reads)
		_, _, res.BWFrac = summarize(g.fracs)
	}
	res.GFLOPS = res.Mean * res.FlopsPerToken / 1e9
	res.GBPerSec = res.Mean * res.BytesPerToken / 1e9
	return res, nil
}

// groups holds, for a tg test with a Meter, each group's bandwidth pass
// (GB/s) and the fraction of it the group's decoding steps reached.
type groups struct {
	reads, fracs []float64
}

// prefill sets up a pp test: res gets its tokens and FLOPs, and the
// returned function times one prefill.
func prefill(res *Result, m *model.Model, test Test, r *rand.Rand) (func() (time.Duration, error), error) {
	c := m.Config
	if test.N < 1 || test.N > c.Context {
		return nil, fmt.Errorf("pp %d: need 1 to %d tokens (the context)", test.N, c.Context)
	}
	e, tokens := infer.NewEngine(m), randTokens(r, test.N, c.VocabSize)
	res.Tokens = test.N
	res.FlopsPerToken = model.PrefillFlopsPerToken(c, test.N)
	return func() (time.Duration, error) {
		start := time.Now()
		_, err := e.Prefill(tokens)
		return time.Since(start), err
	}, nil
}

// generate sets up a tg test: res gets its tokens, FLOPs and bytes, and
// the returned function prefills a PromptTokens prompt (untimed) and times
// the decoding steps greedily, with a bandwidth pass after every Group
// steps into g when the test has a Meter.
func generate(res *Result, g *groups, m *model.Model, test Test, r *rand.Rand) (func() (time.Duration, error), error) {
	c := m.Config
	P := min(PromptTokens, c.Context-1)
	if test.N < 1 || P+test.N > c.Context {
		return nil, fmt.Errorf("tg %d: the %d-token prompt plus %d tokens exceed the context of %d", test.N, P, test.N, c.Context)
	}
	e, prompt := infer.NewEngine(m), randTokens(r, P, c.VocabSize)
	res.Tokens = test.N
	res.FlopsPerToken = model.DecodeFlopsPerToken(c, P, test.N)
	res.BytesPerToken = model.DecodeBytesPerToken(c, m.W.DecodeBytes(), P, test.N)
	return func() (time.Duration, error) {
		logits, err := e.Prefill(prompt)
		if err != nil {
			return 0, err
		}
		var total time.Duration
		for done := 0; done < test.N; done += Group {
			n := min(Group, test.N-done)
			start := time.Now()
			for range n {
				if logits, err = e.Decode(infer.Argmax(logits)); err != nil {
					return 0, err
				}
			}
			d := time.Since(start)
			total += d
			if test.Meter != nil {
				bw := test.Meter.Measure(kernels.Threads(), 1)
				got := float64(n) / d.Seconds() * model.DecodeBytesPerToken(c, m.W.DecodeBytes(), P+done, n) / 1e9
				g.reads, g.fracs = append(g.reads, bw), append(g.fracs, got/bw)
			}
		}
		return total, nil
	}, nil
}

// generateBatch sets up a tg test of Seqs sequences decoded together:
// res gets their tokens (Seqs x N per repetition, so tok/s is the
// aggregate) and the per-token FLOPs and bytes (the weights are read once
// per step for all sequences), and the returned function times N batched
// steps after an untimed prefill of each sequence's own prompt.
func generateBatch(res *Result, m *model.Model, test Test, r *rand.Rand) (func() (time.Duration, error), error) {
	c, S := m.Config, test.Seqs
	P := min(PromptTokens, c.Context-1)
	if test.N < 1 || P+test.N > c.Context {
		return nil, fmt.Errorf("tg %d: the %d-token prompt plus %d tokens exceed the context of %d", test.N, P, test.N, c.Context)
	}
	engines, prompts := make([]*infer.Engine, S), make([][]int, S)
	for s := range engines {
		engines[s], prompts[s] = infer.NewEngine(m), randTokens(r, P, c.VocabSize)
	}
	b, next := infer.NewBatch(m), make([]int, S)
	res.Seqs, res.Tokens = S, S*test.N
	res.FlopsPerToken = model.DecodeFlopsPerToken(c, P, test.N)
	w := m.W.DecodeBytes()
	res.BytesPerToken = w/float64(S) + model.DecodeBytesPerToken(c, w, P, test.N) - w // each sequence reads its own cache
	return func() (time.Duration, error) {
		for s, e := range engines {
			logits, err := e.Prefill(prompts[s])
			if err != nil {
				return 0, err
			}
			next[s] = infer.Argmax(logits)
		}
		start := time.Now()
		for range test.N {
			logits, err := b.Decode(engines, next)
			if err != nil {
				return 0, err
			}
			for s := range next {
				next[s] = infer.Argmax(logits[s*c.VocabSize : (s+1)*c.VocabSize])
			}
		}
		return time.Since(start), nil
	}, nil
}

// step sets up a train test: res gets its tokens and FLOPs, and the
// returned function times one AdamW step on random tokens and targets.
func step(res *Result, m *model.Model, test Test, r *rand.Rand) (func() (time.Duration, error), error) {
	c := m.Config
	if test.B < 1 || test.T < 1 || test.T > c.Context {
		return nil, fmt.Errorf("train: need batch >= 1 and context 1 to %d, got B=%d T=%d", c.Context, test.B, test.T)
	}
	n := test.B * test.T
	x, y := make([]int32, n), make([]int32, n)
	for i := range x {
		x[i], y[i] = int32(r.IntN(c.VocabSize)), int32(r.IntN(c.VocabSize))
	}
	st := train.NewStepper(m, 1)
	res.Tokens = n
	res.FlopsPerToken = model.TrainFlopsPerToken(c, test.T)
	return func() (time.Duration, error) {
		start := time.Now()
		_, _, err := st.Step([][]int32{x}, [][]int32{y}, test.B, test.T, 1e-4, kernels.Dropout{})
		return time.Since(start), err
	}, nil
}

// randTokens returns n tokens drawn uniformly from a vocabulary of the
// given size.
func randTokens(r *rand.Rand, n, vocab int) []int {
	ids := make([]int, n)
	for i := range ids {
		ids[i] = r.IntN(vocab)
	}
	return ids
}
