package infer

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// logitsOf returns logits whose softmax is probs.
func logitsOf(probs ...float64) []float32 {
	l := make([]float32, len(probs))
	for i, p := range probs {
		l[i] = float32(math.Log(p))
	}
	return l
}

func ids(c []Candidate) []int {
	out := make([]int, len(c))
	for i, x := range c {
		out[i] = int(x.ID)
	}
	slices.Sort(out)
	return out
}

// plain is sampling from the full distribution at temperature 1.
var plain = SamplerOptions{Temperature: 1, RepeatPenalty: 1}

func TestGreedy(t *testing.T) {
	logits := []float32{0.1, 2, -1, 1.9, 0}
	s := NewSampler(SamplerOptions{})
	for range 10 {
		if got, _ := s.Sample(logits, nil); got != 1 {
			t.Fatalf("greedy picked %d, want 1", got)
		}
	}
	// Top-k 1 at any temperature is greedy too.
	o := plain
	o.TopK, o.Temperature = 1, 5
	s = NewSampler(o)
	for i := range 50 {
		if got, _ := s.Sample(logits, nil); got != 1 {
			t.Fatalf("draw %d: top-k 1 picked %d, want 1", i, got)
		}
	}
}

func TestTopK(t *testing.T) {
	// 1000 distinct logits in a scrambled order, plus ties for k's edge.
	logits := make([]float32, 1000)
	for i := range logits {
		logits[i] = float32((i * 7919) % 1000)
	}
	for _, k := range []int{1, 2, 10, 40, 999} {
		o := plain
		o.TopK = k
		got := ids(NewSampler(o).Filter(logits, nil))
		var want []int
		for i, l := range logits {
			if l >= float32(1000-k) {
				want = append(want, i)
			}
		}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("top-%d kept %v, want %v", k, got, want)
		}
	}
	o := plain
	o.TopK = 3
	if got := ids(NewSampler(o).Filter([]float32{1, 5, 5, 5, 5, 0}, nil)); len(got) != 3 || got[0] < 1 || got[2] > 4 {
		t.Fatalf("top-3 with ties kept %v", got)
	}
}

func TestTopP(t *testing.T) {
	logits := logitsOf(0.05, 0.5, 0.15, 0.3)
	for _, tc := range []struct {
		p    float32
		want []int
	}{
		{0.4, []int{1}},
		{0.79, []int{1, 3}},
		{0.81, []int{1, 2, 3}},
		{0.94, []int{1, 2, 3}},
		{0.96, []int{0, 1, 2, 3}},
	} {
		o := plain
		o.TopP = tc.p
		c := NewSampler(o).Filter(logits, nil)
		if got := ids(c); !slices.Equal(got, tc.want) {
			t.Errorf("top-p %g kept %v, want %v", tc.p, got, tc.want)
		}
		for i := 1; i < len(c); i++ {
			if c[i].P > c[i-1].P {
				t.Errorf("top-p %g: candidates not in decreasing order: %+v", tc.p, c)
			}
		}
	}
	// Renormalised over the kept set.
	o := plain
	o.TopP = 0.79
	c := NewSampler(o).Filter(logits, nil)
	if math.Abs(float64(c[0].P)-0.625) > 1e-6 || math.Abs(float64(c[1].P)-0.375) > 1e-6 {
		t.Errorf("top-p probabilities %+v, want 0.625 and 0.375", c)
	}
}

func TestMinP(t *testing.T) {
	logits := logitsOf(0.4, 0.3, 0.19, 0.11)
	for _, tc := range []struct {
		minP float32
		want []int
	}{
		{0.26, []int{0, 1, 2, 3}}, // threshold 0.104
		{0.3, []int{0, 1, 2}},     // 0.12
		{0.5, []int{0, 1}},        // 0.2
		{0.76, []int{0}},          // 0.304
	} {
		o := plain
		o.MinP = tc.minP
		if got := ids(NewSampler(o).Filter(logits, nil)); !slices.Equal(got, tc.want) {
			t.Errorf("min-p %g kept %v, want %v", tc.minP, got, tc.want)
		}
	}
}

func TestRepetitionPenalty(t *testing.T) {
	logits := []float32{2, -2, 1, 0.5}
	o := SamplerOptions{Temperature: 1, RepeatPenalty: 2, RepeatLastN: 3}
	s := NewSampler(o)
	// Tokens 0 and 1 are in the last 3 (0 twice: penalised once); token 2
	// only further back.
	c := s.Filter(logits, []int{2, 0, 1, 0})
	got := map[int32]float32{}
	for _, x := range c {
		got[x.ID] = x.Logit
	}
	want := map[int32]float32{0: 1, 1: -4, 2: 1, 3: 0.5}
	for id, l := range want {
		if got[id] != l {
			t.Errorf("penalised logit of %d = %g, want %g", id, got[id], l)
		}
	}
	if logits[0] != 2 || logits[1] != -2 {
		t.Error("Filter modified the caller's logits")
	}
	// Greedy sees the penalty: token 0 drops from 2 to 1, below token 1.
	o.Temperature = 0
	if got, _ := NewSampler(o).Sample([]float32{2, 1.5, 1, 0}, []int{0}); got != 1 {
		t.Errorf("greedy with penalty picked %d, want 1", got)
	}
}

func TestTemperature(t *testing.T) {
	logits := logitsOf(0.6, 0.3, 0.1)
	o := plain
	o.Temperature = 0.5 // p^2 renormalised
	c := NewSampler(o).Filter(logits, nil)
	z := 0.36 + 0.09 + 0.01
	for _, x := range c {
		want := math.Pow([]float64{0.6, 0.3, 0.1}[x.ID], 2) / z
		if math.Abs(float64(x.P)-want) > 1e-6 {
			t.Errorf("p(%d) at temperature 0.5 = %g, want %g", x.ID, x.P, want)
		}
	}
}

func TestDeterministic(t *testing.T) {
	logits := make([]float32, 500)
	for i := range logits {
		logits[i] = float32(math.Sin(float64(i)) * 3)
	}
	draw := func(seed uint64) []int {
		o := DefaultSamplerOptions()
		o.Seed = seed
		o.RepeatPenalty = 1.3
		s := NewSampler(o)
		var hist []int
		for range 200 {
			tok, _ := s.Sample(logits, hist)
			hist = append(hist, tok)
		}
		return hist
	}
	a, b, c := draw(42), draw(42), draw(43)
	if !slices.Equal(a, b) {
		t.Fatal("same seed, different tokens")
	}
	if slices.Equal(a, c) {
		t.Fatal("different seeds, same 200 tokens")
	}
}

// TestFrequencies draws from a known distribution with a fixed seed and
// checks the counts with Pearson's chi-square statistic (4 degrees of
// freedom: 18.47 is the 0.999 quantile).
func TestFrequencies(t *testing.T) {
	probs := []float64{0.4, 0.25, 0.2, 0.1, 0.05}
	s := NewSampler(SamplerOptions{Temperature: 1, Seed: 7})
	logits := logitsOf(probs...)
	const n = 50000
	counts := make([]int, len(probs))
	for range n {
		tok, _ := s.Sample(logits, nil)
		counts[tok]++
	}
	var chi2 float64
	for i, p := range probs {
		d := float64(counts[i]) - n*p
		chi2 += d * d / (n * p)
	}
	if chi2 > 18.47 {
		t.Fatalf("counts %v for probabilities %v: chi-square %.2f", counts, probs, chi2)
	}
}

// Non-finite logits are an error from every sampler, never a token or a
// panic.
func TestSampleNonFinite(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	opts := []SamplerOptions{{Temperature: 0}, DefaultSamplerOptions(), {Temperature: 1, TopK: 2},
		{Temperature: 1, TopP: 0.5}, {Temperature: 1, MinP: 0.1}, {Temperature: 0.7, RepeatPenalty: 1.3, RepeatLastN: 4}}
	for _, logits := range [][]float32{{nan, nan, nan}, {1, nan, 2}, {1, inf, 2}, {-inf, 0, 1}} {
		for _, o := range opts {
			if tok, err := NewSampler(o).Sample(logits, []int{0, 1}); err == nil || !strings.Contains(err.Error(), "not finite") {
				t.Fatalf("%+v on %v: token %d, error %v", o, logits, tok, err)
			}
		}
	}
}
