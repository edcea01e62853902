package model

import (
	"math"

	"github.com/gptgo/gptgo/kernels"
)

// LayerNormEps is added to the variance before the square root, as in GPT-2.
const LayerNormEps = 1e-5

// LayerNormForward normalises each row of inp to zero mean and unit
// (biased) variance, then scales and shifts it:
//
//	mean = Σx/C    rstd = 1/sqrt(Σ(x-mean)²/C + eps)
//	out  = (x - mean) * rstd * w + b
//
// mean and rstd are kept for the backward pass.
// Shapes: out [N,C], mean [N], rstd [N], inp [N,C], w [C], b [C]; N = B*T.
func LayerNormForward(out, mean, rstd, inp, w, b []float32, N, C int) {
	kernels.For(N, 8, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			x := inp[r*C : (r+1)*C]
			var s float32
			for _, v := range x {
				s += v
			}
			m := s / float32(C)
			var ss float32
			for _, v := range x {
				d := v - m
				ss += d * d
			}
			rs := float32(1 / math.Sqrt(float64(ss/float32(C)+LayerNormEps)))
			o := out[r*C : (r+1)*C]
			for i, v := range x {
				o[i] = (v-m)*rs*w[i] + b[i]
			}
			mean[r], rstd[r] = m, rs
		}
	})
}

// LayerNormBackward applies the chain rule to LayerNormForward. With
// n = (x-mean)*rstd and g = dout*w, differentiating through mean and rstd
// gives
//
//	dx = rstd * (g - mean(g) - n*mean(g*n))
//	dw = Σ_rows dout*n    db = Σ_rows dout
//
// dinp is ADDED to (its input is the residual stream, whose gradient already
// holds the skip path); dw and db are accumulated. The parameter gradients are
// reduced over rows in a second pass split by channel, so the sums run in the
// same order for any thread count.
// Shapes: dinp [N,C], dw [C], db [C], dout [N,C], inp [N,C], w [C], mean [N], rstd [N].
func LayerNormBackward(dinp, dw, db, dout, inp, w, mean, rstd []float32, N, C int) {
	kernels.For(N, 8, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			x := inp[r*C : (r+1)*C]
			d := dout[r*C : (r+1)*C]
			m, rs := mean[r], rstd[r]
			var gMean, gnMean float32
			for i, v := range x {
				g := d[i] * w[i]
				gMean += g
				gnMean += g * (v - m) * rs
			}
			gMean /= float32(C)
			gnMean /= float32(C)
			dx := dinp[r*C : (r+1)*C]
			for i, v := range x {
				n := (v - m) * rs
				dx[i] += rs * (d[i]*w[i] - gMean - n*gnMean)
			}
		}
	})
	kernels.For(C, 16, func(lo, hi int) {
		for r := 0; r < N; r++ {
			x := inp[r*C : (r+1)*C]
			d := dout[r*C : (r+1)*C]
			m, rs := mean[r], rstd[r]
			for i := lo; i < hi; i++ {
				dw[i] += d[i] * (x[i] - m) * rs
				db[i] += d[i]
			}
		}
	})
}
