package attention

import "gonum.org/v1/gonum/blas/blas32"

// HeadWeights returns head h's query, key and value projections as [C, hs]
// views into the fused c_attn weight qkvw [C, 3C] (row stride 3C). Writing
// through a view changes the model's weights.
func HeadWeights(qkvw []float32, C, NH, h int) (wq, wk, wv blas32.General) {
	hs := C / NH
	view := func(block int) blas32.General {
		off := block*C + h*hs
		return blas32.General{Rows: C, Cols: hs, Stride: 3 * C, Data: qkvw[off : (C-1)*3*C+off+hs]}
	}
	return view(0), view(1), view(2)
}

// HeadBiases returns head h's query, key and value biases ([hs] each) as
// views into the fused c_attn bias qkvb [3C].
func HeadBiases(qkvb []float32, C, NH, h int) (bq, bk, bv []float32) {
	hs := C / NH
	at := func(block int) []float32 { off := block*C + h*hs; return qkvb[off : off+hs : off+hs] }
	return at(0), at(1), at(2)
}
