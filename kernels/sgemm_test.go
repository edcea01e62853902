package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"sync"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/gonum"

	"github.com/gptgo/gptgo/kernels/internal/asmgen"
)

// TestAsmUpToDate checks that the committed assembly is what the generator
// writes today.
func TestAsmUpToDate(t *testing.T) {
	want := asmgen.Generate()
	got, err := os.ReadFile("sgemm_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatal("sgemm_amd64.s is stale: run go generate ./kernels")
	}
}

// useGemm makes Sgemm use kernel k until the test ends.
func useGemm(t testing.TB, k *gemmKernel) {
	old := curGemm
	only := *k
	only.alt = nil // test this kernel on every shape
	curGemm = &only
	t.Cleanup(func() { curGemm = old })
}

// useSharedB makes every parallel Sgemm use the shared packed-B mode.
func useSharedB(t testing.TB) {
	old := gemmSharedMinB
	gemmSharedMinB = 0
	t.Cleanup(func() { gemmSharedMinB = old })
}

func useGemv(t testing.TB, k *gemvKernel) {
	old := curGemv
	curGemv = k
	t.Cleanup(func() { curGemv = old })
}

func gemmUseThreads(t testing.TB, n int) {
	old := Threads()
	SetThreads(n)
	t.Cleanup(func() { SetThreads(old) })
}

func gemmRandSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = r.Float32()*2 - 1
	}
	return s
}

func gemmTransName(t bool) string {
	if t {
		return "T"
	}
	return "N"
}

func gemmBlasTrans(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

// checkGemm runs Sgemm once and compares it with the reference. pad is
// added to every leading dimension; the padding of C must stay untouched.
func checkGemm(t *testing.T, r *rand.Rand, aT, bT bool, m, n, k, pad int, alpha, beta float32) {
	t.Helper()
	ar, ac := m, k
	if aT {
		ar, ac = k, m
	}
	br, bc := k, n
	if bT {
		br, bc = n, k
	}
	lda, ldb, ldc := ac+pad, bc+pad, n+pad
	a := gemmRandSlice(r, max(0, (ar-1)*lda+ac))
	b := gemmRandSlice(r, max(0, (br-1)*ldb+bc))
	c := gemmRandSlice(r, max(0, (m-1)*ldc+n))
	const sentinel = 12345
	for i := 0; i < m; i++ {
		for j := n; j < ldc && i*ldc+j < len(c); j++ {
			c[i*ldc+j] = sentinel
		}
	}
	if beta == 0 {
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				c[i*ldc+j] = float32(math.NaN())
			}
		}
	}
	want := append([]float32(nil), c...)
	scale := refSgemm(aT, bT, m, n, k, alpha, a, lda, b, ldb, beta, want, ldc)
	Implementation{}.Sgemm(gemmBlasTrans(aT), gemmBlasTrans(bT), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	bad := 0
	for i := 0; i < m; i++ {
		for j := 0; j < ldc && i*ldc+j < len(c); j++ {
			got, w := c[i*ldc+j], want[i*ldc+j]
			if j >= n {
				if got != sentinel {
					t.Fatalf("%s%s m=%d n=%d k=%d: padding C[%d][%d] changed to %v", gemmTransName(aT), gemmTransName(bT), m, n, k, i, j, got)
				}
				continue
			}
			tol := 1e-5 * scale[i*n+j]
			if !(math.Abs(float64(got)-float64(w)) <= tol) {
				bad++
				if bad < 5 {
					t.Errorf("%s%s m=%d n=%d k=%d pad=%d alpha=%v beta=%v: C[%d][%d] = %v, want %v (tol %g)",
						gemmTransName(aT), gemmTransName(bT), m, n, k, pad, alpha, beta, i, j, got, w, tol)
				}
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d wrong elements", bad)
	}
}

var gemmSizes = [][3]int{
	{1, 1, 1}, {1, 1, 7}, {2, 3, 5}, {3, 1, 67}, {1, 67, 3}, {67, 1, 2},
	{4, 4, 4}, {5, 17, 9}, {6, 16, 8}, {7, 33, 31}, {11, 31, 13}, {12, 32, 16},
	{13, 33, 17}, {23, 47, 3}, {24, 64, 64}, {25, 65, 1}, {31, 15, 40},
	{36, 96, 33}, {37, 67, 67}, {48, 31, 29}, {67, 67, 67}, {50, 60, 2},
	{64, 40, 50}, {19, 8, 66},
}

func TestSgemmKernels(t *testing.T) {
	for _, kern := range gemmKernels {
		t.Run(kern.name, func(t *testing.T) {
			useGemm(t, kern)
			r := rand.New(rand.NewPCG(1, 2))
			for _, sz := range gemmSizes {
				for tr := 0; tr < 4; tr++ {
					aT, bT := tr&1 != 0, tr&2 != 0
					for _, alpha := range []float32{1, 0.5, -2} {
						for _, beta := range []float32{0, 1, 0.7} {
							pad := r.IntN(3) * r.IntN(5) // mostly 0, sometimes strided
							checkGemm(t, r, aT, bT, sz[0], sz[1], sz[2], pad, alpha, beta)
						}
					}
				}
			}
			// Random sizes over 1..67.
			for it := 0; it < 60; it++ {
				m, n, k := 1+r.IntN(67), 1+r.IntN(67), 1+r.IntN(67)
				checkGemm(t, r, r.IntN(2) == 1, r.IntN(2) == 1, m, n, k, r.IntN(4), []float32{1, 0.5, -2}[r.IntN(3)], []float32{0, 1, 0.7}[r.IntN(3)])
			}
		})
	}
}

// TestSgemmLarge covers several cache blocks and the parallel paths.
func TestSgemmLarge(t *testing.T) {
	sizes := [][3]int{{129, 257, 300}, {300, 70, 513}, {40, 700, 260}, {200, 33, 1030}, {96, 256, 100}, {96, 288, 100}}
	for i, kern := range append([]*gemmKernel{nil, nil}, gemmKernels...) {
		name := "default"
		if kern != nil {
			name = kern.name
		}
		if i == 1 {
			name = "default-sharedB"
		}
		t.Run(name, func(t *testing.T) {
			if kern != nil {
				useGemm(t, kern)
			}
			if i == 1 {
				useSharedB(t)
			}
			r := rand.New(rand.NewPCG(3, 4))
			for _, sz := range sizes {
				for tr := 0; tr < 4; tr++ {
					beta := []float32{0, 1, 0.7}[tr%3]
					alpha := []float32{1, 0.5, -2}[(tr+1)%3]
					checkGemm(t, r, tr&1 != 0, tr&2 != 0, sz[0], sz[1], sz[2], tr%2*3, alpha, beta)
				}
			}
		})
	}
}

// TestRowIndependence checks that a block of C comes out bit-identical
// whether it is computed alone or as part of a larger C (edge tiles use
// the same arithmetic as full tiles).
func TestRowIndependence(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	const m, n, k = 37, 70, 300
	for _, kern := range gemmKernels {
		useGemm(t, kern)
		for tr := 0; tr < 4; tr++ {
			aT, bT := tr&1 != 0, tr&2 != 0
			a, b := gemmRandSlice(r, m*k), gemmRandSlice(r, k*n)
			lda, ldb := k, n
			if aT {
				lda = m
			}
			if bT {
				ldb = k
			}
			c0 := gemmRandSlice(r, m*n)
			full := append([]float32(nil), c0...)
			Implementation{}.Sgemm(gemmBlasTrans(aT), gemmBlasTrans(bT), m, n, k, 0.5, a, lda, b, ldb, 0.7, full, n)
			for _, sub := range [][2]int{{2, 70}, {13, 33}, {37, 1 + 47}, {9, 49}} {
				sm, sn := sub[0], sub[1]
				c := append([]float32(nil), c0...)
				// The top-left sm x sn block of C, with A and B views.
				Implementation{}.Sgemm(gemmBlasTrans(aT), gemmBlasTrans(bT), sm, sn, k, 0.5, a, lda, b, ldb, 0.7, c, n)
				for i := 0; i < sm; i++ {
					for j := 0; j < sn; j++ {
						if math.Float32bits(c[i*n+j]) != math.Float32bits(full[i*n+j]) {
							t.Fatalf("%s %s%s: C[%d][%d] of a %dx%d product differs from the %dx%d one", kern.name, gemmTransName(aT), gemmTransName(bT), i, j, sm, sn, m, n)
						}
					}
				}
			}
		}
	}
}

// TestSgemmSpecial covers k = 0, alpha = 0 and empty outputs.
func TestSgemmSpecial(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, kern := range gemmKernels {
		useGemm(t, kern)
		for _, beta := range []float32{0, 1, 0.7} {
			checkGemm(t, r, false, false, 5, 7, 0, 1, 1, beta)
			checkGemm(t, r, true, true, 9, 3, 4, 0, 0, beta)
		}
	}
	// m or n zero: nothing is touched, short slices are fine.
	impl := Implementation{}
	impl.Sgemm(blas.NoTrans, blas.NoTrans, 0, 5, 3, 1, nil, 3, make([]float32, 15), 5, 0, nil, 5)
	impl.Sgemm(blas.NoTrans, blas.NoTrans, 5, 0, 3, 1, make([]float32, 15), 3, nil, 1, 0, nil, 1)
	// alpha = 0 must not read A or B: Inf in A gives no NaN.
	a := []float32{float32(math.Inf(1)), 1, 1, 1}
	c := []float32{1, 2, 3, 4}
	impl.Sgemm(blas.NoTrans, blas.NoTrans, 2, 2, 2, 0, a, 2, a, 2, 2, c, 2)
	for i, v := range c {
		if v != float32(2*(i+1)) {
			t.Fatalf("alpha=0: c = %v", c)
		}
	}
}

func gemmPanicMsg(f func()) (msg any) {
	defer func() { msg = recover() }()
	f()
	return nil
}

// TestSgemmPanics checks that invalid arguments panic like gonum's.
func TestSgemmPanics(t *testing.T) {
	s := make([]float32, 100)
	type args struct {
		tA, tB        blas.Transpose
		m, n, k       int
		a             []float32
		lda           int
		b             []float32
		ldb           int
		c             []float32
		ldc           int
		name          string
		expectNoPanic bool
	}
	cases := []args{
		{'x', blas.NoTrans, 2, 2, 2, s, 2, s, 2, s, 2, "badTA", false},
		{blas.NoTrans, 'x', 2, 2, 2, s, 2, s, 2, s, 2, "badTB", false},
		{blas.NoTrans, blas.NoTrans, -1, 2, 2, s, 2, s, 2, s, 2, "m<0", false},
		{blas.NoTrans, blas.NoTrans, 2, -1, 2, s, 2, s, 2, s, 2, "n<0", false},
		{blas.NoTrans, blas.NoTrans, 2, 2, -1, s, 2, s, 2, s, 2, "k<0", false},
		{blas.NoTrans, blas.NoTrans, 2, 2, 3, s, 2, s, 2, s, 2, "lda", false},
		{blas.Trans, blas.NoTrans, 3, 2, 2, s, 2, s, 2, s, 2, "ldaT", false},
		{blas.NoTrans, blas.NoTrans, 2, 3, 2, s, 2, s, 2, s, 3, "ldb", false},
		{blas.NoTrans, blas.Trans, 2, 2, 3, s, 3, s, 2, s, 2, "ldbT", false},
		{blas.NoTrans, blas.NoTrans, 2, 3, 2, s, 2, s, 3, s, 2, "ldc", false},
		{blas.NoTrans, blas.NoTrans, 5, 5, 5, s[:23], 5, s, 5, s, 5, "shortA", false},
		{blas.NoTrans, blas.NoTrans, 5, 5, 5, s, 5, s[:24], 5, s, 5, "shortB", false},
		{blas.NoTrans, blas.NoTrans, 5, 5, 5, s, 5, s, 5, s[:24], 5, "shortC", false},
		{blas.Trans, blas.Trans, 5, 4, 3, s[:15], 5, s[:12], 3, s[:20], 4, "tightT", true},
		{blas.Trans, blas.Trans, 5, 4, 3, s[:14], 5, s[:12], 3, s[:20], 4, "shortAT", false},
		{blas.NoTrans, blas.NoTrans, 0, 4, 3, nil, 3, nil, 4, nil, 4, "m=0", true},
	}
	for _, c := range cases {
		call := func(impl blas.Float32) func() {
			return func() {
				impl.Sgemm(c.tA, c.tB, c.m, c.n, c.k, 1, c.a, c.lda, c.b, c.ldb, 0, append([]float32(nil), c.c...), c.ldc)
			}
		}
		want := gemmPanicMsg(call(gonum.Implementation{}))
		got := gemmPanicMsg(call(Implementation{}))
		if got != want {
			t.Errorf("%s: panic %v, gonum panics %v", c.name, got, want)
		}
		if (want == nil) != c.expectNoPanic {
			t.Errorf("%s: gonum panic %v, test expected panic=%v", c.name, want, !c.expectNoPanic)
		}
	}
}

func TestSgemvPanics(t *testing.T) {
	s := make([]float32, 100)
	cases := []struct {
		tA   blas.Transpose
		m, n int
		a    []float32
		lda  int
		x    []float32
		incX int
		y    []float32
		incY int
		name string
	}{
		{'x', 2, 2, s, 2, s, 1, s, 1, "badT"},
		{blas.NoTrans, -1, 2, s, 2, s, 1, s, 1, "m<0"},
		{blas.NoTrans, 2, -1, s, 2, s, 1, s, 1, "n<0"},
		{blas.NoTrans, 2, 3, s, 2, s, 1, s, 1, "lda"},
		{blas.NoTrans, 2, 2, s, 2, s, 0, s, 1, "incX"},
		{blas.NoTrans, 2, 2, s, 2, s, 1, s, 0, "incY"},
		{blas.NoTrans, 2, 3, s, 3, s[:2], 1, s, 1, "shortX"},
		{blas.Trans, 2, 3, s, 3, s[:3], 2, s, 1, "shortXT"},
		{blas.NoTrans, 2, 3, s, 3, s, -1, s[:3], -2, "shortY"},
		{blas.NoTrans, 3, 3, s[:8], 3, s, 1, s, 1, "shortA"},
		{blas.Trans, 3, 3, s[:9], 3, s[:5], 2, s[:3], 1, "tight"},
	}
	for _, c := range cases {
		call := func(impl blas.Float32) func() {
			return func() {
				impl.Sgemv(c.tA, c.m, c.n, 1, c.a, c.lda, c.x, c.incX, 0, append([]float32(nil), c.y...), c.incY)
			}
		}
		want := gemmPanicMsg(call(gonum.Implementation{}))
		got := gemmPanicMsg(call(Implementation{}))
		if got != want {
			t.Errorf("%s: panic %v, gonum panics %v", c.name, got, want)
		}
	}
}

// checkGemv runs Sgemv once with the given strides and compares it with
// the reference.
func checkGemv(t *testing.T, r *rand.Rand, trans bool, m, n, pad, incX, incY int, alpha, beta float32) {
	t.Helper()
	lda := n + pad
	a := gemmRandSlice(r, (m-1)*lda+n)
	lenX, lenY := n, m
	if trans {
		lenX, lenY = m, n
	}
	ax, ay := gemmAbsInt(incX), gemmAbsInt(incY)
	x := gemmRandSlice(r, (lenX-1)*ax+1)
	y := gemmRandSlice(r, (lenY-1)*ay+1)
	const sentinel = 54321
	for i := range y {
		if i%ay != 0 {
			y[i] = sentinel
		} else if beta == 0 {
			y[i] = float32(math.NaN())
		}
	}
	// Logical vectors for the reference.
	at := func(v []float32, inc, n, i int) int {
		if inc > 0 {
			return i * inc
		}
		return (n - 1 - i) * -inc
	}
	xl := make([]float32, lenX)
	for i := range xl {
		xl[i] = x[at(x, incX, lenX, i)]
	}
	yl := make([]float32, lenY)
	for i := range yl {
		yl[i] = y[at(y, incY, lenY, i)]
	}
	scale := refSgemv(trans, m, n, alpha, a, lda, xl, beta, yl)
	Implementation{}.Sgemv(gemmBlasTrans(trans), m, n, alpha, a, lda, x, incX, beta, y, incY)
	for i := range y {
		if i%ay != 0 && y[i] != sentinel {
			t.Fatalf("y[%d] between strided elements changed", i)
		}
	}
	for i := range yl {
		got, want := y[at(y, incY, lenY, i)], yl[i]
		tol := 1e-5 * scale[i]
		if !(math.Abs(float64(got)-float64(want)) <= tol) {
			t.Fatalf("%s m=%d n=%d pad=%d incX=%d incY=%d alpha=%v beta=%v: y[%d] = %v, want %v (tol %g)",
				gemmTransName(trans), m, n, pad, incX, incY, alpha, beta, i, got, want, tol)
		}
	}
}

func gemmAbsInt(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func TestSgemv(t *testing.T) {
	sizes := [][2]int{
		{1, 1}, {1, 17}, {17, 1}, {3, 5}, {4, 16}, {5, 33}, {7, 8}, {8, 7},
		{16, 15}, {31, 32}, {33, 47}, {64, 67}, {67, 64}, {67, 67},
		{300, 1000}, {1000, 300}, {257, 4099}, {13, 8200},
	}
	incs := [][2]int{{1, 1}, {2, 1}, {1, 3}, {-1, 1}, {1, -2}, {-3, -1}}
	for _, kern := range gemvKernels {
		t.Run(kern.name, func(t *testing.T) {
			useGemv(t, kern)
			r := rand.New(rand.NewPCG(7, 8))
			for _, sz := range sizes {
				for _, trans := range []bool{false, true} {
					for ai, alpha := range []float32{1, 0.5, -2} {
						for bi, beta := range []float32{0, 1, 0.7} {
							inc := incs[(ai*3+bi)%len(incs)]
							checkGemv(t, r, trans, sz[0], sz[1], (ai+bi)%3, inc[0], inc[1], alpha, beta)
						}
					}
				}
			}
			for _, beta := range []float32{0, 1, 0.7} {
				checkGemv(t, r, false, 9, 33, 0, 1, 1, 0, beta)
				checkGemv(t, r, true, 9, 33, 0, 1, 1, 0, beta)
			}
		})
	}
}

// TestDeterminism checks that results are bit-identical for 1, 2 and 3
// threads, for every kernel.
func TestDeterminism(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	type gemmCase struct {
		aT, bT  bool
		m, n, k int
	}
	gemms := []gemmCase{
		{false, false, 301, 257, 300}, // split along M
		{false, true, 37, 700, 530},   // split along N
		{true, false, 130, 129, 260},
	}
	for i, kern := range append(append([]*gemmKernel{}, gemmKernels...), curGemm) {
		useGemm(t, kern)
		if i == len(gemmKernels) {
			useSharedB(t)
		}
		for _, gc := range gemms {
			ar, ac := gc.m, gc.k
			if gc.aT {
				ar, ac = ac, ar
			}
			br, bc := gc.k, gc.n
			if gc.bT {
				br, bc = bc, br
			}
			a, b := gemmRandSlice(r, ar*ac), gemmRandSlice(r, br*bc)
			c0 := gemmRandSlice(r, gc.m*gc.n)
			var first []float32
			for _, th := range []int{1, 2, 3} {
				SetThreads(th)
				c := append([]float32(nil), c0...)
				Implementation{}.Sgemm(gemmBlasTrans(gc.aT), gemmBlasTrans(gc.bT), gc.m, gc.n, gc.k, 0.5, a, ac, b, bc, 0.7, c, gc.n)
				if first == nil {
					first = c
					continue
				}
				for i := range c {
					if math.Float32bits(c[i]) != math.Float32bits(first[i]) {
						t.Fatalf("%s %+v: threads=%d differs from threads=1 at %d", kern.name, gc, th, i)
					}
				}
			}
		}
	}
	for _, kern := range gemvKernels {
		useGemv(t, kern)
		for _, trans := range []bool{false, true} {
			m, n := 1001, 701
			a := gemmRandSlice(r, m*n)
			lenX, lenY := n, m
			if trans {
				lenX, lenY = m, n
			}
			x, y0 := gemmRandSlice(r, lenX), gemmRandSlice(r, lenY)
			var first []float32
			for _, th := range []int{1, 2, 3} {
				SetThreads(th)
				y := append([]float32(nil), y0...)
				Implementation{}.Sgemv(gemmBlasTrans(trans), m, n, 0.5, a, n, x, 1, 0.7, y, 1)
				if first == nil {
					first = y
					continue
				}
				for i := range y {
					if math.Float32bits(y[i]) != math.Float32bits(first[i]) {
						t.Fatalf("gemv %s trans=%v: threads=%d differs at %d", kern.name, trans, th, i)
					}
				}
			}
		}
	}
	SetThreads(gemmDefaultThreads)
}

var gemmDefaultThreads = Threads()

// TestConcurrent runs Sgemm from several goroutines at once (the pool runs
// all but one inline) and checks every result against a serial run.
func TestConcurrent(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	m, n, k := 150, 170, 190
	a, b := gemmRandSlice(r, m*k), gemmRandSlice(r, k*n)
	want := make([]float32, m*n)
	blas32.Implementation().Sgemm(blas.NoTrans, blas.Trans, m, n, k, 1, a, k, b, k, 0, want, n)
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := make([]float32, m*n)
			for it := 0; it < 5; it++ {
				Implementation{}.Sgemm(blas.NoTrans, blas.Trans, m, n, k, 1, a, k, b, k, 0, c, n)
				for i := range c {
					if c[i] != want[i] {
						errs <- fmt.Sprintf("goroutine result differs at %d", i)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}

func TestBlas32Installed(t *testing.T) {
	if _, ok := blas32.Implementation().(Implementation); !ok {
		t.Fatalf("blas32 uses %T, want kernels.Implementation", blas32.Implementation())
	}
}

// TestAllocs checks that steady-state calls allocate (almost) nothing.
func TestAllocs(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	m, n, k := 256, 256, 256
	a, b, c := gemmRandSlice(r, m*k), gemmRandSlice(r, k*n), make([]float32, m*n)
	gemm := testing.AllocsPerRun(20, func() {
		Implementation{}.Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, b, n, 0, c, n)
	})
	x, y := gemmRandSlice(r, 1000), make([]float32, 1000)
	A := gemmRandSlice(r, 1000*1000)
	gemv := testing.AllocsPerRun(20, func() {
		Implementation{}.Sgemv(blas.NoTrans, 1000, 1000, 1, A, 1000, x, 1, 0, y, 1)
		Implementation{}.Sgemv(blas.Trans, 1000, 1000, 1, A, 1000, x, 1, 0, y, 1)
	})
	t.Logf("allocs per call: Sgemm %v, Sgemv (N+T) %v", gemm, gemv)
	if gemm > 0.5 || gemv > 0.5 {
		t.Errorf("allocs per call: Sgemm %v, Sgemv %v; want 0", gemm, gemv)
	}
}
