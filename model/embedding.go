package model

import "github.com/gptgo/gptgo/kernels"

// EncoderForward adds token and position embeddings.
//
//	out[b,t,:] = wte[tokens[b,t],:] + wpe[t,:]
//
// Shapes: out [B,T,C], tokens [B,T], wte [V,C], wpe [maxT,C].
func EncoderForward(out []float32, tokens []int32, wte, wpe []float32, B, T, C int) {
	EncoderForwardAt(out, tokens, &Table{F: wte, Rows: len(wte) / C, Cols: C}, wpe, 0, B, T, C)
}

// EncoderForwardAt is EncoderForward for sequences that continue at
// position pos (tokens appended after a KV cache of pos positions):
//
//	out[b,t,:] = wte[tokens[b,t],:] + wpe[pos+t,:]
//
// wte may be quantized: its rows are dequantized as they are read.
// Shapes: out [B,T,C], tokens [B,T], wte [V,C], wpe [maxT,C] with pos+T <= maxT.
func EncoderForwardAt(out []float32, tokens []int32, wte *Table, wpe []float32, pos, B, T, C int) {
	kernels.For(B*T, 16, func(lo, hi int) {
		for bt := lo; bt < hi; bt++ {
			t := pos + bt%T
			o := out[bt*C : (bt+1)*C]
			wte.Row(o, int(tokens[bt]))
			for i, p := range wpe[t*C : (t+1)*C] {
				o[i] += p
			}
		}
	})
}

// EncoderBackward accumulates the embedding gradients. Each output element
// depends on exactly one row of wte and one row of wpe with coefficient 1, so
//
//	dwte[tokens[b,t],:] += dout[b,t,:]    dwpe[t,:] += dout[b,t,:]
//
// Work is split over channels, so every gradient element is summed over
// (b, t) in the same order whatever the thread count.
// Shapes: dwte [V,C], dwpe [maxT,C], dout [B,T,C], tokens [B,T].
func EncoderBackward(dwte, dwpe, dout []float32, tokens []int32, B, T, C int) {
	kernels.For(C, 16, func(lo, hi int) {
		for bt := 0; bt < B*T; bt++ {
			t := bt % T
			d := dout[bt*C+lo : bt*C+hi]
			w := dwte[int(tokens[bt])*C+lo : int(tokens[bt])*C+hi]
			p := dwpe[t*C+lo : t*C+hi]
			for i, g := range d {
				w[i] += g
				p[i] += g
			}
		}
	})
}
