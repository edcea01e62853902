package model

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/gptgo/gptgo/kernels"
)

// general wraps a row-major [rows, cols] slice as a blas32 matrix.
func general(data []float32, rows, cols int) blas32.General {
	return blas32.General{Rows: rows, Cols: cols, Stride: cols, Data: data[:rows*cols]}
}

// MatmulForward is a linear layer in Hugging Face's Conv1D layout:
//
//	out = inp @ w + b
//
// b may be nil. A single row (one decoding step) is a matrix-vector
// product, out = wᵀ inp + b, which streams the row-major weight once; up
// to FewRows rows are that many matrix-vector products sharing one pass
// over the weight.
// Shapes: out [N,OC], inp [N,C], w [C,OC], b [OC].
func MatmulForward(out, inp, w, b []float32, N, C, OC int) {
	if N == 1 {
		matvecForward(out, inp, w, b, C, OC)
		return
	}
	if N <= FewRows {
		copyBias(out, b, N, OC)
		kernels.MatmulRows(out, inp, w, N, C, OC)
		return
	}
	if b != nil {
		kernels.For(N, 16, func(lo, hi int) {
			for r := lo; r < hi; r++ {
				copy(out[r*OC:(r+1)*OC], b)
			}
		})
	}
	beta := float32(0)
	if b != nil {
		beta = 1
	}
	blas32.Gemm(blas.NoTrans, blas.NoTrans, 1, general(inp, N, C), general(w, C, OC), beta, general(out, N, OC))
}

// FewRows is the most rows (sequences decoded together, short prompts)
// that a matmul computes as matrix-vector products reading the weight once
// (kernels.MatmulRows); more rows go to the blocked GEMM, whose packing
// of the weight pays off only then.
const FewRows = 8

// copyBias sets every row of out [N,OC] to b, or to zero when b is nil.
func copyBias(out, b []float32, N, OC int) {
	for r := range N {
		if b != nil {
			copy(out[r*OC:(r+1)*OC], b)
		} else {
			clear(out[r*OC : (r+1)*OC])
		}
	}
}

// matvecForward is MatmulForward for one row.
// Shapes: out [OC], inp [C], w [C,OC], b [OC].
func matvecForward(out, inp, w, b []float32, C, OC int) {
	beta := float32(0)
	if b != nil {
		copy(out[:OC], b)
		beta = 1
	}
	blas32.Gemv(blas.Trans, 1, general(w, C, OC), blas32.Vector{N: C, Inc: 1, Data: inp[:C]},
		beta, blas32.Vector{N: OC, Inc: 1, Data: out[:OC]})
}

// MatmulBackward applies the chain rule to out = inp @ w + b:
//
//	dinp = dout @ wᵀ    dw += inpᵀ @ dout    db += Σ_rows dout
//
// dinp is OVERWRITTEN; dw and db (db may be nil) are accumulated.
// Shapes: dinp [N,C], dw [C,OC], db [OC], dout [N,OC], inp [N,C], w [C,OC].
func MatmulBackward(dinp, dw, db, dout, inp, w []float32, N, C, OC int) {
	blas32.Gemm(blas.NoTrans, blas.Trans, 1, general(dout, N, OC), general(w, C, OC), 0, general(dinp, N, C))
	blas32.Gemm(blas.Trans, blas.NoTrans, 1, general(inp, N, C), general(dout, N, OC), 1, general(dw, C, OC))
	if db != nil {
		BiasBackward(db, dout, N, OC)
	}
}

// BiasBackward accumulates db[o] += Σ_r dout[r,o], split over columns so the
// row sums run in the same order for any thread count.
// Shapes: db [OC], dout [N,OC].
func BiasBackward(db, dout []float32, N, OC int) {
	kernels.For(OC, 64, func(lo, hi int) {
		d := db[lo:hi]
		for r := 0; r < N; r++ {
			row := dout[r*OC+lo : r*OC+hi]
			for i, g := range row {
				d[i] += g
			}
		}
	})
}
