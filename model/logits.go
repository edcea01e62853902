package model

import (
	"github.com/gptgo/gptgo/kernels"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// LogitsForward is the output head tied to the token embedding:
//
//	logits = x @ wteᵀ
//
// A single row (the next-token logits of a decoding step) is one
// matrix-vector pass over wte, and so are up to FewRows rows.
// Shapes: logits [N,V], x [N,C], wte [V,C].
func LogitsForward(logits, x, wte []float32, N, C, V int) {
	if N == 1 {
		blas32.Gemv(blas.NoTrans, 1, general(wte, V, C), blas32.Vector{N: C, Inc: 1, Data: x[:C]},
			0, blas32.Vector{N: V, Inc: 1, Data: logits[:V]})
		return
	}
	if N <= FewRows {
		kernels.MatmulRowsT(logits, x, wte, N, C, V)
		return
	}
	blas32.Gemm(blas.NoTrans, blas.Trans, 1, general(x, N, C), general(wte, V, C), 0, general(logits, N, V))
}

// LogitsBackward applies the chain rule to logits = x @ wteᵀ:
//
//	dx = dlogits @ wte    dwte += dlogitsᵀ @ x
//
// dx is OVERWRITTEN; dwte is accumulated (it also gets the embedding's
// gradient in EncoderBackward, since the weight is shared).
// Shapes: dx [N,C], dwte [V,C], dlogits [N,V], x [N,C], wte [V,C].
func LogitsBackward(dx, dwte, dlogits, x, wte []float32, N, C, V int) {
	blas32.Gemm(blas.NoTrans, blas.NoTrans, 1, general(dlogits, N, V), general(wte, V, C), 0, general(dx, N, C))
	blas32.Gemm(blas.Trans, blas.NoTrans, 1, general(dlogits, N, V), general(x, N, C), 1, general(dwte, V, C))
}
