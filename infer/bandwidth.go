package infer

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

// readWords reads w once and returns a word of it. It copies 4 KiB at a
// time with the runtime's vectorised copy into a buffer that stays in L1
// (a plain Go loop does not issue wide enough loads to saturate memory),
// from four quarters of w in turn: several streams keep more requests in
// flight, as a matrix-vector kernel reading four rows at once does.
func readWords(w []uint64) uint64 {
	var buf [512]uint64
	var s uint64
	q := len(w) / 4
	for i := 0; i < q; i += len(buf) {
		for k := range 4 {
			n := copy(buf[:], w[k*q+i:k*q+min(i+len(buf), q)])
			s += buf[n-1]
		}
	}
	for _, v := range w[4*q:] {
		s += v
	}
	return s
}

// sinkWord keeps the compiler from discarding the sums.
var sinkWord uint64

func keep(s uint64) { sinkWord = s }
