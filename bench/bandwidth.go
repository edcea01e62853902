package bench

import (
	"sync"
	"time"
)

// ReadBandwidth measures how fast threads goroutines can read a buffer of
// the given size from memory, in GB/s (1e9 bytes): the best of reps
// passes (as STREAM reports), each reading every byte once. Use a buffer
// much larger than the last-level cache (256 MiB) to measure DRAM.
func ReadBandwidth(bytes, threads, reps int) float64 {
	return NewReadMeter(bytes).Measure(threads, reps)
}

// ReadMeter measures read bandwidth over a buffer allocated once, so
// measurements can be interleaved with other work cheaply.
type ReadMeter struct {
	words []uint64
}

// NewReadMeter allocates and writes a buffer of the given size (so page
// faults are not counted later).
func NewReadMeter(bytes int) *ReadMeter {
	words := make([]uint64, max(bytes/8, 1))
	for i := range words {
		words[i] = uint64(i)
	}
	return &ReadMeter{words: words}
}

// Measure returns the best of reps passes over the buffer by threads
// goroutines, in GB/s.
func (r *ReadMeter) Measure(threads, reps int) float64 {
	words := r.words
	threads = max(threads, 1)
	var sink uint64
	var mu sync.Mutex
	best := 0.0
	for range max(reps, 1) {
		var wg sync.WaitGroup
		start := time.Now()
		for t := range threads {
			lo, hi := len(words)*t/threads, len(words)*(t+1)/threads
			wg.Add(1)
			go func() {
				defer wg.Done()
				s := readWords(words[lo:hi])
				mu.Lock()
				sink += s
				mu.Unlock()
			}()
		}
		wg.Wait()
		best = max(best, float64(len(words)*8)/time.Since(start).Seconds()/1e9)
	}
	keep(sink)
	return best
}

// readWords reads w once from memory and returns a sum of some of its
// words. Memory moves whole 64-byte lines, so loading one word of each
// line transfers every byte while costing the core 8x fewer loads than a
// word-by-word loop: the measurement stays memory-bound even when the
// cores are shared with other work. It walks the four quarters of w side
// by side, with two lines in flight per quarter: several streams keep more
// requests outstanding, as a matrix-vector kernel reading four rows at
// once does.
func readWords(w []uint64) uint64 {
	const line = 8 // words per 64-byte line
	q := len(w) / 4 / (2 * line) * (2 * line)
	a, b, c, d := w[:q], w[q:2*q], w[2*q:3*q], w[3*q:4*q]
	var s0, s1, s2, s3, s4, s5, s6, s7 uint64
	for i := 0; i < q; i += 2 * line {
		s0 += a[i]
		s1 += b[i]
		s2 += c[i]
		s3 += d[i]
		s4 += a[i+line]
		s5 += b[i+line]
		s6 += c[i+line]
		s7 += d[i+line]
	}
	for i := 4 * q; i < len(w); i += line {
		s0 += w[i]
	}
	return s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7
}

// sinkWord keeps the compiler from discarding the sums.
var sinkWord uint64

func keep(s uint64) { sinkWord = s }
