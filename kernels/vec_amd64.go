//go:build amd64 && !purego

package kernels

import (
	"math"

	"golang.org/x/sys/cpu"
)

// Assembly routines from vec_amd64.s. The AVX-512 ones take any n (the
// tail is masked); the AVX2 ones take n a multiple of 8, and the wrappers
// below run the last n%8 elements through them in a padded buffer, so the
// tail gets exactly the same arithmetic as the rest.

//go:noescape
func maxAVX512(x *float32, n int) float32

//go:noescape
func expSubSumAVX512(dst, src *float32, n int, shift float32) float32

//go:noescape
func scaleAVX512(dst, src *float32, n int, s float32)

//go:noescape
func dotAVX512(a, b *float32, n int) float32

//go:noescape
func subMulAVX512(d, p *float32, n int, c float32)

//go:noescape
func geluAVX512(out, x *float32, n int)

//go:noescape
func geluBackwardAVX512(dx, dy, x *float32, n int)

//go:noescape
func adamwAVX512(p, gr, m, v *float32, n int, b1, omb1, b2, omb2, wd, step, rbc2, eps float32)

//go:noescape
func maxAVX2(x *float32, n int) float32

//go:noescape
func expSubSumAVX2(dst, src *float32, n int, shift float32) float32

//go:noescape
func scaleAVX2(dst, src *float32, n int, s float32)

//go:noescape
func dotAVX2(a, b *float32, n int) float32

//go:noescape
func subMulAVX2(d, p *float32, n int, c float32)

//go:noescape
func geluAVX2(out, x *float32, n int)

//go:noescape
func geluBackwardAVX2(dx, dy, x *float32, n int)

//go:noescape
func adamwAVX2(p, gr, m, v *float32, n int, b1, omb1, b2, omb2, wd, step, rbc2, eps float32)

func init() {
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		vecImpl = vecAVX2
		if cpu.X86.HasAVX512F {
			vecImpl = vecAVX512
		}
	}
}

// ptr returns &x[0], or nil for an empty slice (the routines then read
// nothing).
func ptr(x []float32) *float32 {
	if len(x) == 0 {
		return nil
	}
	return &x[0]
}

func maxAsm(x []float32) float32 {
	if vecImpl == vecAVX512 {
		return maxAVX512(&x[0], len(x))
	}
	n := len(x) &^ 7
	m := x[0]
	if n > 0 {
		m = maxAVX2(&x[0], n)
	}
	for _, v := range x[n:] { // max is exact: the order does not matter
		m = max(m, v)
	}
	return m
}

func expSubSumAsm(dst, src []float32, shift float32) float32 {
	if vecImpl == vecAVX512 {
		return expSubSumAVX512(ptr(dst), ptr(src), len(src), shift)
	}
	n := len(src) &^ 7
	sum := expSubSumAVX2(ptr(dst), ptr(src), n, shift)
	if r := len(src) - n; r > 0 {
		var buf [8]float32
		for i := range buf { // padding lanes give e^-Inf = 0
			buf[i] = float32(math.Inf(-1))
		}
		copy(buf[:], src[n:])
		sum += expSubSumAVX2(&buf[0], &buf[0], 8, shift)
		copy(dst[n:], buf[:r])
	}
	return sum
}

func scaleAsm(dst, src []float32, s float32) {
	if vecImpl == vecAVX512 {
		scaleAVX512(ptr(dst), ptr(src), len(src), s)
		return
	}
	n := len(src) &^ 7
	scaleAVX2(ptr(dst), ptr(src), n, s)
	if r := len(src) - n; r > 0 {
		var buf [8]float32
		copy(buf[:], src[n:])
		scaleAVX2(&buf[0], &buf[0], 8, s)
		copy(dst[n:], buf[:r])
	}
}

func dotAsm(a, b []float32) float32 {
	if vecImpl == vecAVX512 {
		return dotAVX512(ptr(a), ptr(b), len(a))
	}
	n := len(a) &^ 7
	s := dotAVX2(ptr(a), ptr(b), n)
	if r := len(a) - n; r > 0 {
		var ba, bb [8]float32
		copy(ba[:], a[n:])
		copy(bb[:], b[n:])
		s += dotAVX2(&ba[0], &bb[0], 8)
	}
	return s
}

func subMulAsm(d, p []float32, c float32) {
	if vecImpl == vecAVX512 {
		subMulAVX512(ptr(d), ptr(p), len(d), c)
		return
	}
	n := len(d) &^ 7
	subMulAVX2(ptr(d), ptr(p), n, c)
	if r := len(d) - n; r > 0 {
		var bd, bp [8]float32
		copy(bd[:], d[n:])
		copy(bp[:], p[n:])
		subMulAVX2(&bd[0], &bp[0], 8, c)
		copy(d[n:], bd[:r])
	}
}

func geluAsm(out, x []float32) {
	if vecImpl == vecAVX512 {
		geluAVX512(ptr(out), ptr(x), len(x))
		return
	}
	n := len(x) &^ 7
	geluAVX2(ptr(out), ptr(x), n)
	if r := len(x) - n; r > 0 {
		var buf [8]float32
		copy(buf[:], x[n:])
		geluAVX2(&buf[0], &buf[0], 8)
		copy(out[n:], buf[:r])
	}
}

func geluBackwardAsm(dx, dy, x []float32) {
	if vecImpl == vecAVX512 {
		geluBackwardAVX512(ptr(dx), ptr(dy), ptr(x), len(x))
		return
	}
	n := len(x) &^ 7
	geluBackwardAVX2(ptr(dx), ptr(dy), ptr(x), n)
	if r := len(x) - n; r > 0 {
		var bdy, bx [8]float32
		copy(bdy[:], dy[n:])
		copy(bx[:], x[n:])
		geluBackwardAVX2(&bdy[0], &bdy[0], &bx[0], 8)
		copy(dx[n:], bdy[:r])
	}
}

func adamwAsm(p, g, m, v []float32, c AdamWParams) {
	omb1, omb2 := c.moments()
	if vecImpl == vecAVX512 {
		adamwAVX512(ptr(p), ptr(g), ptr(m), ptr(v), len(p),
			c.Beta1, omb1, c.Beta2, omb2, c.WD, c.StepSize, c.RBC2, c.Eps)
		return
	}
	n := len(p) &^ 7
	adamwAVX2(ptr(p), ptr(g), ptr(m), ptr(v), n,
		c.Beta1, omb1, c.Beta2, omb2, c.WD, c.StepSize, c.RBC2, c.Eps)
	if r := len(p) - n; r > 0 {
		var bp, bg, bm, bv [8]float32
		copy(bp[:], p[n:])
		copy(bg[:], g[n:])
		copy(bm[:], m[n:])
		copy(bv[:], v[n:])
		adamwAVX2(&bp[0], &bg[0], &bm[0], &bv[0], 8,
			c.Beta1, omb1, c.Beta2, omb2, c.WD, c.StepSize, c.RBC2, c.Eps)
		copy(p[n:], bp[:r])
		copy(m[n:], bm[:r])
		copy(v[n:], bv[:r])
	}
}
