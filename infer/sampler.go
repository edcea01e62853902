package infer

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// SamplerOptions configure a Sampler. The zero value is plain sampling at
// temperature 0, that is greedy decoding; DefaultSamplerOptions gives
// llama.cpp's defaults.
type SamplerOptions struct {
	Temperature   float32 // <= 0: greedy (argmax)
	TopK          int     // keep the k most likely tokens; <= 0: off
	TopP          float32 // keep the smallest set whose probability reaches p; >= 1: off
	MinP          float32 // keep tokens with p >= MinP * p(most likely); <= 0: off
	RepeatPenalty float32 // penalise the last RepeatLastN tokens; 1 or <= 0: off
	RepeatLastN   int     // how many recent tokens the penalty looks at; < 0: all
	Seed          uint64
}

// DefaultSamplerOptions are llama.cpp's defaults: temperature 0.8, top-k 40,
// top-p 0.95, min-p 0.05, no repetition penalty (1.0, over the last 64).
func DefaultSamplerOptions() SamplerOptions {
	return SamplerOptions{Temperature: 0.8, TopK: 40, TopP: 0.95, MinP: 0.05, RepeatPenalty: 1, RepeatLastN: 64}
}

// Candidate is a token still in the running: its id, its (penalised)
// logit and, after Filter, its final sampling probability.
type Candidate struct {
	ID    int32
	Logit float32
	P     float32
}

// Sampler picks the next token from logits. The stages run in this order,
// each on what the previous one kept:
//
//  1. repetition penalty: each distinct token among the last RepeatLastN of
//     the history has its logit divided by RepeatPenalty if positive and
//     multiplied by it if negative (llama.cpp and CTRL's rule);
//  2. top-k: the k largest logits (quickselect, O(V));
//  3. top-p: the most likely tokens, in order, until their probability
//     (softmax of the survivors at temperature 1) reaches p (a heap, so
//     only the kept tokens are ordered);
//  4. min-p: tokens whose probability is at least MinP times the largest;
//  5. temperature: logits divided by it, softmax over the survivors;
//  6. draw with the seeded generator.
//
// With temperature <= 0 it returns the argmax of the penalised logits
// (greedy; the truncations never remove the most likely token). No stage
// sorts the whole vocabulary. The same options, seed and inputs give the
// same tokens on every run.
type Sampler struct {
	Opts SamplerOptions
	rng  *rand.Rand
	cand []Candidate
	seen map[int]struct{}
}

// NewSampler returns a sampler seeded from opts.Seed.
func NewSampler(opts SamplerOptions) *Sampler {
	return &Sampler{
		Opts: opts,
		rng:  rand.New(rand.NewPCG(opts.Seed, 0x2545f4914f6cdd1d)),
		seen: map[int]struct{}{},
	}
}

// Sample returns the next token for logits [V] given the tokens so far
// (history; only the last RepeatLastN matter). logits is not modified.
// A logit that is NaN or infinite (weights that diverged or are corrupt)
// is an error, not a token.
func (s *Sampler) Sample(logits []float32, history []int) (int, error) {
	if err := checkFinite(logits); err != nil {
		return 0, err
	}
	cand := s.Filter(logits, history)
	if len(cand) == 1 {
		return int(cand[0].ID), nil
	}
	u := float32(s.rng.Float64())
	var cum float32
	for _, c := range cand {
		cum += c.P
		if u < cum {
			return int(c.ID), nil
		}
	}
	return int(cand[len(cand)-1].ID), nil // u above the rounded total
}

// checkFinite reports the first logit that is NaN or infinite.
func checkFinite(logits []float32) error {
	for i, l := range logits {
		if math.IsNaN(float64(l)) || math.IsInf(float64(l), 0) {
			return fmt.Errorf("infer: logit %d of %d is %v: the model's output is not finite (its weights diverged or are corrupt)", i, len(logits), l)
		}
	}
	return nil
}

// Filter runs stages 1 to 5 and returns the surviving candidates with
// their sampling probabilities (summing to 1), for finite logits (Sample
// checks them). The slice is the sampler's,
// valid until the next call. With top-p on, the candidates are in
// decreasing order of probability; otherwise their order is unspecified
// but deterministic.
func (s *Sampler) Filter(logits []float32, history []int) []Candidate {
	o := s.Opts
	if cap(s.cand) < len(logits) {
		s.cand = make([]Candidate, len(logits))
	}
	cand := s.cand[:len(logits)]
	for i, l := range logits {
		cand[i] = Candidate{ID: int32(i), Logit: l}
	}
	s.penalize(cand, history)

	if o.Temperature <= 0 {
		best := 0
		for i, c := range cand {
			if c.Logit > cand[best].Logit {
				best = i
			}
		}
		cand[0] = Candidate{ID: cand[best].ID, Logit: cand[best].Logit, P: 1}
		return cand[:1]
	}
	if o.TopK > 0 && o.TopK < len(cand) {
		selectTop(cand, o.TopK)
		cand = cand[:o.TopK]
	}
	mx := cand[0].Logit
	for _, c := range cand {
		mx = max(mx, c.Logit)
	}
	if o.TopP > 0 && o.TopP < 1 {
		cand = topP(cand, mx, float64(o.TopP))
	}
	if o.MinP > 0 {
		// p_i >= MinP * p_max  <=>  logit_i - max >= ln MinP.
		cut := mx + float32(math.Log(float64(o.MinP)))
		n := 0
		for _, c := range cand {
			if c.Logit >= cut {
				cand[n] = c
				n++
			}
		}
		cand = cand[:n]
	}
	inv := 1 / o.Temperature
	var sum float64
	for i := range cand {
		p := math.Exp(float64((cand[i].Logit - mx) * inv))
		cand[i].P = float32(p)
		sum += p
	}
	for i := range cand {
		cand[i].P = float32(float64(cand[i].P) / sum)
	}
	return cand
}

// penalize applies the repetition penalty in place; cand[id] is token id.
func (s *Sampler) penalize(cand []Candidate, history []int) {
	pen, n := s.Opts.RepeatPenalty, s.Opts.RepeatLastN
	if pen <= 0 || pen == 1 || n == 0 {
		return
	}
	if n > 0 && len(history) > n {
		history = history[len(history)-n:]
	}
	clear(s.seen)
	for _, id := range history {
		if id < 0 || id >= len(cand) {
			continue
		}
		if _, dup := s.seen[id]; dup {
			continue
		}
		s.seen[id] = struct{}{}
		if l := cand[id].Logit; l > 0 {
			cand[id].Logit = l / pen
		} else {
			cand[id].Logit = l * pen
		}
	}
}

// selectTop reorders c so that c[:k] hold its k largest logits (in no
// particular order): quickselect with a median-of-three pivot, O(len(c))
// on average. 0 < k < len(c).
func selectTop(c []Candidate, k int) {
	lo, hi := 0, len(c)-1
	for lo < hi {
		mid := lo + (hi-lo)/2
		// Median of three, left in c[mid].
		if c[lo].Logit < c[mid].Logit {
			c[lo], c[mid] = c[mid], c[lo]
		}
		if c[mid].Logit < c[hi].Logit {
			c[mid], c[hi] = c[hi], c[mid]
			if c[lo].Logit < c[mid].Logit {
				c[lo], c[mid] = c[mid], c[lo]
			}
		}
		pivot := c[mid].Logit
		// Hoare partition: descending, so larger logits go left.
		i, j := lo, hi
		for i <= j {
			for c[i].Logit > pivot {
				i++
			}
			for c[j].Logit < pivot {
				j--
			}
			if i <= j {
				c[i], c[j] = c[j], c[i]
				i++
				j--
			}
		}
		// Now c[lo..j] >= pivot >= c[i..hi], and j < i.
		switch {
		case k-1 <= j:
			hi = j
		case k-1 >= i:
			lo = i
		default:
			return // k-1 lies between j and i: elements there equal the pivot
		}
	}
}

// topP keeps the most likely candidates, in decreasing order, until their
// softmax probability (at temperature 1, over c) reaches p. It builds a
// max-heap in O(n) and pops only the kept ones, which end up at the front
// of the returned slice in decreasing order.
func topP(c []Candidate, mx float32, p float64) []Candidate {
	var z float64
	for _, x := range c {
		z += math.Exp(float64(x.Logit - mx))
	}
	n := len(c)
	for i := n/2 - 1; i >= 0; i-- {
		siftDown(c, i, n)
	}
	target := p * z
	var cum float64
	kept := 0
	for kept < len(c) {
		// Pop the maximum to the end of the shrinking heap.
		cum += math.Exp(float64(c[0].Logit - mx))
		n--
		c[0], c[n] = c[n], c[0]
		siftDown(c, 0, n)
		kept++
		if cum >= target {
			break
		}
	}
	// The kept ones are c[n:] in increasing order: reverse them to the front.
	out := c[n:]
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// siftDown restores the max-heap property of c[:n] below i.
func siftDown(c []Candidate, i, n int) {
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && c[r].Logit > c[l].Logit {
			m = r
		}
		if c[m].Logit <= c[i].Logit {
			return
		}
		c[i], c[m] = c[m], c[i]
		i = m
	}
}

// Argmax is the greedy choice over logits [V]: the first largest.
func Argmax(logits []float32) int {
	best := 0
	for i, v := range logits {
		if v > logits[best] {
			best = i
		}
	}
	return best
}
