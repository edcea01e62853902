package attention

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/gptgo/gptgo/kernels"
)

// KVCache holds one layer's keys and values for up to MaxT positions, for
// inference. Each head's keys are contiguous, so attending to them streams
// one dense [t, hs] block per head:
//
//	K[h, t, :] = K[(h*MaxT + t)*hs : (h*MaxT + t + 1)*hs]   (likewise V)
//
// The cache does not track how many positions are filled; the caller passes
// the position of the first new row to Forward.
type KVCache struct {
	MaxT, C, NH int
	K, V        []float32 // [NH, MaxT, hs]
	scores      []float32 // [NH, rowBlock, MaxT] scratch for the probabilities
}

// NewKVCache returns an empty cache for maxT positions of width C split
// into NH heads.
func NewKVCache(maxT, C, NH int) *KVCache {
	if maxT <= 0 || NH <= 0 || C%NH != 0 {
		panic(fmt.Sprintf("attention: bad cache shape maxT=%d C=%d NH=%d", maxT, C, NH))
	}
	return &KVCache{
		MaxT: maxT, C: C, NH: NH,
		K:      make([]float32, maxT*C),
		V:      make([]float32, maxT*C),
		scores: make([]float32, NH*rowBlock*maxT),
	}
}

// Bytes is the memory the keys and values of n positions occupy.
func (c *KVCache) Bytes(n int) int { return 2 * n * c.C * 4 }

// Forward stores the keys and values of positions pos .. pos+T-1 from qkv
// and computes causal attention for their queries over every cached key
// 0 .. pos+T-1:
//
//	O_i = softmax(q_i [K_0 .. K_{pos+i}]ᵀ / sqrt(hs)) [V_0 .. V_{pos+i}]
//
// Positions 0 .. pos-1 must have been stored by earlier calls. With T == 1
// (one decoding step) each head is two matrix-vector products over the
// cache; with T > 1 (prefill) it is blocks of matrix products as in Forward.
// The result equals Forward on the whole sequence up to rounding.
// Shapes: out [T,C], qkv [T,3C] (columns [q | k | v]).
func (c *KVCache) Forward(out, qkv []float32, pos, T int) {
	C, NH, maxT := c.C, c.NH, c.MaxT
	hs := C / NH
	if pos < 0 || T < 1 || pos+T > maxT {
		panic(fmt.Sprintf("attention: positions %d..%d outside the cache of %d", pos, pos+T-1, maxT))
	}
	end := pos + T // keys visible to the last query
	scale := float32(1 / math.Sqrt(float64(hs)))
	kernels.For(NH, 1, func(lo, hi int) {
		for h := lo; h < hi; h++ {
			// Store this head's new keys and values.
			kh := c.K[h*maxT*hs : (h+1)*maxT*hs]
			vh := c.V[h*maxT*hs : (h+1)*maxT*hs]
			for t := 0; t < T; t++ {
				row := qkv[t*3*C : (t+1)*3*C]
				copy(kh[(pos+t)*hs:(pos+t+1)*hs], row[C+h*hs:C+(h+1)*hs])
				copy(vh[(pos+t)*hs:(pos+t+1)*hs], row[2*C+h*hs:2*C+(h+1)*hs])
			}
			s := c.scores[h*rowBlock*maxT : (h+1)*rowBlock*maxT]
			if T == 1 {
				// s = scale * K q, then o = Vᵀ softmax(s): each streams
				// the head's cache once.
				k := blas32.General{Rows: end, Cols: hs, Stride: hs, Data: kh[:end*hs]}
				v := blas32.General{Rows: end, Cols: hs, Stride: hs, Data: vh[:end*hs]}
				q := blas32.Vector{N: hs, Inc: 1, Data: qkv[h*hs : (h+1)*hs]}
				blas32.Gemv(blas.NoTrans, scale, k, q, 0, blas32.Vector{N: end, Inc: 1, Data: s[:end]})
				softmaxCausal(s[:end], end)
				blas32.Gemv(blas.Trans, 1, v, blas32.Vector{N: end, Inc: 1, Data: s[:end]},
					0, blas32.Vector{N: hs, Inc: 1, Data: out[h*hs : (h+1)*hs]})
				continue
			}
			for i0 := 0; i0 < T; i0 += rowBlock {
				n := min(rowBlock, T-i0)
				e := pos + i0 + n // keys visible to some row of the block
				q := view(qkv, i0*3*C+h*hs, n, hs, 3*C)
				k := view(kh, 0, e, hs, hs)
				v := view(vh, 0, e, hs, hs)
				sb := view(s, 0, n, e, maxT)
				blas32.Gemm(blas.NoTrans, blas.Trans, scale, q, k, 0, sb)
				for r := 0; r < n; r++ {
					softmaxCausal(s[r*maxT:r*maxT+e], pos+i0+r+1)
				}
				o := view(out, i0*C+h*hs, n, hs, C)
				blas32.Gemm(blas.NoTrans, blas.NoTrans, 1, sb, v, 0, o)
			}
		}
	})
}
