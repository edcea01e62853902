package train

import "math"

// Schedule is nanoGPT's learning rate: a linear warmup to Max over Warmup
// steps, then a cosine decay to Min at step Total; Min after that.
type Schedule struct {
	Max, Min      float64
	Warmup, Total int
}

// At returns the learning rate for step (counted from 0).
func (s Schedule) At(step int) float64 {
	switch {
	case step < s.Warmup:
		return s.Max * float64(step+1) / float64(s.Warmup+1)
	case step >= s.Total || s.Total <= s.Warmup:
		return s.Min
	}
	ratio := float64(step-s.Warmup) / float64(s.Total-s.Warmup)
	return s.Min + 0.5*(1+math.Cos(math.Pi*ratio))*(s.Max-s.Min)
}
