package kernels

import (
	"math/rand/v2"
	"testing"
)

// Benchmarks of the vector routines on every path this CPU runs (plain Go
// reference, AVX2, AVX-512), in the same run: "go test -run XXX -bench Vec ./kernels/". Each reports the
// bytes it reads and writes as MB/s and elements per second. n = 50257 is
// one row of logits (it fits in L2); 1<<20 streams from memory.

var vecBenchSizes = []struct {
	name string
	n    int
}{{"row50257", 50257}, {"attn255", 255}, {"1M", 1 << 20}}

func benchVec(b *testing.B, bytesPerElem int, run func(n int) func()) {
	for _, sz := range vecBenchSizes {
		for _, impl := range vecLevels() {
			b.Run(sz.name+"/"+impl.String(), func(b *testing.B) {
				saved := vecImpl
				vecImpl = impl
				defer func() { vecImpl = saved }()
				f := run(sz.n)
				b.SetBytes(int64(sz.n * bytesPerElem))
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					f()
				}
				b.ReportMetric(float64(sz.n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gelem/s")
			})
		}
	}
}

func benchData(n int, scale float32) []float32 {
	return randSlice(rand.New(rand.NewPCG(1, uint64(n))), n, scale)
}

func BenchmarkVecMax(b *testing.B) {
	benchVec(b, 4, func(n int) func() {
		x := benchData(n, 5)
		return func() { MaxF32(x) }
	})
}

func BenchmarkVecExpSubSum(b *testing.B) {
	benchVec(b, 8, func(n int) func() {
		x, y := benchData(n, 5), make([]float32, n)
		return func() { ExpSubSum(y, x, 10) }
	})
}

func BenchmarkVecScale(b *testing.B) {
	benchVec(b, 8, func(n int) func() {
		x := benchData(n, 5)
		return func() { ScaleF32(x, x, 1) }
	})
}

func BenchmarkVecDot(b *testing.B) {
	benchVec(b, 8, func(n int) func() {
		x, y := benchData(n, 1), benchData(n+1, 1)
		return func() { DotF32(x, y[:n]) }
	})
}

func BenchmarkVecSubMul(b *testing.B) {
	benchVec(b, 12, func(n int) func() {
		d, p := benchData(n, 1), make([]float32, n)
		for i := range p {
			p[i] = 1 // keeps d unchanged: no drift into subnormals
		}
		return func() { SubMulF32(d, p, 0) }
	})
}

func BenchmarkVecGelu(b *testing.B) {
	benchVec(b, 8, func(n int) func() {
		x, y := benchData(n, 2), make([]float32, n)
		return func() { GeluF32(y, x) }
	})
}

func BenchmarkVecGeluBackward(b *testing.B) {
	benchVec(b, 12, func(n int) func() {
		x, dy, dx := benchData(n, 2), benchData(n+1, 1)[:n], make([]float32, n)
		return func() { GeluBackwardF32(dx, dy, x) }
	})
}

func BenchmarkVecAdamW(b *testing.B) {
	c := AdamWParams{Beta1: 0.9, Beta2: 0.95, Eps: 1e-8, WD: 1e-4, StepSize: 1e-3, RBC2: 1, GradScale: 1}
	benchVec(b, 28, func(n int) func() {
		p, g, m, v := benchData(n, 0.02), benchData(n+1, 0.01), make([]float32, n), make([]float32, n)
		return func() { AdamWF32(p, g[:n], m, v, c) }
	})
}
