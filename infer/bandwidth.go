package infer

import (
	"sort"
	"sync"
	"time"
)

// ReadBandwidth measures how fast threads goroutines can read a buffer of
// the given size from memory, in GB/s (1e9 bytes): the median of reps
// passes, each summing every 8-byte word once. The buffer is written
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

// sumWords adds up w with eight independent integer accumulators, so the
// loop is limited by loads, not by the latency of the adds.
func sumWords(w []uint64) uint64 {
	var s0, s1, s2, s3, s4, s5, s6, s7 uint64
	i := 0
	for ; i+8 <= len(w); i += 8 {
		b := (*[8]uint64)(w[i : i+8])
		s0 += b[0]
		s1 += b[1]
		s2 += b[2]
		s3 += b[3]
		s4 += b[4]
		s5 += b[5]
		s6 += b[6]
		s7 += b[7]
	}
	for ; i < len(w); i++ {
		s0 += w[i]
	}
	return s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7
}

// sinkWord keeps the compiler from discarding the sums.
var sinkWord uint64

func keep(s uint64) { sinkWord = s }
