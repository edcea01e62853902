package bench

import "math"

// Result is the outcome of one test.
type Result struct {
	Test          string    `json:"test"`
	Seqs          int       `json:"seqs,omitempty"` // tg: sequences decoded together (omitted: 1)
	Tokens        int       `json:"tokens"`         // tokens per repetition (all sequences)
	Samples       []float64 `json:"samples_tps"`    // tokens per second of each repetition
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
