package kernels

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// useQKernel makes k the kernel set for dt for the rest of the test.
func useQKernel(t *testing.T, dt DType, k *qKernel) {
	old := qKernels[dt]
	qKernels[dt] = k
	t.Cleanup(func() { qKernels[dt] = old })
}

// qmatmulRef is QMatmul in float64 from the dequantized weights and, for
// the integer kernels, the activations as they quantize them; it also
// returns Σ|w||x| per output, the scale of the rounding error.
func qmatmulRef(x []float32, w *QMatrix, N int, int8Acts bool) (ref, scale []float64) {
	wr := make([]float32, w.Cols)
	xr := make([]float32, N*w.Cols)
	copy(xr, x)
	if int8Acts { // the values the activation blocks hold, as quantizeActs writes them
		blk := make([]byte, w.Cols/Block*actBlockBytes)
		for s := range N {
			quantizeActs(blk, x[s*w.Cols:(s+1)*w.Cols], 0)
			for b := 0; b < w.Cols/Block; b++ {
				ab := blk[b*actBlockBytes:]
				d := math.Float32frombits(binary.LittleEndian.Uint32(ab[4*Block:]))
				for k := range Block {
					xr[s*w.Cols+b*Block+k] = d * float32(int8(ab[(k/4)*16+k%4]))
				}
			}
		}
	}
	ref, scale = make([]float64, N*w.Rows), make([]float64, N*w.Rows)
	for i := range w.Rows {
		w.Row(wr, i)
		for s := range N {
			var d, a float64
			for k, v := range wr {
				d += float64(v) * float64(xr[s*w.Cols+k])
				a += math.Abs(float64(v) * float64(xr[s*w.Cols+k]))
			}
			ref[s*w.Rows+i], scale[s*w.Rows+i] = d, a
		}
	}
	return ref, scale
}

// Every kernel set, on odd sizes, matches the float64 product of what it
// multiplies to float32 rounding.
func TestQMatmulMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, dt := range []DType{BF16, Q8_0, Q4_0} {
		for _, kern := range qKernelSets[dt] {
			useQKernel(t, dt, kern)
			for _, sz := range [][3]int{{1, 1, 32}, {1, 1, 64}, {3, 5, 64}, {2, 4, 96}, {5, 67, 800}, {6, 67, 832}, {8, 9, 3072}, {4, 13, 768}, {7, 21, 128}, {13, 70, 96}, {33, 130, 160}} {
				N, rows, cols := sz[0], sz[1], sz[2]
				name := fmt.Sprintf("%v/%s/N%d_%dx%d", dt, kern.name, N, rows, cols)
				w, err := Quantize(dt, randRows(rng, rows, cols), rows, cols)
				if err != nil {
					t.Fatal(err)
				}
				x := randRows(rng, N, cols)
				out := make([]float32, N*rows)
				QMatmul(out, x, w, N)
				ref, scale := qmatmulRef(x, w, N, kern.actsInt8)
				for i, v := range out {
					if e := math.Abs(float64(v) - ref[i]); e > 1e-5*scale[i]+1e-30 {
						t.Fatalf("%s: out[%d] = %g, want %g (error %.2g of scale %.2g)", name, i, v, ref[i], e, scale[i])
					}
				}
			}
		}
	}
}

// A row's result is the same bits alone or among up to QRowsMax others,
// and for one thread or two, in every kernel set.
func TestQMatmulRowsAreIndependent(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	const rows, cols = 103, 256
	for _, dt := range []DType{BF16, Q8_0, Q4_0} {
		w, _ := Quantize(dt, randRows(rng, rows, cols), rows, cols)
		x := randRows(rng, QRowsMax, cols)
		for _, kern := range qKernelSets[dt] {
			useQKernel(t, dt, kern)
			name := fmt.Sprintf("%v/%s", dt, kern.name)
			for N := 1; N <= QRowsMax; N++ {
				all := make([]float32, N*rows)
				QMatmul(all, x, w, N)
				one := make([]float32, rows)
				for s := range N {
					QMatmul(one, x[s*cols:], w, 1)
					for i := range one {
						if one[i] != all[s*rows+i] {
							t.Fatalf("%s: row %d of %d: %g alone, %g in the batch", name, s, N, one[i], all[s*rows+i])
						}
					}
				}
			}
			out1, out2 := make([]float32, 5*rows), make([]float32, 5*rows)
			withThreads(t, 1, func() { QMatmul(out1, x, w, 5) })
			withThreads(t, 2, func() { QMatmul(out2, x, w, 5) })
			for i := range out1 {
				if out1[i] != out2[i] {
					t.Fatalf("%s: out[%d] = %g on 1 thread, %g on 2", name, i, out1[i], out2[i])
				}
			}
		}
	}
}

// The two kernels of every set give each (weight row, activation row)
// pair the same bits, called directly on strided rows.
func TestQDotKernelsAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, dt := range []DType{BF16, Q8_0, Q4_0} {
		for _, kern := range qKernelSets[dt] {
			for _, cols := range []int{32, 96, 128, 768} {
				nb := cols / Block
				w, _ := Quantize(dt, randRows(rng, 4, cols), 4, cols)
				x := randRows(rng, 4, cols)
				xb, xst, _ := qActs(kern, x, 4, cols)
				wp, sp := w.group(0)
				const ldo = 7 // outputs strided past the four written
				var grid, four [4 * ldo]float32
				kern.r4x4(nb, wp, sp, &xb[0], xst, &grid[0], ldo)
				for s := range 4 {
					kern.r4(nb, wp, sp, &xb[s*xst], xst, &four[s*ldo], ldo)
				}
				for s := range 4 {
					for i := range 4 {
						if g, f := grid[s*ldo+i], four[s*ldo+i]; g != f || g == 0 {
							t.Fatalf("%v/%s cols %d: pair (%d,%d): r4x4 %g, r4 %g", dt, kern.name, cols, i, s, g, f)
						}
					}
					for i := 4; i < ldo; i++ {
						if grid[s*ldo+i] != 0 || four[s*ldo+i] != 0 {
							t.Fatalf("%v/%s: wrote past the four outputs of row %d", dt, kern.name, s)
						}
					}
				}
			}
		}
	}
}

// withThreads runs f on a pool of n threads.
func withThreads(t *testing.T, n int, f func()) {
	t.Helper()
	old := Threads()
	SetThreads(n)
	defer SetThreads(old)
	f()
}
