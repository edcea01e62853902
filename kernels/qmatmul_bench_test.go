package kernels

import (
	"math/rand/v2"
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
