package kernels

import "math"

// Expf is a float32 exponential accurate to about 2 ulp, several times
// faster than converting to float64 and calling math.Exp. It splits
// x*log2(e) into an integer n and a fraction f in [-0.5, 0.5], evaluates
// 2^f with a degree-6 polynomial and puts n into the exponent bits.
// Results below the float32 range flush to 0; above it, +Inf.
func Expf(x float32) float32 {
	const (
		log2e = 1.44269504088896341
		ln2hi = 0.693359375 // ln 2 split so that n*ln2hi is exact
		ln2lo = -2.12194440e-4
	)
	if x > 88.72283 {
		return float32(math.Inf(1))
	}
	if x < -87.33654 { // below the smallest normal: flush to zero
		return 0
	}
	if x != x {
		return x
	}
	// Adding and subtracting 1.5*2^23 rounds to the nearest integer.
	const shifter = 12582912
	n := (x*log2e + shifter) - shifter
	r := x - n*ln2hi - n*ln2lo // r in about [-0.347, 0.347]
	// e^r by its Taylor series to r^7/7!: the truncation error is below
	// 2^-24 on this interval.
	p := float32(1.0 / 5040)
	p = p*r + 1.0/720
	p = p*r + 1.0/120
	p = p*r + 1.0/24
	p = p*r + 1.0/6
	p = p*r + 0.5
	p = p*r + 1
	p = p*r + 1
	if n > 127-1 { // 2^128 is not a float32: scale in two steps
		return 2 * p * math.Float32frombits(uint32(int32(n)+126)<<23)
	}
	return p * math.Float32frombits(uint32(int32(n)+127)<<23)
}
