package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// vecLevels lists the implementations this CPU can run, generic first.
func vecLevels() []vecLevel {
	ls := []vecLevel{vecGeneric}
	if vecImpl >= vecAVX2 { // AVX-512 is only picked on CPUs with AVX2+FMA too
		ls = append(ls, vecAVX2)
	}
	if vecImpl == vecAVX512 {
		ls = append(ls, vecAVX512)
	}
	return ls
}

func (l vecLevel) String() string {
	return [...]string{"generic", "avx2", "avx512"}[l]
}

// forEachLevel runs f once per implementation with vecImpl forced to it.
func forEachLevel(t *testing.T, f func(t *testing.T)) {
	saved := vecImpl
	defer func() { vecImpl = saved }()
	for _, l := range vecLevels() {
		vecImpl = l
		t.Run(l.String(), f)
	}
}

// testLengths are 0..67 (every tail length of both vector widths, with and
// without a full vector) and a few long ones, one the vocabulary size.
func testLengths() []int {
	var ns []int
	for n := 0; n <= 67; n++ {
		ns = append(ns, n)
	}
	return append(ns, 255, 1000, 4099, 50257)
}

func randSlice(r *rand.Rand, n int, scale float32) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = scale * float32(r.NormFloat64())
	}
	return x
}

// ulpDiff is the distance between a and b in units in the last place.
func ulpDiff(a, b float32) float64 {
	if a == b {
		return 0
	}
	ia, ib := int64(math.Float32bits(a)), int64(math.Float32bits(b))
	if ia < 0x80000000 != (ib < 0x80000000) {
		return math.Inf(1)
	}
	return math.Abs(float64(ia - ib))
}

func sameFloat(a, b float32) bool {
	return a == b || (a != a && b != b)
}

// extremes holds values each kernel must treat like its reference.
var extremes = []float32{0, -0.5, 1, -1, 3.5, -87.3, -87.4, -88, -100, -1e30,
	float32(math.Inf(-1)), 88.3, 88.5, 88.72, 88.73, 100, float32(math.Inf(1)),
	float32(math.NaN()), 1e-30, -1e-30, 9, -9, 12, -12, 50, -50}

func TestMaxF32(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(1, 2))
		for _, n := range testLengths() {
			if n == 0 {
				continue
			}
			x := randSlice(r, n, 10)
			if got, want := MaxF32(x), maxGo(x); got != want {
				t.Fatalf("n=%d: got %v, want %v", n, got, want)
			}
			// The maximum in each position, and a NaN in each position.
			for _, pos := range []int{0, n / 2, n - 1} {
				y := append([]float32(nil), x...)
				y[pos] = 1e6
				if got := MaxF32(y); got != 1e6 {
					t.Fatalf("n=%d, max at %d: got %v", n, pos, got)
				}
				y[pos] = float32(math.NaN())
				if got := MaxF32(y); got == got {
					t.Fatalf("n=%d, NaN at %d: got %v", n, pos, got)
				}
			}
		}
		if got := MaxF32([]float32{float32(math.Inf(-1)), -3}); got != -3 {
			t.Fatalf("got %v", got)
		}
	})
}

func TestExpSubSum(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(3, 4))
		worst := 0.0
		for _, n := range testLengths() {
			src := randSlice(r, n, 20)
			shift := float32(r.NormFloat64())
			dst := make([]float32, n)
			sum := ExpSubSum(dst, src, shift)
			var want float64
			for i, v := range src {
				exact := math.Exp(float64(v - shift))
				if exact < 0x1p-126 {
					if dst[i] != 0 && math.Abs(float64(dst[i])-exact) > 0x1p-149 {
						t.Fatalf("n=%d i=%d: e^%v = %v, want 0", n, i, v-shift, dst[i])
					}
					continue
				}
				d := ulpDiff(dst[i], float32(exact))
				worst = max(worst, d)
				if d > 2 {
					t.Fatalf("n=%d i=%d: e^%v = %v, exact %v (%v ulp)", n, i, v-shift, dst[i], exact, d)
				}
				if d := ulpDiff(dst[i], Expf(v-shift)); d > 3 {
					t.Fatalf("n=%d i=%d: e^%v = %v, Expf %v", n, i, v-shift, dst[i], Expf(v-shift))
				}
				want += float64(dst[i])
			}
			if math.Abs(float64(sum)-want) > 1e-6*want+1e-30 {
				t.Fatalf("n=%d: sum %v, want %v", n, sum, want)
			}
			// In place gives the same.
			inPlace := append([]float32(nil), src...)
			if s := ExpSubSum(inPlace, inPlace, shift); s != sum {
				t.Fatalf("n=%d: in place sum %v, want %v", n, s, sum)
			}
			for i := range dst {
				if inPlace[i] != dst[i] {
					t.Fatalf("n=%d: in place differs at %d", n, i)
				}
			}
		}
		t.Logf("worst error against math.Exp: %v ulp", worst)
		// Extreme arguments, alone (a masked tail) and among 40 others.
		for _, v := range extremes {
			for _, n := range []int{1, 40} {
				src := make([]float32, n)
				src[n-1] = v
				dst := make([]float32, n)
				sum := ExpSubSum(dst, src, 0)
				want := Expf(v)
				if !sameFloat(dst[n-1], want) && ulpDiff(dst[n-1], want) > 3 {
					t.Fatalf("e^%v = %v, want %v", v, dst[n-1], want)
				}
				if wantSum := float32(n-1) + want; !sameFloat(sum, wantSum) && math.Abs(float64(sum-wantSum)) > 1e-6*math.Abs(float64(wantSum)) {
					t.Fatalf("sum with e^%v = %v, want %v", v, sum, wantSum)
				}
			}
		}
	})
}

func TestScaleF32(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(5, 6))
		for _, n := range testLengths() {
			src := randSlice(r, n, 3)
			dst := make([]float32, n)
			ScaleF32(dst, src, 0.37)
			for i, v := range src {
				if dst[i] != 0.37*v {
					t.Fatalf("n=%d i=%d: %v, want %v", n, i, dst[i], 0.37*v)
				}
			}
			ScaleF32(src, src, 0.37)
			for i := range src {
				if src[i] != dst[i] {
					t.Fatalf("n=%d: in place differs at %d", n, i)
				}
			}
		}
	})
}

func TestDotF32(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(7, 8))
		for _, n := range testLengths() {
			a, b := randSlice(r, n, 1), randSlice(r, n, 1)
			var want, mag float64
			for i := range a {
				want += float64(a[i]) * float64(b[i])
				mag += math.Abs(float64(a[i]) * float64(b[i]))
			}
			got := DotF32(a, b)
			if math.Abs(float64(got)-want) > 1e-6*mag*math.Sqrt(float64(n)+1)+1e-30 {
				t.Fatalf("n=%d: %v, want %v", n, got, want)
			}
		}
		nan := []float32{1, 2, float32(math.NaN())}
		if got := DotF32(nan, nan); got == got {
			t.Fatalf("NaN: got %v", got)
		}
	})
}

func TestSubMulF32(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(9, 10))
		for _, n := range testLengths() {
			d, p := randSlice(r, n, 1), randSlice(r, n, 1)
			want := append([]float32(nil), d...)
			subMulGo(want, p, 0.3)
			SubMulF32(d, p, 0.3)
			for i := range d {
				if d[i] != want[i] {
					t.Fatalf("n=%d i=%d: %v, want %v", n, i, d[i], want[i])
				}
			}
		}
	})
}

// geluTanh is the textbook formula in float64.
func geluTanh(x float64) float64 {
	return 0.5 * x * (1 + math.Tanh(geluC0*(x+0.044715*x*x*x)))
}

func geluTanhGrad(x float64) float64 {
	u := geluC0 * (x + 0.044715*x*x*x)
	th := math.Tanh(u)
	return 0.5*(1+th) + 0.5*x*(1-th*th)*geluC0*(1+3*0.044715*x*x)
}

func TestGelu(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(11, 12))
		for _, n := range testLengths() {
			x := randSlice(r, n, 3)
			if n > 0 {
				x[0] = extremes[n%len(extremes)]
			}
			out := make([]float32, n)
			GeluF32(out, x)
			want := make([]float32, n)
			geluGo(want, x)
			for i, v := range x {
				// e^(-2u) turns the rounding of u into a relative error
				// of about |2u| ulp.
				u := geluC0 * (float64(v) + 0.044715*float64(v)*float64(v)*float64(v))
				if !sameFloat(out[i], want[i]) && math.Abs(float64(out[i]-want[i])) > 2.4e-7*(2+2*math.Abs(u))*math.Abs(float64(want[i]))+1e-37 {
					t.Fatalf("n=%d: gelu(%v) = %v, want %v", n, v, out[i], want[i])
				}
				if ex := geluTanh(float64(v)); !math.IsNaN(ex) && math.Abs(float64(out[i])-ex) > 1e-7*(1+math.Abs(ex)) {
					t.Fatalf("n=%d: gelu(%v) = %v, exact %v", n, v, out[i], ex)
				}
			}
		}
	})
}

func TestGeluBackward(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(13, 14))
		for _, n := range testLengths() {
			x, dy := randSlice(r, n, 3), randSlice(r, n, 1)
			if n > 0 {
				x[0] = extremes[n%len(extremes)]
			}
			dx := make([]float32, n)
			GeluBackwardF32(dx, dy, x)
			want := make([]float32, n)
			geluBackwardGo(want, dy, x)
			for i, v := range x {
				if !sameFloat(dx[i], want[i]) && math.Abs(float64(dx[i]-want[i])) > 1e-6*math.Abs(float64(dy[i])) {
					t.Fatalf("n=%d: gelu'(%v)*%v = %v, want %v", n, v, dy[i], dx[i], want[i])
				}
				ex := geluTanhGrad(float64(v)) * float64(dy[i])
				if !math.IsNaN(ex) && math.Abs(float64(dx[i])-ex) > 1e-6*math.Abs(float64(dy[i]))*(1+math.Abs(float64(v))) {
					t.Fatalf("n=%d: gelu'(%v)*%v = %v, exact %v", n, v, dy[i], dx[i], ex)
				}
			}
			// In place (dx aliasing dy).
			GeluBackwardF32(dy, dy, x)
			for i := range dy {
				if !sameFloat(dy[i], dx[i]) {
					t.Fatalf("n=%d: in place differs at %d", n, i)
				}
			}
		}
	})
}

func TestAdamWF32(t *testing.T) {
	c := AdamWParams{Beta1: 0.9, Beta2: 0.95, Eps: 1e-8, WD: 1e-4, StepSize: 1e-3 / (1 - 0.9), RBC2: 1 / float32(math.Sqrt(1-0.95)), GradScale: 0.7}
	forEachLevel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(15, 16))
		for _, n := range testLengths() {
			p, g := randSlice(r, n, 0.02), randSlice(r, n, 0.01)
			m, v := randSlice(r, n, 0.001), randSlice(r, n, 1e-5)
			for i := range v {
				v[i] *= v[i]
			}
			if n > 3 {
				g[1], m[1], v[1] = 0, 0, 0 // a fresh parameter with no gradient
			}
			wp, wm, wv := append([]float32(nil), p...), append([]float32(nil), m...), append([]float32(nil), v...)
			p0, m0 := append([]float32(nil), p...), append([]float32(nil), m...)
			adamwGo(wp, g, wm, wv, c)
			AdamWF32(p, g, m, v, c)
			for i := range p {
				// Tolerances scale with the terms, as sums may cancel.
				mTol := 4e-7 * (math.Abs(float64(m0[i])) + 0.1*math.Abs(float64(g[i])))
				// p's tolerance includes m's error carried through the step.
				step := math.Abs(float64(c.StepSize * wm[i] / (float32(math.Sqrt(float64(wv[i])))*c.RBC2 + c.Eps)))
				pTol := 4e-7*(2*math.Abs(float64(p0[i]))+step) + step*mTol/math.Abs(float64(wm[i]))
				if math.Abs(float64(m[i]-wm[i])) > mTol ||
					math.Abs(float64(v[i]-wv[i])) > 2.4e-7*math.Abs(float64(wv[i])) ||
					math.Abs(float64(p[i]-wp[i])) > pTol {
					t.Fatalf("n=%d i=%d: p,m,v = %v %v %v, want %v %v %v", n, i, p[i], m[i], v[i], wp[i], wm[i], wv[i])
				}
			}
		}
	})
}

// TestVecSplitInvariant checks that elementwise routines give each element
// the same bits whether the slice is processed whole or in two pieces, as
// kernels.For does with any thread count.
func TestVecSplitInvariant(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(17, 18))
		n := 301
		x, dy := randSlice(r, n, 3), randSlice(r, n, 1)
		for _, cut := range []int{1, 7, 13, 150, 300} {
			whole, split := make([]float32, n), make([]float32, n)
			GeluF32(whole, x)
			GeluF32(split[:cut], x[:cut])
			GeluF32(split[cut:], x[cut:])
			wb, sb := make([]float32, n), make([]float32, n)
			GeluBackwardF32(wb, dy, x)
			GeluBackwardF32(sb[:cut], dy[:cut], x[:cut])
			GeluBackwardF32(sb[cut:], dy[cut:], x[cut:])
			ew, es := make([]float32, n), make([]float32, n)
			ExpSubSum(ew, x, 1)
			ExpSubSum(es[:cut], x[:cut], 1)
			ExpSubSum(es[cut:], x[cut:], 1)
			for i := range whole {
				if whole[i] != split[i] || wb[i] != sb[i] || ew[i] != es[i] {
					t.Fatalf("cut %d: element %d differs", cut, i)
				}
			}
		}
	})
}

func ExampleExpSubSum() {
	row := []float32{1, 2, 3}
	sum := ExpSubSum(row, row, MaxF32(row))
	ScaleF32(row, row, 1/sum)
	fmt.Printf("%.4f\n", row)
	// Output: [0.0900 0.2447 0.6652]
}
