package kernels

// Plain reference versions of Sgemm and Sgemv, used by the tests to check
// the fast paths. They sum in float64 and also return, for every output
// element, the sum of the magnitudes of its terms, which bounds the
// rounding error of any float32 summation order.

// refSgemm computes C = alpha*op(A)*op(B) + beta*C with a triple loop and
// returns the error scale |alpha|*sum_p |op(A)[i][p]*op(B)[p][j]| + |beta*C[i][j]|
// for each element (row-major, m x n). With beta == 0, C is not read.
func refSgemm(aT, bT bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) []float64 {
	// Copy op(A) (m x k) and op(B)ᵀ (n x k) to float64 rows so that each
	// element of C is a dot product of two contiguous rows.
	opA := make([]float64, m*k)
	opBT := make([]float64, n*k)
	for i := 0; i < m; i++ {
		for p := 0; p < k; p++ {
			if aT {
				opA[i*k+p] = float64(a[p*lda+i])
			} else {
				opA[i*k+p] = float64(a[i*lda+p])
			}
		}
	}
	for j := 0; j < n; j++ {
		for p := 0; p < k; p++ {
			if bT {
				opBT[j*k+p] = float64(b[j*ldb+p])
			} else {
				opBT[j*k+p] = float64(b[p*ldb+j])
			}
		}
	}
	scale := make([]float64, m*n)
	for i := 0; i < m; i++ {
		ar := opA[i*k : i*k+k]
		for j := 0; j < n; j++ {
			br := opBT[j*k : j*k+k]
			var s, abs float64
			for p, av := range ar {
				t := av * br[p]
				s += t
				abs += gemmAbsF64(t)
			}
			r := float64(alpha) * s
			abs *= gemmAbsF64(float64(alpha))
			if beta != 0 {
				bc := float64(beta) * float64(c[i*ldc+j])
				r += bc
				abs += gemmAbsF64(bc)
			}
			c[i*ldc+j] = float32(r)
			scale[i*n+j] = abs
		}
	}
	return scale
}

// refSgemv computes y = alpha*op(A)*x + beta*y (A is m x n, unit strides)
// and returns the error scale of each element of y.
func refSgemv(trans bool, m, n int, alpha float32, a []float32, lda int, x []float32, beta float32, y []float32) []float64 {
	lenY, lenX := m, n
	if trans {
		lenY, lenX = n, m
	}
	scale := make([]float64, lenY)
	for i := 0; i < lenY; i++ {
		var s, abs float64
		for p := 0; p < lenX; p++ {
			var av float32
			if trans {
				av = a[p*lda+i]
			} else {
				av = a[i*lda+p]
			}
			t := float64(av) * float64(x[p])
			s += t
			abs += gemmAbsF64(t)
		}
		r := float64(alpha) * s
		abs *= gemmAbsF64(float64(alpha))
		if beta != 0 {
			by := float64(beta) * float64(y[i])
			r += by
			abs += gemmAbsF64(by)
		}
		y[i] = float32(r)
		scale[i] = abs
	}
	return scale
}

func gemmAbsF64(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
