package infer

import (
	"sort"
	"sync"
	"time"
)

// ReadBandwidth measures how fast threads goroutines can read a buffer of
// the given size from memory, in GB/s (1e9 bytes): the median of reps
// passes, each reading every byte once. The buffer is written
// first, so page faults are not counted. Use a buffer much larger than the
// last-level cache (256 MiB) to measure DRAM.
func ReadBandwidth(bytes, threads, reps int) float64 {
	words := make([]uint64, bytes/8)
	for i := range words {
		words[i] = uint64(i)
	}
	threads = max(threads, 1)
	var sink uint64
	var mu sync.Mutex
	rates := make([]float64, 0, reps)
	for range max(reps, 1) {
		var wg sync.WaitGroup
		start := time.Now()
		for t := range threads {
			lo, hi := len(words)*t/threads, len(words)*(t+1)/threads
			wg.Add(1)
			go func() {
				defer wg.Done()
				s := sumWords(words[lo:hi])
				mu.Lock()
				sink += s
				mu.Unlock()
			}()
		}
		wg.Wait()
		rates = append(rates, float64(len(words)*8)/time.Since(start).Seconds()/1e9)
	}
	keep(sink)
	sort.Float64s(rates)
	return rates[len(rates)/2]
}

// sumWords reads w once, 4 KiB at a time, with the runtime's vectorised
// copy into a buffer that stays in L1 (a plain Go loop does not issue wide
// enough loads to saturate memory), and returns a word of it.
func sumWords(w []uint64) uint64 {
	var buf [512]uint64
	var s uint64
	for i := 0; i < len(w); i += len(buf) {
		n := copy(buf[:], w[i:])
		s += buf[n-1]
	}
	return s
}

// sinkWord keeps the compiler from discarding the sums.
var sinkWord uint64

func keep(s uint64) { sinkWord = s }
