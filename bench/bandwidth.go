package bench

import (
	"sync"
	"time"
	"unsafe"

	"github.com/gptgo/gptgo/kernels"
)

// ReadBandwidth measures how fast threads goroutines can read a buffer of
// the given size from memory, in GB/s (1e9 bytes): the best of reps
// passes (as STREAM reports) of each of the meter's loops, each reading
// every byte once. Use a buffer far larger than the last-level cache to
// measure DRAM (gpt bench uses 1 GiB).
func ReadBandwidth(bytes, threads, reps int) float64 {
	return NewReadMeter(bytes).Measure(threads, reps)
}

// ReadMeter measures read bandwidth over a buffer allocated once, so
// measurements can be interleaved with other work cheaply. It times two
// plain streaming loops and reports the faster, so that "% of the bound"
// is against the best this machine's memory gives a simple loop: one
// touches one word per 64-byte line with four streams per thread (fewest
// instructions), the other is a float32 dot product over every word with
// the AVX-512/AVX2 kernel (what a matrix-vector product does). Which one
// is faster differs between machines.
type ReadMeter struct {
	data  []float32 // all ones
	words []uint64  // the same memory
}

// NewReadMeter allocates and writes a buffer of the given size (so page
// faults are not counted later).
func NewReadMeter(bytes int) *ReadMeter {
	data := make([]float32, max(bytes/8, 1)*2)
	for i := range data {
		data[i] = 1
	}
	words := unsafe.Slice((*uint64)(unsafe.Pointer(&data[0])), len(data)/2)
	return &ReadMeter{data: data, words: words}
}

// Measure returns the best of reps passes of each loop over the buffer by
// threads goroutines, in GB/s.
func (r *ReadMeter) Measure(threads, reps int) float64 {
	threads = max(threads, 1)
	best := 0.0
	for range max(reps, 1) {
		best = max(best, r.pass(threads, func(lo, hi int) float64 { return float64(readWords(r.words[lo/2 : hi/2])) }))
		best = max(best, r.pass(threads, func(lo, hi int) float64 { return float64(dotOnes(r.data[lo:hi])) }))
	}
	return best
}

// pass runs read over threads contiguous parts of the buffer (in float32
// elements, even bounds) at once and returns the GB/s.
func (r *ReadMeter) pass(threads int, read func(lo, hi int) float64) float64 {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var sink float64
	n := len(r.data)
	start := time.Now()
	for t := range threads {
		lo, hi := n*t/threads&^1, n*(t+1)/threads&^1
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := read(lo, hi)
			mu.Lock()
			sink += s
			mu.Unlock()
		}()
	}
	wg.Wait()
	gbs := float64(n*4) / time.Since(start).Seconds() / 1e9
	keep(uint64(sink))
	return gbs
}

// onesPiece is the vector dotOnes multiplies by.
var onesPiece = func() (v [4096]float32) {
	for i := range v {
		v[i] = 1
	}
	return v
}()

// dotOnes reads x with the dot-product kernel in L1-sized pieces against a
// vector of ones and returns the sum.
func dotOnes(x []float32) float32 {
	const piece = len(onesPiece)
	ones := onesPiece[:]
	var s float32
	for lo := 0; lo < len(x); lo += piece {
		hi := min(lo+piece, len(x))
		s += kernels.DotF32(x[lo:hi], ones[:hi-lo])
	}
	return s
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
