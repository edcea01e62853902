package model

import (
	"math"

	"github.com/gptgo/gptgo/kernels"
)

// ActivationForward applies the MLP non-linearity elementwise:
//
//	gelu(x)    = 0.5*x*(1 + tanh(sqrt(2/pi)*(x + 0.044715*x³)))
//	relu(x)    = max(0, x)
//	tanh(x)    = tanh(x)
//	sigmoid(x) = 1/(1 + e^-x)
//
// Shapes: out [N], inp [N].
func ActivationForward(out, inp []float32, act Activation, N int) {
	kernels.For(N, 4096, func(lo, hi int) {
		x, o := inp[lo:hi], out[lo:hi]
		switch act {
		case GELU:
			kernels.GeluF32(o, x) // plain Go reference: kernels.geluGo
		case ReLU:
			for i, v := range x {
				o[i] = max(v, 0)
			}
		case Tanh:
			for i, v := range x {
				o[i] = float32(math.Tanh(float64(v)))
			}
		case Sigmoid:
			for i, v := range x {
				o[i] = float32(1 / (1 + math.Exp(-float64(v))))
			}
		}
	})
}

// ActivationBackward applies the chain rule to ActivationForward,
// dinp = dout * f'(x), with
//
//	gelu'(x)    = 0.5*(1 + tanh u) + 0.5*x*(1 - tanh² u)*sqrt(2/pi)*(1 + 3*0.044715*x²)
//	relu'(x)    = 1 if x > 0 else 0
//	tanh'(x)    = 1 - tanh² x          (read from out)
//	sigmoid'(x) = s*(1 - s), s = out
//
// dinp is OVERWRITTEN and may alias dout.
// Shapes: dinp [N], dout [N], inp [N] (the forward's input), out [N] (its output).
func ActivationBackward(dinp, dout, inp, out []float32, act Activation, N int) {
	kernels.For(N, 4096, func(lo, hi int) {
		x, y, d, dx := inp[lo:hi], out[lo:hi], dout[lo:hi], dinp[lo:hi]
		switch act {
		case GELU:
			kernels.GeluBackwardF32(dx, d, x) // reference: kernels.geluBackwardGo
		case ReLU:
			for i, v := range x {
				if v > 0 {
					dx[i] = d[i]
				} else {
					dx[i] = 0
				}
			}
		case Tanh:
			for i, t := range y {
				dx[i] = d[i] * (1 - t*t)
			}
		case Sigmoid:
			for i, s := range y {
				dx[i] = d[i] * s * (1 - s)
			}
		}
	})
}
