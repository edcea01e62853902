package kernels

import "math"

// Inverted dropout whose masks are a pure function of a key and an
// element's index: element i of a tensor is kept when the 64-bit hash of
// (key, i) lands at or above P's share of the range, and a kept element is
// scaled by 1/(1-P), so that the expected value of every output equals its
// input. Nothing is stored between a forward pass and its backward: the
// backward regenerates the mask from the same key. The mask does not
// depend on how the caller splits a tensor between threads (element i
// hashes i wherever it is processed), and a training run that draws its
// keys from its seed and step reproduces every mask on resume.

// Dropout describes one dropout layer's mask: rate P in [0, 1) and the Key
// of this layer in this forward pass. The zero value drops nothing.
type Dropout struct {
	P   float32
	Key uint64
}

// Active reports whether d drops anything.
func (d Dropout) Active() bool { return d.P > 0 }

// Scale is what a kept element is multiplied by, 1/(1-P).
func (d Dropout) Scale() float32 { return 1 / (1 - d.P) }

// threshold is the hash value below which an element is dropped:
// P * 2^64, rounded down, computed in float64 (P is a float32, so this is
// exact up to the last bits of a 53-bit mantissa).
func (d Dropout) threshold() uint64 {
	if d.P <= 0 {
		return 0
	}
	return uint64(float64(d.P) * (1 << 64))
}

// Keep reports whether element i is kept.
func (d Dropout) Keep(i uint64) bool { return dropHash(d.Key, i) >= d.threshold() }

// Sub returns the key of a sub-layer: n-th of the layers that d's key
// stands for (the blocks' dropout sites under one pass's key).
func (d Dropout) Sub(n uint64) Dropout {
	return Dropout{P: d.P, Key: dropHash(d.Key, n^0xd1b54a32d192ed03)}
}

// Apply writes out[j] = inp[j] * mask(off+j) / (1-P), for j < n: the
// forward of the layer over elements off .. off+n-1 of its tensor, and
// also its backward (the derivative of each output by its input is the
// same mask times the same scale). out may be inp.
// Shapes: out [n], inp [n].
func (d Dropout) Apply(out, inp []float32, off, n int) {
	out, inp = out[:n], inp[:n]
	if !d.Active() {
		copy(out, inp)
		return
	}
	dropoutImpl(out, inp, d.Key, uint64(off), d.threshold(), d.Scale())
}

// dropoutImpl is the routine Apply runs: dropoutGo, or the AVX-512 one
// where the CPU has it (dropout_amd64.go), which gives the same bits.
var dropoutImpl = dropoutGo

// dropoutGo is the plain Go reference of Apply: out[j] = inp[j] * s where
// the hash of (key, first+j) is at least th, else exactly 0 (whatever
// inp[j] is, NaN included). The choice is a bit mask, not a branch that
// would mispredict on a share P of the elements.
// Shapes: out [n], inp [n].
func dropoutGo(out, inp []float32, key, first, th uint64, s float32) {
	out = out[:len(inp)]
	for j, v := range inp {
		keep := -uint32(b2u(dropHash(key, first+uint64(j)) >= th)) // all ones or zero
		out[j] = math.Float32frombits(math.Float32bits(v*s) & keep)
	}
}

// b2u is 1 for true, 0 for false (compiled to a SETcc, not a branch).
func b2u(b bool) uint32 {
	var u uint32
	if b {
		u = 1
	}
	return u
}

// dropHash mixes a key and an index into 64 well-spread bits: the index
// is spread by the golden ratio's odd multiplier and combined with the
// key, then passed through SplitMix64's finaliser (Stafford's "Mix13"),
// whose every output bit depends on every input bit.
func dropHash(key, i uint64) uint64 {
	z := key + (i+1)*0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}
