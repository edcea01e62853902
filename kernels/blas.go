package kernels

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/gonum"
)

// Implementation is gonum's pure-Go BLAS with Sgemm and Sgemv replaced by
// the packed, vectorised and multi-threaded kernels of this package. Every
// other routine is gonum's.
type Implementation struct {
	gonum.Implementation
}

// Importing kernels makes it the float32 BLAS behind gonum's blas32.
func init() {
	blas32.Use(Implementation{})
}

// Sgemm computes
//
//	C = alpha * op(A) * op(B) + beta * C
//
// where op(X) is X or its transpose, op(A) is m x k, op(B) is k x n and C is
// m x n, all row-major with leading dimensions lda, ldb, ldc. When beta is
// 0, C is overwritten without being read (NaNs in C do not propagate).
// Invalid arguments panic with the same messages as gonum. The result is
// bit-identical for any number of threads, and an element's value does not
// depend on the size of C or on its position in C (a row of C comes out
// the same whether it is computed alone or with others), with one
// exception: when m == 1 or n == 1 the product runs on the matrix-vector
// kernels of Sgemv, which sum in a different order, so such a row can
// differ in the last bits from the same row computed with m > 1.
func (Implementation) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if !checkSgemm(tA, tB, m, n, k, a, lda, b, ldb, c, ldc) {
		return
	}
	if (alpha == 0 || k == 0) && beta == 1 {
		return
	}
	sgemm(curGemm, tA != blas.NoTrans, tB != blas.NoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Sgemv computes
//
//	y = alpha * A * x + beta * y    if tA == blas.NoTrans
//	y = alpha * Aᵀ * x + beta * y   otherwise
//
// where A is an m x n row-major matrix with leading dimension lda. When
// beta is 0, y is overwritten without being read. The matrix is streamed
// once, split over threads by rows (NoTrans) or column blocks (Trans); the
// result is bit-identical for any number of threads.
func (Implementation) Sgemv(tA blas.Transpose, m, n int, alpha float32, a []float32, lda int, x []float32, incX int, beta float32, y []float32, incY int) {
	if tA != blas.NoTrans && tA != blas.Trans && tA != blas.ConjTrans {
		panic(errBadTrans)
	}
	if m < 0 {
		panic(errMLT0)
	}
	if n < 0 {
		panic(errNLT0)
	}
	if lda < max(1, n) {
		panic(errBadLdA)
	}
	if incX == 0 {
		panic(errZeroIncX)
	}
	if incY == 0 {
		panic(errZeroIncY)
	}
	lenX, lenY := m, n
	if tA == blas.NoTrans {
		lenX, lenY = n, m
	}
	if m == 0 || n == 0 {
		return
	}
	if (incX > 0 && (lenX-1)*incX >= len(x)) || (incX < 0 && (1-lenX)*incX >= len(x)) {
		panic(errShortX)
	}
	if (incY > 0 && (lenY-1)*incY >= len(y)) || (incY < 0 && (1-lenY)*incY >= len(y)) {
		panic(errShortY)
	}
	if len(a) < lda*(m-1)+n {
		panic(errShortA)
	}
	if alpha == 0 && beta == 1 {
		return
	}
	sgemv(curGemv, tA != blas.NoTrans, m, n, alpha, a, lda, x, incX, beta, y, incY)
}
