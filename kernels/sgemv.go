package kernels

// Matrix-vector products for batch-1 decoding. They are memory bound, so
// the only goal is to stream A once at full bandwidth:
//
//   - NoTrans (y = A x, one dot product per row): four rows at a time are
//     dotted with x (which stays in L1/L2); threads take contiguous groups
//     of rows.
//   - Trans (y = Aᵀ x, a sum of scaled rows): four rows at a time are added
//     into a block of y that stays in L1; threads take contiguous blocks of
//     columns, so each thread still reads long contiguous runs of every row.
//
// In both cases each output element is summed in an order that depends
// only on the shapes, never on the thread count.

import (
	"sync"
	"unsafe"
)

// gemvKernel is one set of GEMV kernels. The kernels handle a number of
// columns that is a multiple of width; the rest are done in Go.
type gemvKernel struct {
	name  string
	width int
	// n4/n1: out[i] = sum_j a[i*lda+j]*x[j] for 4 (1) rows.
	n4, n1 func(n int, a *float32, lda int, x *float32, out *float32)
	// t4/t1: y[j] += x[0]*a[j] + x[1]*a[lda+j] + ... for 4 (1) rows.
	t4, t1 func(n int, a *float32, lda int, x *float32, y *float32)
	// t4x4: t4 for four rows of x and y at once (strides ldx, ldy), the
	// same result as t4 on each; n4x4: the 16 dot products of four rows of
	// a with four rows of x (out stride ldo). Used by MatmulRows and
	// MatmulRowsT; nil in a set that has none (then t4 and n4 serve).
	t4x4 func(n int, a *float32, lda int, x *float32, ldx int, y *float32, ldy int)
	n4x4 func(n int, a *float32, lda int, x *float32, ldx int, out *float32, ldo int)
}

var (
	gemvGo = &gemvKernel{
		name: "go", width: 1,
		n4: sgemvNGo4, n1: sgemvNGo1,
		t4: sgemvTGo4, t1: sgemvTGo1,
	}
	gemvKernels = []*gemvKernel{gemvGo}
	curGemv     = gemvGo
)

const (
	gemvParallelElems = 1 << 18 // fewer matrix elements run on the caller
	gemvMinPieceElems = 1 << 15 // elements per parallel piece, at least
	gemvColUnit       = 64      // Trans: pieces are whole units of columns
	gemvColBlock      = 4096    // Trans: columns of y kept in L1 per sweep
	gemvPieceRows     = 64      // Trans: rows per piece at least, when split by rows
	gemvMaxPieces     = 8       // Trans: pieces when split by rows, at most
)

type gemvJob struct {
	kern        *gemvKernel
	m, n        int
	alpha, beta float32
	a           []float32
	lda         int
	x, y        []float32 // contiguous; x is scaled by alpha for Trans
	xbuf, ybuf  []float32
	part        []float32 // Trans by row pieces: one partial y per piece
	dots        []float32 // NoTrans: 4 dot products of scratch per row range, at its first row
	xq          []float32 // Trans by row pieces: the 4 x values of a kernel call, per piece
	pieces      int
	rowsFn      func(lo, hi int)
	colsFn      func(lo, hi int)
	piecesFn    func(lo, hi int)
	reduceFn    func(lo, hi int)
}

var gemvJobs = sync.Pool{New: func() any {
	j := &gemvJob{}
	j.rowsFn = j.rows
	j.colsFn = j.cols
	j.piecesFn = j.rowPieces
	j.reduceFn = j.reduce
	return j
}}

// sgemv computes y = alpha*op(A)*x + beta*y; the arguments are checked and
// m, n > 0.
func sgemv(kern *gemvKernel, trans bool, m, n int, alpha float32, a []float32, lda int, x []float32, incX int, beta float32, y []float32, incY int) {
	lenX, lenY := n, m
	if trans {
		lenX, lenY = m, n
	}
	kx, ky := 0, 0
	if incX < 0 {
		kx = -(lenX - 1) * incX
	}
	if incY < 0 {
		ky = -(lenY - 1) * incY
	}
	if alpha == 0 {
		for i := 0; i < lenY; i++ {
			p := &y[ky+i*incY]
			if beta == 0 {
				*p = 0
			} else {
				*p *= beta
			}
		}
		return
	}
	j := gemvJobs.Get().(*gemvJob)
	j.kern, j.m, j.n = kern, m, n
	j.alpha, j.beta = alpha, beta
	j.a, j.lda = a, lda

	// Gather x into a contiguous buffer when needed (always for Trans,
	// where it is also scaled by alpha).
	if !trans && incX == 1 {
		j.x = x[:lenX]
	} else {
		j.xbuf = gemmGrow(j.xbuf, lenX)
		for i := range j.xbuf {
			v := x[kx+i*incX]
			if trans {
				v *= alpha
			}
			j.xbuf[i] = v
		}
		j.x = j.xbuf
	}
	if incY == 1 {
		j.y = y[:lenY]
	} else {
		j.ybuf = gemmGrow(j.ybuf, lenY)
		for i := range j.ybuf {
			j.ybuf[i] = y[ky+i*incY]
		}
		j.y = j.ybuf
	}

	elems := m * n
	serial := Threads() == 1 || elems < gemvParallelElems
	if !trans {
		j.dots = gemmGrow(j.dots, m+4)
		groups := (m + 3) / 4
		if serial {
			j.rows(0, groups)
		} else {
			For(groups, gemvMinPieceElems/(4*n)+1, j.rowsFn)
		}
	} else {
		units := (n + gemvColUnit - 1) / gemvColUnit
		switch {
		case m >= gemvPieceRows*2 && elems >= gemvParallelElems:
			j.transByRowPieces() // whatever the thread count: it sums differently
		case serial:
			j.cols(0, units)
		default:
			For(units, gemvMinPieceElems/(gemvColUnit*m)+1, j.colsFn)
		}
	}

	if incY != 1 {
		for i, v := range j.y {
			y[ky+i*incY] = v
		}
	}
	j.a, j.x, j.y = nil, nil, nil
	gemvJobs.Put(j)
}

// rows computes y for row groups [lo, hi) (4 rows each) of the NoTrans case.
// The four rows handed to the kernel together are a quarter of the range
// apart, not adjacent: each walks its own part of A front to back, so four
// memory streams are in flight instead of one, which is what decoding's
// bandwidth-bound products need. Each row's dot product is the kernel's
// same arithmetic wherever the row sits, so the split does not change y.
func (j *gemvJob) rows(lo, hi int) {
	kern, n, lda, a, x := j.kern, j.n, j.lda, j.a, j.x
	nw := n - n%kern.width
	r0 := lo * 4
	q := min(hi*4, j.m-j.m%4) - r0 // rows in whole groups
	q /= 4
	dots := j.dots[r0 : r0+4] // this range's scratch (a local array would escape)
	for k := 0; k < q; k++ {
		if nw > 0 {
			kern.n4(nw, &a[(r0+k)*lda], q*lda, &x[0], &dots[0])
		}
		for t := 0; t < 4; t++ {
			j.finishRow(r0+k+t*q, dots[t], nw)
		}
	}
	for r := r0 + 4*q; r < min(hi*4, j.m); r++ { // the last rows when m%4 != 0
		if nw > 0 {
			kern.n1(nw, &a[r*lda], lda, &x[0], &dots[0])
		}
		j.finishRow(r, dots[0], nw)
	}
}

// finishRow completes y[r] from the kernel's dot product s over the first
// nw columns: the remaining columns, then alpha and beta.
func (j *gemvJob) finishRow(r int, s float32, nw int) {
	if nw == 0 {
		s = 0
	}
	if nw < j.n {
		row := j.a[r*j.lda+nw : r*j.lda+j.n]
		for jj, v := range row {
			s += v * j.x[nw+jj]
		}
	}
	if j.beta == 0 {
		j.y[r] = j.alpha * s
	} else {
		j.y[r] = j.alpha*s + j.beta*j.y[r]
	}
}

// transByRowPieces computes the Trans case y = beta*y + Aᵀx by pieces of
// rows of A: each piece reads one contiguous block of A (a single memory
// stream, which is what batch-1 decoding is bound by) into its own partial
// y, and the partials are then added in piece order. The pieces depend only
// on m, so the result is the same for any thread count.
func (j *gemvJob) transByRowPieces() {
	m, n := j.m, j.n
	j.pieces = min(gemvMaxPieces, m/gemvPieceRows)
	j.part = gemmGrow(j.part, j.pieces*n)
	j.xq = gemmGrow(j.xq, 4*j.pieces)
	For(j.pieces, 1, j.piecesFn)
	For((n+gemvColUnit-1)/gemvColUnit, 16, j.reduceFn)
}

// scaleBeta sets y = beta*y; beta 0 overwrites (y may hold NaN).
func scaleBeta(y []float32, beta float32) {
	if beta == 0 {
		clear(y)
	} else if beta != 1 {
		for i := range y {
			y[i] *= beta
		}
	}
}

// reduce adds the partial ys of transByRowPieces for column units [lo, hi).
func (j *gemvJob) reduce(lo, hi int) {
	n := j.n
	c0, c1 := lo*gemvColUnit, min(hi*gemvColUnit, n)
	y := j.y[c0:c1]
	scaleBeta(y, j.beta)
	for p := 0; p < j.pieces; p++ {
		for i, v := range j.part[p*n+c0 : p*n+c1] {
			y[i] += v
		}
	}
}

// rowPieces computes the partial y of pieces [lo, hi) for transByRowPieces.
// As in rows, the four rows the kernel adds at once are a quarter of the
// piece apart, so four memory streams are in flight. The order in which rows
// are added depends only on the piece, so the result does not depend on
// the thread count.
func (j *gemvJob) rowPieces(lo, hi int) {
	kern, m, n, lda, a, xs := j.kern, j.m, j.n, j.lda, j.a, j.x
	for p := lo; p < hi; p++ {
		r0, r1 := p*m/j.pieces, (p+1)*m/j.pieces
		q := (r1 - r0) / 4
		y := j.part[p*n : (p+1)*n]
		xq := j.xq[4*p : 4*p+4]
		clear(y)
		for jb := 0; jb < n; jb += gemvColBlock {
			w := min(gemvColBlock, n-jb)
			nw := w - w%kern.width
			if nw > 0 {
				for k := 0; k < q; k++ {
					xq[0], xq[1], xq[2], xq[3] = xs[r0+k], xs[r0+k+q], xs[r0+k+2*q], xs[r0+k+3*q]
					kern.t4(nw, &a[(r0+k)*lda+jb], q*lda, &xq[0], &y[jb])
				}
				for r := r0 + 4*q; r < r1; r++ {
					kern.t1(nw, &a[r*lda+jb], lda, &xs[r], &y[jb])
				}
			}
			if nw < w {
				yt := y[jb+nw : jb+w]
				for r := r0; r < r1; r++ {
					xr := xs[r]
					for jj, v := range a[r*lda+jb+nw : r*lda+jb+w] {
						yt[jj] += xr * v
					}
				}
			}
		}
	}
}

// cols computes y for column units [lo, hi) of the Trans case.
func (j *gemvJob) cols(lo, hi int) {
	kern, m, lda, a, xs := j.kern, j.m, j.lda, j.a, j.x
	j0, j1 := lo*gemvColUnit, min(hi*gemvColUnit, j.n)
	scaleBeta(j.y[j0:j1], j.beta)
	for jb := j0; jb < j1; jb += gemvColBlock {
		je := min(jb+gemvColBlock, j1)
		w := je - jb
		nw := w - w%kern.width
		y := j.y[jb:je]
		if nw > 0 {
			i := 0
			for ; i+4 <= m; i += 4 {
				kern.t4(nw, &a[i*lda+jb], lda, &xs[i], &y[0])
			}
			for ; i < m; i++ {
				kern.t1(nw, &a[i*lda+jb], lda, &xs[i], &y[0])
			}
		}
		if nw < w {
			yt := y[nw:w]
			for i := 0; i < m; i++ {
				row := a[i*lda+jb+nw : i*lda+jb+w]
				xi := xs[i]
				for jj, v := range row {
					yt[jj] += xi * v
				}
			}
		}
	}
}

// Pure-Go GEMV kernels (see gemvKernel for what they compute).

func sgemvNGo4(n int, a *float32, lda int, x *float32, out *float32) {
	as := unsafe.Slice(a, 3*lda+n)
	xs := unsafe.Slice(x, n)
	a0, a1, a2, a3 := as[:n], as[lda:lda+n], as[2*lda:2*lda+n], as[3*lda:3*lda+n]
	var s0, s1, s2, s3 float32
	for j, xv := range xs {
		s0 += a0[j] * xv
		s1 += a1[j] * xv
		s2 += a2[j] * xv
		s3 += a3[j] * xv
	}
	o := unsafe.Slice(out, 4)
	o[0], o[1], o[2], o[3] = s0, s1, s2, s3
}

func sgemvNGo1(n int, a *float32, lda int, x *float32, out *float32) {
	as := unsafe.Slice(a, n)
	xs := unsafe.Slice(x, n)
	var s float32
	for j, xv := range xs {
		s += as[j] * xv
	}
	*out = s
}

func sgemvTGo4(n int, a *float32, lda int, x *float32, y *float32) {
	as := unsafe.Slice(a, 3*lda+n)
	xv := unsafe.Slice(x, 4)
	ys := unsafe.Slice(y, n)
	a0, a1, a2, a3 := as[:n], as[lda:lda+n], as[2*lda:2*lda+n], as[3*lda:3*lda+n]
	x0, x1, x2, x3 := xv[0], xv[1], xv[2], xv[3]
	for j := range ys {
		v := ys[j]
		v += x0 * a0[j]
		v += x1 * a1[j]
		v += x2 * a2[j]
		v += x3 * a3[j]
		ys[j] = v
	}
}

func sgemvTGo1(n int, a *float32, lda int, x *float32, y *float32) {
	as := unsafe.Slice(a, n)
	ys := unsafe.Slice(y, n)
	x0 := *x
	for j := range ys {
		ys[j] += x0 * as[j]
	}
}
