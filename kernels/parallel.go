package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// The pool is a fixed set of worker goroutines that run the chunks of a
// parallel loop. One loop owns the pool at a time; a loop started while the
// pool is busy (a nested loop, or a second goroutine) runs inline on its
// caller. That makes nesting safe and keeps the number of running threads at
// the configured count, never above it.

type chunk struct {
	body   func(lo, hi int)
	lo, hi int
}

type pool struct {
	busy    atomic.Bool
	threads int
	work    []chan chunk
	pending atomic.Int32 // chunks handed to workers and not yet done
}

var thePool = newPool(runtime.GOMAXPROCS(0))

var poolMu sync.Mutex // serialises SetThreads against itself

func newPool(threads int) *pool {
	if threads < 1 {
		threads = 1
	}
	p := &pool{threads: threads, work: make([]chan chunk, threads-1)}
	for i := range p.work {
		ch := make(chan chunk, 1)
		p.work[i] = ch
		go p.worker(ch)
	}
	return p
}

func (p *pool) worker(ch chan chunk) {
	for {
		c, ok := receive(ch)
		if !ok {
			return
		}
		c.body(c.lo, c.hi)
		p.pending.Add(-1)
	}
}

// spinPolls is how many times a worker polls for its next chunk before it
// sleeps, and the caller for the workers' end before it starts yielding:
// decoding runs about 60 short parallel loops per token, and waking a
// sleeping thread takes microseconds. A worker with nothing to do sleeps
// after about 50-100 µs of polling.
const spinPolls = 2000

// receive returns the next chunk on ch, polling briefly before blocking.
func receive(ch chan chunk) (chunk, bool) {
	for range spinPolls {
		select {
		case c, ok := <-ch:
			return c, ok
		default:
		}
	}
	c, ok := <-ch
	return c, ok
}

// SetThreads sets how many threads parallel loops use (at least 1). It must
// not be called while a parallel loop is running.
func SetThreads(n int) {
	poolMu.Lock()
	defer poolMu.Unlock()
	if n < 1 {
		n = 1
	}
	if n == thePool.threads {
		return
	}
	old := thePool
	thePool = newPool(n)
	for _, ch := range old.work {
		close(ch)
	}
}

// Threads reports the number of threads parallel loops use.
func Threads() int { return thePool.threads }

// For runs body over [0, n) split into contiguous ranges, one per thread,
// each range at least grain long (grain < 1 counts as 1). It returns when
// every range is done. When n is small or the pool is busy, For runs body(0, n)
// on the calling goroutine.
func For(n, grain int, body func(lo, hi int)) {
	if n <= 0 {
		return
	}
	if grain < 1 {
		grain = 1
	}
	p := thePool
	parts := min(p.threads, (n+grain-1)/grain)
	if parts <= 1 || !p.busy.CompareAndSwap(false, true) {
		body(0, n)
		return
	}
	defer p.busy.Store(false)
	// Split n into parts ranges whose lengths differ by at most one.
	p.pending.Store(int32(parts - 1))
	lo := 0
	for i := 0; i < parts; i++ {
		hi := lo + n/parts
		if i < n%parts {
			hi++
		}
		if i == parts-1 {
			body(lo, hi) // the caller takes the last range
		} else {
			p.work[i] <- chunk{body, lo, hi}
		}
		lo = hi
	}
	// Wait for the workers: poll, then yield between polls (to the GC and any
	// other goroutine) but never sleep: a caller woken from sleep starts the
	// next loop microseconds late, which cost decoding about 8%; measured
	// with the sleep after a bounded poll, tg was 73% of the bound instead
	// of 78-79%.
	for i := 0; p.pending.Load() > 0; i++ {
		if i > spinPolls {
			runtime.Gosched()
		}
	}
}
