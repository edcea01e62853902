package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

func rowsRand(r *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	return x
}

// near fails unless got and want agree to float32 rounding of sums of m
// products: |got - want| <= 1e-5 * (1 + |want|) * sqrt(m).
func nearAll(t *testing.T, what string, got, want []float32, m int) {
	t.Helper()
	tol := 1e-5 * math.Sqrt(float64(m))
	for i := range want {
		if d := math.Abs(float64(got[i] - want[i])); d > tol*(1+math.Abs(float64(want[i]))) {
			t.Fatalf("%s: [%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

// MatmulRows and MatmulRowsT agree with plain loops for every row count
// up to nine (the 4x4 kernels, their remainders and the width tails) on
// odd sizes, and give the same result on one thread and on several.
func TestMatmulRows(t *testing.T) {
	defer SetThreads(Threads())
	r := rand.New(rand.NewPCG(1, 2))
	for _, sz := range [][2]int{{1, 1}, {3, 17}, {4, 16}, {7, 33}, {20, 100}, {64, 4100}, {33, 4096 + 48}} {
		m, n := sz[0], sz[1]
		w := rowsRand(r, m*n)
		for S := 1; S <= 9; S++ {
			inp, base := rowsRand(r, S*m), rowsRand(r, S*n)
			want := append([]float32(nil), base...)
			for s := range S {
				for j := range n {
					for k := range m {
						want[s*n+j] += inp[s*m+k] * w[k*n+j]
					}
				}
			}
			got := append([]float32(nil), base...)
			MatmulRows(got, inp, w, S, m, n)
			nearAll(t, "MatmulRows", got, want, m)
			SetThreads(1)
			one := append([]float32(nil), base...)
			MatmulRows(one, inp, w, S, m, n)
			SetThreads(2)
			for i := range one {
				if math.Float32bits(one[i]) != math.Float32bits(got[i]) {
					t.Fatalf("MatmulRows S=%d m=%d n=%d: [%d] %v on 1 thread, %v on 2", S, m, n, i, one[i], got[i])
				}
			}
			// The transpose: w read as [n', m'] = [m, n] rows of length n.
			wantT, gotT := make([]float32, S*m), make([]float32, S*m)
			x := rowsRand(r, S*n)
			for s := range S {
				for i := range m {
					var d float32
					for k := range n {
						d += w[i*n+k] * x[s*n+k]
					}
					wantT[s*m+i] = d
				}
			}
			MatmulRowsT(gotT, x, w, S, n, m)
			nearAll(t, "MatmulRowsT", gotT, wantT, n)
			SetThreads(1)
			oneT := make([]float32, S*m)
			MatmulRowsT(oneT, x, w, S, n, m)
			SetThreads(2)
			for i := range oneT {
				if math.Float32bits(oneT[i]) != math.Float32bits(gotT[i]) {
					t.Fatalf("MatmulRowsT S=%d: [%d] %v on 1 thread, %v on 2", S, i, oneT[i], gotT[i])
				}
			}
		}
	}
}

// The 4x4 assembly kernels match their Go references on strided rows.
func TestRows4x4Kernels(t *testing.T) {
	kern := curGemv
	if kern.t4x4 == nil {
		t.Skip("no 4x4 row kernels on this CPU")
	}
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{16, 48, 1024, 4096 + 16} {
		lda, ldx, ldy := n+5, n+3, n+7
		a, x := rowsRand(r, 4*lda), rowsRand(r, 4*ldx)
		y := rowsRand(r, 4*ldy)
		want := append([]float32(nil), y...)
		sgemvT4x4Go(n, a, lda, x, ldx, want, ldy)
		kern.t4x4(n, &a[0], lda, &x[0], ldx, &y[0], ldy)
		nearAll(t, "sgemvT4x4", y, want, 4)
		out, wantN := make([]float32, 4*ldy), make([]float32, 4*ldy)
		sgemvN4x4Go(n, a, lda, x, ldx, wantN, ldy)
		kern.n4x4(n, &a[0], lda, &x[0], ldx, &out[0], ldy)
		nearAll(t, "sgemvN4x4", out, wantN, n)
	}
}

// A row's result does not depend on where it sits among the rows or on how
// many there are: the same row in every slot of 1 to 9 rows gives the same
// bits (a sequence's logits do not change when others join or leave).
func TestMatmulRowsSlotInvariant(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	m, n := 768, 4*7+3
	w, row := rowsRand(r, m*n), rowsRand(r, m)
	wT := rowsRand(r, n*m)
	var ref, refT []float32
	for S := 1; S <= 9; S++ {
		inp := make([]float32, S*m)
		for s := range S {
			copy(inp[s*m:], row)
		}
		out, outT := make([]float32, S*n), make([]float32, S*n)
		MatmulRows(out, inp, w, S, m, n)
		MatmulRowsT(outT, inp, wT, S, m, n)
		if ref == nil {
			ref, refT = out[:n], outT[:n]
		}
		for s := range S {
			for j := range n {
				if math.Float32bits(out[s*n+j]) != math.Float32bits(ref[j]) || math.Float32bits(outT[s*n+j]) != math.Float32bits(refT[j]) {
					t.Fatalf("S=%d, slot %d, column %d: %v / %v, one row alone gives %v / %v",
						S, s, j, out[s*n+j], outT[s*n+j], ref[j], refT[j])
				}
			}
		}
	}
}
