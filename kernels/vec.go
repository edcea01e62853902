package kernels

import "math"

// Vector routines for the layers outside the matrix products: softmax and
// cross-entropy rows, GELU, and the AdamW update.
//
// Each routine has a plain Go version (the *Go functions in this file). It
// is the reference the tests compare against and the code that runs on CPUs
// without AVX2+FMA or with the purego build tag. On amd64 the routines run
// Go assembly (vec_amd64.s) for AVX-512 or AVX2+FMA, picked at start-up from
// the CPU's features.
//
// Every routine is deterministic: it treats its slice in a fixed order that
// depends only on the length, so rows give the same result however the
// caller splits work between threads. Elementwise routines give each
// element the same result wherever it sits in the slice (the vector code
// handles a short tail with masked or padded full-width operations, never
// with different scalar code), so splitting a slice into ranges does not
// change any element either. Reductions (MaxF32, DotF32, ExpSubSum) sum in
// lanes and then across lanes, so their sums differ from a left-to-right
// scalar sum by rounding only.

// vecLevel says which implementation the routines use.
type vecLevel int

const (
	vecGeneric vecLevel = iota // plain Go
	vecAVX2                    // AVX2 + FMA, 8 lanes
	vecAVX512                  // AVX-512F, 16 lanes
)

// vecImpl is the implementation in use. Tests set it to force each path;
// the start-up code sets it to the best the CPU has (vec_amd64.go).
var vecImpl = vecGeneric

// MaxF32 returns the largest element of x, or NaN if any element is NaN.
// x must not be empty.
// Shapes: x [n], n >= 1.
func MaxF32(x []float32) float32 {
	if len(x) == 0 {
		panic("kernels: MaxF32 of an empty slice")
	}
	if vecImpl != vecGeneric {
		return maxAsm(x)
	}
	return maxGo(x)
}

func maxGo(x []float32) float32 {
	m := x[0]
	for _, v := range x {
		m = max(m, v)
	}
	return m
}

// ExpSubSum sets dst[i] = e^(src[i] - shift) and returns the sum of the
// dst[i]. dst may be src (in place). Each exponential is within about 2 ulp
// of the true value and follows Expf: results below the smallest normal
// float32 (src[i]-shift < -87.34) are 0, above the largest float32 +Inf,
// and NaN stays NaN. The sum is accumulated in float32 lanes in a fixed
// pattern that depends only on len(src), so it is reproducible; it differs
// from a left-to-right sum by rounding only.
// Shapes: dst [n], src [n].
func ExpSubSum(dst, src []float32, shift float32) float32 {
	dst = dst[:len(src)]
	if vecImpl != vecGeneric {
		return expSubSumAsm(dst, src, shift)
	}
	return expSubSumGo(dst, src, shift)
}

func expSubSumGo(dst, src []float32, shift float32) float32 {
	var sum float32
	for i, v := range src {
		e := Expf(v - shift)
		dst[i] = e
		sum += e
	}
	return sum
}

// ScaleF32 sets dst[i] = s * src[i]. dst may be src (in place).
// Shapes: dst [n], src [n].
func ScaleF32(dst, src []float32, s float32) {
	dst = dst[:len(src)]
	if vecImpl != vecGeneric {
		scaleAsm(dst, src, s)
		return
	}
	scaleGo(dst, src, s)
}

func scaleGo(dst, src []float32, s float32) {
	for i, v := range src {
		dst[i] = s * v
	}
}

// DotF32 returns Σ a[i]*b[i], accumulated in float32 lanes in a fixed
// pattern that depends only on the length.
// Shapes: a [n], b [n].
func DotF32(a, b []float32) float32 {
	b = b[:len(a)]
	if vecImpl != vecGeneric {
		return dotAsm(a, b)
	}
	return dotGo(a, b)
}

func dotGo(a, b []float32) float32 {
	var s float32
	for i, v := range a {
		s += v * b[i]
	}
	return s
}

// SubMulF32 sets d[i] = p[i] * (d[i] - c): the last step of the softmax
// backward pass, with c = Σ p[i] d[i].
// Shapes: d [n], p [n].
func SubMulF32(d, p []float32, c float32) {
	p = p[:len(d)]
	if vecImpl != vecGeneric {
		subMulAsm(d, p, c)
		return
	}
	subMulGo(d, p, c)
}

func subMulGo(d, p []float32, c float32) {
	for i, v := range p {
		d[i] = v * (d[i] - c)
	}
}

// GELU, tanh form (GPT-2's "gelu_new"):
//
//	gelu(x) = 0.5 x (1 + tanh u),   u = sqrt(2/pi) (x + 0.044715 x³)
//
// computed through one exponential without cancellation: with
// s = 1/(1 + e^(-2u)) = 0.5 (1 + tanh u),
//
//	gelu(x)  = x s
//	gelu'(x) = s (1 + 2 x (1-s) u'),   u' = sqrt(2/pi) (1 + 3*0.044715 x²)
//
// and 1-s = e^(-2u) s. For very negative x, e^(-2u) overflows to +Inf and
// s = 0, so gelu(x) = -0 as it should. The gradient clamps x to [-9, 9]
// first, which keeps e^(-2u) and x³ finite: beyond 9, gelu' is 1 to
// float32 precision, and below -9 it is below 3e-27 in magnitude (we return
// gelu'(-9) ≈ -2.5e-27). The absolute error of s is a few 1e-8; relative
// errors grow with |u| for negative x, as e^(-2u) amplifies the rounding of
// its argument (about (1+2|u|) ulp).
const (
	geluC0   = 0.7978845608028654            // sqrt(2/pi)
	geluC1   = 0.7978845608028654 * 0.044715 // sqrt(2/pi) * 0.044715
	geluD1   = 3 * geluC1                    // d/dx of the cubic term, over x²
	geluXMax = 9                             // the gradient's clamp on |x|
)

// GeluF32 sets out[i] = gelu(x[i]). out may be x.
// Shapes: out [n], x [n].
func GeluF32(out, x []float32) {
	out = out[:len(x)]
	if vecImpl != vecGeneric {
		geluAsm(out, x)
		return
	}
	geluGo(out, x)
}

func geluGo(out, x []float32) {
	for i, v := range x {
		u := v * (geluC0 + geluC1*(v*v))
		s := 1 / (1 + Expf(-2*u))
		out[i] = v * s
	}
}

// GeluBackwardF32 sets dx[i] = dy[i] * gelu'(x[i]). dx may be dy.
// Shapes: dx [n], dy [n], x [n].
func GeluBackwardF32(dx, dy, x []float32) {
	dx, dy = dx[:len(x)], dy[:len(x)]
	if vecImpl != vecGeneric {
		geluBackwardAsm(dx, dy, x)
		return
	}
	geluBackwardGo(dx, dy, x)
}

func geluBackwardGo(dx, dy, x []float32) {
	for i, v := range x {
		v = min(max(v, -geluXMax), geluXMax)
		v2 := v * v
		u := v * (geluC0 + geluC1*v2)
		e := Expf(-2 * u)
		s := 1 / (1 + e)
		t := e * s // 1 - s
		du := geluC0 + geluD1*v2
		dx[i] = dy[i] * (s * (1 + 2*v*t*du))
	}
}

// AdamWParams holds the per-step constants of an AdamW update (see
// AdamWF32). StepSize is lr/(1-β1^t) and RBC2 is 1/sqrt(1-β2^t), the bias
// corrections; WD is lr*weight_decay (0 for tensors that do not decay).
type AdamWParams struct {
	Beta1, Beta2, Eps, WD, StepSize, RBC2 float32
	// GradScale multiplies every gradient first (gradient clipping's factor,
	// and 1/n for n accumulated micro-batches), saving a pass over g. It is
	// folded into the moment constants: (1-β1)·s and (1-β2)·s².
	GradScale float32
}

// moments returns the constants that multiply g and g² in the moment
// updates, with the gradient scale folded in.
func (c AdamWParams) moments() (omb1, omb2 float32) {
	return (1 - c.Beta1) * c.GradScale, (1 - c.Beta2) * c.GradScale * c.GradScale
}

// AdamWF32 applies one AdamW step to a span of parameters, elementwise:
//
//	g = GradScale * g
//	m = β1 m + (1-β1) g          v = β2 v + (1-β2) g²
//	p = (p - WD p) - StepSize * m / (sqrt(v) RBC2 + Eps)
//
// which is torch.optim.AdamW's update with the bias corrections folded
// into StepSize and RBC2. The vector code uses fused multiply-adds, so it
// differs from the Go version by rounding (about 1 ulp per operation).
// Shapes: p [n], g [n], m [n], v [n].
func AdamWF32(p, g, m, v []float32, c AdamWParams) {
	g, m, v = g[:len(p)], m[:len(p)], v[:len(p)]
	if vecImpl != vecGeneric {
		adamwAsm(p, g, m, v, c)
		return
	}
	adamwGo(p, g, m, v, c)
}

func adamwGo(p, g, m, v []float32, c AdamWParams) {
	b1, b2 := c.Beta1, c.Beta2
	omb1, omb2 := c.moments()
	for i := range p {
		gi := g[i]
		mi := b1*m[i] + omb1*gi
		vi := b2*v[i] + omb2*gi*gi
		m[i], v[i] = mi, vi
		// Decay first, from the old value, then the Adam step: the same as
		// torch.optim.AdamW.
		pi := p[i] - c.WD*p[i]
		p[i] = pi - c.StepSize*mi/(float32(math.Sqrt(float64(vi)))*c.RBC2+c.Eps)
	}
}
