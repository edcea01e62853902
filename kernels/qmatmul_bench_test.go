package kernels

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// BenchmarkQMatmul is one decoding step through GPT-2 small's MLP
// up-projection (3072 outputs of 768 inputs) per dtype, with the float32
// GEMV on the same matrix for comparison, for every kernel set this CPU
// runs; GB/s counts the weight bytes read.
func BenchmarkQMatmul(b *testing.B) {
	const rows, cols = 3072, 768
	rng := rand.New(rand.NewPCG(1, 1))
	w := randRows(rng, rows, cols)
	x := randRows(rng, 1, cols)
	out := make([]float32, rows)
	b.Run("f32", func(b *testing.B) {
		b.SetBytes(int64(4 * rows * cols))
		for b.Loop() {
			sgemv(curGemv, false, rows, cols, 1, w, cols, x, 1, 0, out, 1)
		}
	})
	for _, dt := range []DType{BF16, Q8_0, Q4_0} {
		q, _ := Quantize(dt, w, rows, cols)
		for _, k := range qKernelSets[dt] {
			b.Run(dt.String()+"/"+k.name, func(b *testing.B) {
				old := qKernels[dt]
				qKernels[dt] = k
				defer func() { qKernels[dt] = old }()
				b.SetBytes(int64(q.Bytes()))
				for b.Loop() {
					QMatmul(out, x, q, 1)
				}
			})
		}
	}
}

// BenchmarkQMatmulStream is BenchmarkQMatmul's step through GPT-2
// small's fused QKV projection (2304 outputs of 768 inputs) with the
// matrix fresh from DRAM each call: it cycles through copies totalling
// about 256 MB, far more than any cache, as decoding does through a
// model's layers. f32 is the GEMV of the training layout [768, 2304].
func BenchmarkQMatmulStream(b *testing.B) {
	const rows, cols, total = 2304, 768, 256 << 20
	rng := rand.New(rand.NewPCG(1, 1))
	w := randRows(rng, cols, rows) // [in, out]
	x := randRows(rng, 1, cols)
	out := make([]float32, rows)
	b.Run("f32", func(b *testing.B) {
		ws := make([][]float32, total/(4*rows*cols))
		for i := range ws {
			ws[i] = slices.Clone(w)
		}
		b.SetBytes(int64(4 * rows * cols))
		i := 0
		for b.Loop() {
			sgemv(curGemv, true, cols, rows, 1, ws[i%len(ws)], rows, x, 1, 0, out, 1)
			i++
		}
	})
	for _, dt := range []DType{BF16, Q8_0, Q4_0} {
		q, _ := QuantizeT(dt, w, rows, cols)
		qs := make([]*QMatrix, total/q.Bytes())
		for i := range qs {
			qs[i] = &QMatrix{DType: dt, Rows: rows, Cols: cols, data: slices.Clone(q.data)}
		}
		for _, k := range qKernelSets[dt][1:] { // the assembly sets
			b.Run(dt.String()+"/"+k.name, func(b *testing.B) {
				old := qKernels[dt]
				qKernels[dt] = k
				defer func() { qKernels[dt] = old }()
				b.SetBytes(int64(q.Bytes()))
				i := 0
				for b.Loop() {
					QMatmul(out, x, qs[i%len(qs)], 1)
					i++
				}
			})
		}
	}
}
