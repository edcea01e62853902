package model

import "github.com/gptgo/gptgo/kernels"

// ResidualForward adds a block's output to the residual stream:
//
//	out = inp1 + inp2
//
// Its backward is the identity for both inputs (d out/d inp = 1), so Model
// passes the residual gradient to both branches without a copy.
// Shapes: out [N], inp1 [N], inp2 [N].
func ResidualForward(out, inp1, inp2 []float32, N int) {
	kernels.For(N, 4096, func(lo, hi int) {
		a, b, o := inp1[lo:hi], inp2[lo:hi], out[lo:hi]
		for i := range o {
			o[i] = a[i] + b[i]
		}
	})
}
