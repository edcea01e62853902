package kernels

import (
	"fmt"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// The GEMM shapes of the model at B*T = 2048 tokens, for each linear layer
// (in, out) = (K, N):
//
//	NN: y = x @ W           M=2048, K=in,  N=out   (forward)
//	NT: y = x @ Wᵀ          M=2048, K=in,  N=out   (logits = x @ wteᵀ; dx = dy @ Wᵀ)
//	TN: dW = xᵀ @ dy        M=in,   K=2048, N=out  (weight gradients)
var benchLayers = [][2]int{
	{256, 768}, {256, 256}, {256, 1024}, {1024, 256},
	{768, 2304}, {768, 3072}, {3072, 768}, {768, 50257},
}

type gemmShape struct {
	aT, bT  bool
	m, n, k int
}

func (s gemmShape) String() string {
	return fmt.Sprintf("%s%s_M%d_K%d_N%d", gemmTransName(s.aT), gemmTransName(s.bT), s.m, s.k, s.n)
}

func benchShapes() []gemmShape {
	var out []gemmShape
	for _, l := range benchLayers {
		k, n := l[0], l[1]
		out = append(out,
			gemmShape{false, false, 2048, n, k},
			gemmShape{false, true, 2048, n, k},
			gemmShape{true, false, k, n, 2048},
		)
	}
	return append(out, gemmShape{false, false, 1024, 1024, 1024})
}

func BenchmarkGemm(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, s := range benchShapes() {
		a := gemmRandSlice(r, s.m*s.k)
		bb := gemmRandSlice(r, s.k*s.n)
		c := make([]float32, s.m*s.n)
		lda, ldb := s.k, s.n
		if s.aT {
			lda = s.m
		}
		if s.bT {
			ldb = s.k
		}
		flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
		impls := []struct {
			name string
			impl blas.Float32
		}{{"ours", Implementation{}}, {"gonum", gonum.Implementation{}}}
		for _, im := range impls {
			b.Run(s.String()+"/"+im.name, func(b *testing.B) {
				tA, tB := gemmBlasTrans(s.aT), gemmBlasTrans(s.bT)
				im.impl.Sgemm(tA, tB, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, s.n) // warm up
				b.ResetTimer()
				cpu0 := gemmProcessCPU()
				for i := 0; i < b.N; i++ {
					im.impl.Sgemm(tA, tB, s.m, s.n, s.k, 1, a, lda, bb, ldb, 0, c, s.n)
				}
				cpu := gemmProcessCPU() - cpu0
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				// Per CPU-second of this process: on a shared, busy machine
				// this shows the kernel's efficiency when wall time does not.
				b.ReportMetric(flops*float64(b.N)/cpu.Seconds()/1e9, "GFLOP/cpu-s")
				b.ReportMetric(float64(Threads()), "threads")
			})
		}
	}
}

// BenchmarkGemmKernel compares the three micro-kernels on one shape.
func BenchmarkGemmKernel(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	m, n, k := 1024, 1024, 1024
	a, bb, c := gemmRandSlice(r, m*k), gemmRandSlice(r, k*n), make([]float32, m*n)
	for _, kern := range gemmKernels {
		b.Run(kern.name, func(b *testing.B) {
			useGemm(b, kern)
			for i := 0; i < b.N; i++ {
				Implementation{}.Sgemm(blas.NoTrans, blas.NoTrans, m, n, k, 1, a, k, bb, n, 0, c, n)
			}
			b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkGemv measures the batch-1 matrix-vector products: the logits
// (wte, 50257 x 768, NoTrans) and x @ W for W of 768 x 3072 or 768 x 50257
// (Trans), plus the other transpose of each.
func BenchmarkGemv(b *testing.B) {
	r := rand.New(rand.NewPCG(2, 2))
	shapes := []struct {
		trans bool
		m, n  int
	}{
		{false, 50257, 768}, {true, 768, 50257},
		{true, 768, 3072}, {false, 768, 3072},
		{false, 3072, 768}, {true, 3072, 768},
	}
	for _, s := range shapes {
		a := gemmRandSlice(r, s.m*s.n)
		x := gemmRandSlice(r, max(s.m, s.n))
		y := make([]float32, max(s.m, s.n))
		impls := []struct {
			name string
			impl blas.Float32
		}{{"ours", Implementation{}}, {"gonum", gonum.Implementation{}}}
		for _, im := range impls {
			b.Run(fmt.Sprintf("%s_%dx%d/%s", gemmTransName(s.trans), s.m, s.n, im.name), func(b *testing.B) {
				tA := gemmBlasTrans(s.trans)
				im.impl.Sgemv(tA, s.m, s.n, 1, a, s.n, x, 1, 0, y, 1)
				b.SetBytes(int64(s.m) * int64(s.n) * 4)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					im.impl.Sgemv(tA, s.m, s.n, 1, a, s.n, x, 1, 0, y, 1)
				}
				b.ReportMetric(float64(s.m)*float64(s.n)*4*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
			})
		}
	}
}

// processCPU returns the user+system CPU time of the whole process.
func gemmProcessCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
