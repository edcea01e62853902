package attention

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/gptgo/gptgo/kernels"
)

// rowBlock is how many query rows share one matrix product. Row block i
// only needs keys 0 .. (i+1)*rowBlock-1, so the products skip the masked
// upper triangle except inside the diagonal blocks.
const rowBlock = 64

// view is the [rows, cols] submatrix of a row-major buffer with the given
// row stride, starting at element off.
func view(data []float32, off, rows, cols, stride int) blas32.General {
	if rows == 0 || cols == 0 {
		return blas32.General{Rows: rows, Cols: cols, Stride: max(stride, 1), Data: nil}
	}
	return blas32.General{Rows: rows, Cols: cols, Stride: stride, Data: data[off : off+(rows-1)*stride+cols]}
}

// Forward computes causal multi-head attention for every batch row and head.
//
//	P = softmax(Q Kᵀ / sqrt(hs) + causal mask)    O = P V
//
// att[b,h,i,j] holds P for j <= i, and 0 for i < j < the end of i's row
// block; entries further right are not written.
// Shapes: out [B,T,C], att [B,NH,T,T], qkv [B,T,3C].
func Forward(out, att, qkv []float32, B, T, C, NH int) {
	ForwardDropout(out, att, nil, qkv, kernels.Dropout{}, B, T, C, NH)
}

// ForwardDropout is Forward with dropout on the attention probabilities
// (as nanoGPT's attn_dropout): O = (P ⊙ mask / (1-p)) V, the mask's
// element index being the probability's index in att. att still receives
// P, which the softmax's backward needs; attd receives the dropped
// probabilities, which dV needs. With drop inactive attd is not used (it
// may be nil) and this is Forward.
// Shapes: out [B,T,C], att [B,NH,T,T], attd [B,NH,T,T] or nil, qkv [B,T,3C].
func ForwardDropout(out, att, attd, qkv []float32, drop kernels.Dropout, B, T, C, NH int) {
	if !drop.Active() {
		attd = att
	}
	hs := C / NH
	scale := float32(1 / math.Sqrt(float64(hs)))
	kernels.For(B*NH, 1, func(lo, hi int) {
		for bh := lo; bh < hi; bh++ {
			b, h := bh/NH, bh%NH
			base := b * T * 3 * C
			p := att[bh*T*T : (bh+1)*T*T]
			pd := attd[bh*T*T : (bh+1)*T*T]
			for i0 := 0; i0 < T; i0 += rowBlock {
				n := min(rowBlock, T-i0) // rows in this block
				end := i0 + n            // keys 0..end-1 are visible to some row
				q := view(qkv, base+i0*3*C+h*hs, n, hs, 3*C)
				k := view(qkv, base+C+h*hs, end, hs, 3*C)
				v := view(qkv, base+2*C+h*hs, end, hs, 3*C)
				s := view(p, i0*T, n, end, T)
				// S = scale * Q Kᵀ for this block of rows.
				blas32.Gemm(blas.NoTrans, blas.Trans, scale, q, k, 0, s)
				for i := i0; i < end; i++ {
					softmaxCausal(p[i*T:i*T+end], i+1)
					if drop.Active() {
						drop.Apply(pd[i*T:i*T+end], p[i*T:i*T+end], bh*T*T+i*T, end)
					}
				}
				// O = P V (dropped: Pd V).
				o := view(out, b*T*C+i0*C+h*hs, n, hs, C)
				blas32.Gemm(blas.NoTrans, blas.NoTrans, 1, view(pd, i0*T, n, end, T), v, 0, o)
			}
		}
	})
}

// softmaxCausal replaces row[:visible] by its softmax and zeroes the rest.
// The plain Go references of the three steps are kernels.maxGo,
// expSubSumGo and scaleGo (a max, e^(x-max) with its sum, x/sum).
func softmaxCausal(row []float32, visible int) {
	x := row[:visible]
	mx := kernels.MaxF32(x)
	sum := kernels.ExpSubSum(x, x, mx)
	kernels.ScaleF32(x, x, 1/sum)
	clear(row[visible:])
}

// Backward applies the chain rule to Forward. With dO the gradient of O:
//
//	dV = Pᵀ dO
//	dP = dO Vᵀ
//	dS = P ⊙ (dP - rowsum(dP ⊙ P))        (softmax's Jacobian)
//	dQ = scale * dS K    dK = scale * dSᵀ Q
//
// dqkv is OVERWRITTEN. datt is scratch of the same size as att (it holds dS
// afterwards). Every element of dK and dV is one matrix product over the
// rows that can see it, so no sums depend on the thread count.
// Shapes: dqkv [B,T,3C], datt [B,NH,T,T], dout [B,T,C], qkv [B,T,3C], att [B,NH,T,T].
func Backward(dqkv, datt, dout, qkv, att []float32, B, T, C, NH int) {
	BackwardDropout(dqkv, datt, dout, qkv, att, nil, kernels.Dropout{}, B, T, C, NH)
}

// BackwardDropout is the backward of ForwardDropout with the same drop
// and the att and attd it wrote. With Pd = P ⊙ mask / (1-p):
//
//	dV = Pdᵀ dO    dPd = dO Vᵀ    dP = dPd ⊙ mask / (1-p)
//
// and from dP on, as Backward (the mask is drawn again from drop's key).
// Shapes: as Backward; attd [B,NH,T,T] or nil when drop is inactive.
func BackwardDropout(dqkv, datt, dout, qkv, att, attd []float32, drop kernels.Dropout, B, T, C, NH int) {
	if !drop.Active() {
		attd = att
	}
	hs := C / NH
	scale := float32(1 / math.Sqrt(float64(hs)))
	kernels.For(B*NH, 1, func(lo, hi int) {
		for bh := lo; bh < hi; bh++ {
			b, h := bh/NH, bh%NH
			base := b * T * 3 * C
			p := att[bh*T*T : (bh+1)*T*T]
			dp := datt[bh*T*T : (bh+1)*T*T]
			// Pass 1, by row block: dP = dO Vᵀ, then dS in place, then dQ.
			for i0 := 0; i0 < T; i0 += rowBlock {
				n := min(rowBlock, T-i0)
				end := i0 + n
				do := view(dout, b*T*C+i0*C+h*hs, n, hs, C)
				v := view(qkv, base+2*C+h*hs, end, hs, 3*C)
				ds := view(dp, i0*T, n, end, T)
				blas32.Gemm(blas.NoTrans, blas.Trans, 1, do, v, 0, ds)
				for i := i0; i < end; i++ {
					if drop.Active() {
						drop.Apply(dp[i*T:i*T+end], dp[i*T:i*T+end], bh*T*T+i*T, end)
					}
					softmaxBackward(dp[i*T:i*T+end], p[i*T:i*T+end], i+1)
				}
				k := view(qkv, base+C+h*hs, end, hs, 3*C)
				dq := view(dqkv, base+i0*3*C+h*hs, n, hs, 3*C)
				blas32.Gemm(blas.NoTrans, blas.NoTrans, scale, ds, k, 0, dq)
			}
			// Pass 2, by column block: key/value rows j0..j0+n-1 are seen by
			// query rows j0..T-1, so dK and dV for the block are single
			// products over those rows.
			for j0 := 0; j0 < T; j0 += rowBlock {
				n := min(rowBlock, T-j0)
				rows := T - j0
				ds := view(dp, j0*T+j0, rows, n, T)
				pj := view(attd[bh*T*T:(bh+1)*T*T], j0*T+j0, rows, n, T)
				q := view(qkv, base+j0*3*C+h*hs, rows, hs, 3*C)
				do := view(dout, b*T*C+j0*C+h*hs, rows, hs, C)
				dk := view(dqkv, base+j0*3*C+C+h*hs, n, hs, 3*C)
				dv := view(dqkv, base+j0*3*C+2*C+h*hs, n, hs, 3*C)
				blas32.Gemm(blas.Trans, blas.NoTrans, scale, ds, q, 0, dk)
				blas32.Gemm(blas.Trans, blas.NoTrans, 1, pj, do, 0, dv)
			}
		}
	})
}

// softmaxBackward turns dP into dS in place for one row:
// dS_j = P_j (dP_j - Σ_k P_k dP_k) for the visible j, and 0 after them.
// The plain Go references are kernels.dotGo and subMulGo.
func softmaxBackward(d, p []float32, visible int) {
	dot := kernels.DotF32(p[:visible], d[:visible])
	kernels.SubMulF32(d[:visible], p[:visible], dot)
	clear(d[visible:])
}
