package data

import (
	"fmt"
	"math/bits"
)

// rng is splitmix64: one uint64 of state, so it serialises trivially.
type rng struct{ s uint64 }

func (r *rng) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	z := r.s
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// below returns a uniform integer in [0, n) (Lemire's method).
func (r *rng) below(n uint64) uint64 {
	hi, lo := bits.Mul64(r.next(), n)
	if lo < n {
		t := -n % n
		for lo < t {
			hi, lo = bits.Mul64(r.next(), n)
		}
	}
	return hi
}

// LoaderState is a Loader's position, JSON-serialisable, for exact resume.
type LoaderState struct {
	Epoch      int    `json:"epoch"`      // epochs completed
	Index      int    `json:"index"`      // next window, as a position in the epoch's order
	RNG        uint64 `json:"rng"`        // RNG state at the start of the epoch
	Seed       uint64 `json:"seed"`       // the seed the loader was made with
	Sequential bool   `json:"sequential"` // file order, no shuffling
	B          int    `json:"batch"`      // batch size
	T          int    `json:"context"`    // context length
	Windows    int    `json:"windows"`    // windows of T+1 tokens in the file
}

// Loader yields (inputs, targets) batches of B×T tokens from a token
// sequence, targets shifted by one; see the package comment for windows
// and epochs. It does not allocate per batch.
type Loader struct {
	src      Tokens
	b, t     int
	windows  int
	seq      bool
	seed     uint64
	epoch    int
	index    int
	rngStart uint64
	order    []uint32 // the epoch's window order (nil in sequential mode)
	buf      []int32  // T+1 tokens
}

// NewLoader returns a loader of batches of b sequences of t tokens over
// src, shuffled per epoch from seed unless sequential. src needs at least
// b windows, that is b*t+1 tokens; fewer is an error naming it.
func NewLoader(src Tokens, b, t int, seed uint64, sequential bool) (*Loader, error) {
	if b < 1 || t < 1 {
		return nil, fmt.Errorf("%s: batch size %d and context %d must be positive", src.Name(), b, t)
	}
	n := src.Len()
	if n < t+1 {
		return nil, fmt.Errorf("%s: %d tokens, fewer than context+1 = %d (context %d)", src.Name(), n, t+1, t)
	}
	w := (n - 1) / t
	if w > 1<<32-1 {
		return nil, fmt.Errorf("%s: too many windows (%d)", src.Name(), w)
	}
	if w < b {
		return nil, fmt.Errorf("%s: %d tokens make only %d windows of context+1 = %d tokens, fewer than batch size %d (need %d tokens)", src.Name(), n, w, t+1, b, b*t+1)
	}
	l := &Loader{src: src, b: b, t: t, windows: w, seq: sequential, seed: seed, buf: make([]int32, t+1)}
	l.rngStart = (&rng{s: seed}).next() // decorrelate small seeds
	l.startEpoch()
	return l, nil
}

// startEpoch builds the order of the current epoch from rngStart.
func (l *Loader) startEpoch() {
	l.index = 0
	if l.seq {
		l.order = nil
		return
	}
	if l.order == nil {
		l.order = make([]uint32, l.windows)
	}
	for i := range l.order {
		l.order[i] = uint32(i)
	}
	r := rng{s: l.rngStart}
	for i := len(l.order) - 1; i > 0; i-- {
		j := r.below(uint64(i + 1))
		l.order[i], l.order[j] = l.order[j], l.order[i]
	}
}

// Windows returns the number of windows of T+1 tokens.
func (l *Loader) Windows() int { return l.windows }

// ItersPerEpoch returns Windows()/B, the batches in one epoch.
func (l *Loader) ItersPerEpoch() int { return l.windows / l.b }

// Epoch returns the number of epochs completed.
func (l *Loader) Epoch() int { return l.epoch }

// Iter returns the iteration within the current epoch.
func (l *Loader) Iter() int { return l.index / l.b }

// Next fills inputs and targets (each of length at least B*T; row i is
// inputs[i*T:(i+1)*T]) with the next batch. When the epoch has fewer than
// B windows left it starts the next epoch first.
func (l *Loader) Next(inputs, targets []int32) error {
	bt := l.b * l.t
	if len(inputs) < bt || len(targets) < bt {
		return fmt.Errorf("%s: batch buffers hold %d and %d tokens, need B*T = %d", l.src.Name(), len(inputs), len(targets), bt)
	}
	if l.index+l.b > l.windows {
		l.epoch++
		r := rng{s: l.rngStart}
		l.rngStart = r.next() // a fresh, well-mixed stream per epoch
		l.startEpoch()
	}
	for i := range l.b {
		w := l.index + i
		if !l.seq {
			w = int(l.order[w])
		}
		l.src.Copy(l.buf, w*l.t)
		copy(inputs[i*l.t:(i+1)*l.t], l.buf[:l.t])
		copy(targets[i*l.t:(i+1)*l.t], l.buf[1:])
	}
	l.index += l.b
	return nil
}

// State returns the loader's position.
func (l *Loader) State() LoaderState {
	return LoaderState{Epoch: l.epoch, Index: l.index, RNG: l.rngStart, Seed: l.seed,
		Sequential: l.seq, B: l.b, T: l.t, Windows: l.windows}
}

// Restore moves the loader to a saved position. The state must come from
// a loader with the same batch size, context, mode and number of windows.
func (l *Loader) Restore(s LoaderState) error {
	if s.B != l.b || s.T != l.t || s.Windows != l.windows || s.Sequential != l.seq {
		return fmt.Errorf("%s: loader state is for B=%d T=%d windows=%d sequential=%v, this loader has B=%d T=%d windows=%d sequential=%v",
			l.src.Name(), s.B, s.T, s.Windows, s.Sequential, l.b, l.t, l.windows, l.seq)
	}
	if s.Index < 0 || s.Index > l.windows || s.Epoch < 0 {
		return fmt.Errorf("%s: loader state position (epoch %d, index %d) out of range", l.src.Name(), s.Epoch, s.Index)
	}
	l.epoch, l.seed, l.rngStart = s.Epoch, s.Seed, s.RNG
	l.startEpoch()
	l.index = s.Index
	return nil
}
