package kernels

// Products of a few rows with a large matrix: the step of S sequences
// decoded together. Each is S matrix-vector products that read the matrix
// from memory once: a group of four rows of w is loaded for the first
// sequence and reused from cache by the others, so the cost stays close to
// one pass over w, however many sequences (up to the cache). Work is split
// along the outputs, so the result does not depend on the thread count.

// MatmulRows adds inp @ w into out for a few rows:
//
//	out[s,j] += Σ_k inp[s,k] w[k,j]
//
// Shapes: out [S,n], inp [S,m], w [m,n].
func MatmulRows(out, inp, w []float32, S, m, n int) {
	kern := curGemv
	For((n+gemvColUnit-1)/gemvColUnit, 1, func(lo, hi int) {
		j0, j1 := lo*gemvColUnit, min(hi*gemvColUnit, n)
		blk := rowsColBlock(S)
		for jb := j0; jb < j1; jb += blk {
			rowsBlock(kern, out, inp, w, S, m, n, jb, min(jb+blk, j1))
		}
	})
}

// rowsColBlock is how many columns MatmulRows sweeps at once for S rows:
// the S output rows and four rows of w of that width stay within about
// 24 KB, so they are reused from L1.
func rowsColBlock(S int) int {
	b := (24 << 10) / (4 * (S + 4))
	return max(gemvColUnit, b-b%gemvColUnit)
}

// rowsBlock is MatmulRows for the columns [jb, je).
func rowsBlock(kern *gemvKernel, out, inp, w []float32, S, m, n, jb, je int) {
	nw := (je - jb) - (je-jb)%kern.width
	i := 0
	for ; i+4 <= m && nw > 0; i += 4 {
		s := 0
		if kern.t4x4 != nil {
			for ; s+4 <= S; s += 4 {
				kern.t4x4(nw, &w[i*n+jb], n, &inp[s*m+i], m, &out[s*n+jb], n)
			}
		}
		for ; s < S; s++ { // the same sums as t4x4, row by row
			kern.t4(nw, &w[i*n+jb], n, &inp[s*m+i], &out[s*n+jb])
		}
	}
	for ; i < m && nw > 0; i++ {
		for s := range S {
			kern.t1(nw, &w[i*n+jb], n, &inp[s*m+i], &out[s*n+jb])
		}
	}
	for s := range S { // the columns the kernel's width leaves
		y := out[s*n+jb+nw : s*n+je]
		for k := 0; k < m; k++ {
			xk, row := inp[s*m+k], w[k*n+jb+nw:k*n+je]
			for j, v := range row {
				y[j] += xk * v
			}
		}
	}
}

// MatmulRowsT is the product with the transpose of a row-major w, for a
// few rows (the output head, w = wte):
//
//	out[s,i] = Σ_k inp[s,k] w[i,k]
//
// Shapes: out [S,n], inp [S,m], w [n,m].
//
// Every row of inp takes the same kernel (rows past a multiple of four are
// padded into a group of four), so a row's result does not depend on its
// place among the S or on S.
func MatmulRowsT(out, inp, w []float32, S, m, n int) {
	kern := curGemv
	if kern.n4x4 == nil {
		rowsTByOne(kern, out, inp, w, S, m, n)
		return
	}
	x := padRows(inp, S, m)
	For((n+3)/4, 64, func(lo, hi int) {
		var pad [16]float32 // [4 rows of x][4 rows of w], for partial groups
		var wpad []float32
		for g := lo; g < hi; g++ {
			i0, i1 := 4*g, min(4*g+4, n)
			wg := w[i0*m:]
			if i1-i0 < 4 { // the last rows of w, padded like x
				wpad = padRows(w[i0*m:i1*m], i1-i0, m)
				wg = wpad
			}
			for s := 0; s < S; s += 4 {
				rowsTGroup(kern, out, x, wg, &pad, m, n, s, min(4, S-s), i0, i1-i0)
			}
		}
	})
}

// padRows returns x [rows, m] extended to a multiple of four rows by
// repeating its last row (x itself when it needs none).
func padRows(x []float32, rows, m int) []float32 {
	r4 := (rows + 3) / 4 * 4
	if r4 == rows {
		return x
	}
	p := make([]float32, r4*m)
	copy(p, x[:rows*m])
	for r := rows; r < r4; r++ {
		copy(p[r*m:(r+1)*m], x[(rows-1)*m:rows*m])
	}
	return p
}

// rowsTGroup computes out[s+r, i0+i] for r < rows, i < wrows from four rows
// of x (from row s) and four rows of wg: the kernel over the first mw
// columns, into out directly for a whole group or through pad, then the
// columns the kernel's width leaves.
func rowsTGroup(kern *gemvKernel, out, x, wg []float32, pad *[16]float32, m, n, s, rows, i0, wrows int) {
	mw := m - m%kern.width
	whole := rows == 4 && wrows == 4
	if mw > 0 {
		if whole {
			kern.n4x4(mw, &wg[0], m, &x[s*m], m, &out[s*n+i0], n)
		} else {
			kern.n4x4(mw, &wg[0], m, &x[s*m], m, &pad[0], 4)
		}
	}
	for r := range rows {
		for i := range wrows {
			var d float32
			switch {
			case mw == 0:
			case whole:
				d = out[(s+r)*n+i0+i]
			default:
				d = pad[r*4+i]
			}
			for k := mw; k < m; k++ {
				d += wg[i*m+k] * x[(s+r)*m+k]
			}
			out[(s+r)*n+i0+i] = d
		}
	}
}

// rowsTByOne is MatmulRowsT with the single-row kernels (a kernel set
// without n4x4).
func rowsTByOne(kern *gemvKernel, out, inp, w []float32, S, m, n int) {
	mw := m - m%kern.width
	For((n+3)/4, 64, func(lo, hi int) {
		var dots [4]float32
		for g := lo; g < hi; g++ {
			i0, i1 := 4*g, min(4*g+4, n)
			for s := range S {
				x := inp[s*m : (s+1)*m]
				if i1-i0 == 4 && mw > 0 {
					kern.n4(mw, &w[i0*m], m, &x[0], &dots[0])
				} else {
					for i := i0; i < i1 && mw > 0; i++ {
						kern.n1(mw, &w[i*m], m, &x[0], &dots[i-i0])
					}
				}
				for i := i0; i < i1; i++ {
					d := dots[i-i0]
					if mw == 0 {
						d = 0
					}
					for k := mw; k < m; k++ {
						d += w[i*m+k] * x[k]
					}
					out[s*n+i] = d
				}
			}
		}
	})
}

// sgemvT4x4Go is the reference of rows4x4: for j < n and s < 4,
//
//	y[s*ldy+j] += x[s*ldx]*a[j] + x[s*ldx+1]*a[lda+j] + x[s*ldx+2]*a[2*lda+j] + x[s*ldx+3]*a[3*lda+j]
//
// added in row order. Shapes: a [4, lda], x [4, ldx], y [4, ldy].
func sgemvT4x4Go(n int, a []float32, lda int, x []float32, ldx int, y []float32, ldy int) {
	for s := range 4 {
		xs, ys := x[s*ldx:], y[s*ldy:s*ldy+n]
		for j := range ys {
			v := ys[j]
			for r := range 4 {
				v += xs[r] * a[r*lda+j]
			}
			ys[j] = v
		}
	}
}

// sgemvN4x4Go is the reference of rowsT4x4: for i, s < 4,
//
//	out[s*ldo+i] = Σ_j a[i*lda+j] x[s*ldx+j]   (j < n)
//
// Shapes: a [4, lda], x [4, ldx], out [4, ldo].
func sgemvN4x4Go(n int, a []float32, lda int, x []float32, ldx int, out []float32, ldo int) {
	for s := range 4 {
		for i := range 4 {
			var d float32
			for j := range n {
				d += a[i*lda+j] * x[s*ldx+j]
			}
			out[s*ldo+i] = d
		}
	}
}
