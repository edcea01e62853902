package kernels

import (
	"sync"
	"unsafe"
)

// Products with a QMatrix. A few rows of activations (decoding S
// sequences) stream the matrix once, as dot products four weight rows at a
// time with every activation row; more rows (a prompt) dequantize the
// matrix a slab of rows at a time into float32 and run the GEMM on it, so
// prompts stay compute bound. Work is split along the matrix's rows, so
// results do not depend on the thread count, and every (weight row,
// activation row) pair takes the same operations, so a row's result does
// not depend on how many rows are multiplied with it.

// QRowsMax is the most activation rows QMatmul multiplies as dot products;
// more go through the GEMM.
const QRowsMax = 8

// QMatmul writes the product of x with the transpose of w:
//
//	out[s,i] = Σ_k x[s,k] w[i,k]
//
// Shapes: out [N, w.Rows], x [N, w.Cols].
func QMatmul(out, x []float32, w *QMatrix, N int) {
	if N > QRowsMax {
		qGemm(out, x, w, N)
		return
	}
	if w.Rows == 0 {
		return
	}
	kern := qKernels[w.DType]
	xb, xst, scratch := qActs(kern, x, N, w.Cols)
	if scratch != nil {
		defer actsPool.Put(scratch)
	}
	grain := max(1, (16<<10)/(4*w.DType.RowBytes(w.Cols))) // under 32 KB of weights: one thread
	For(groupsOf(w.Rows), grain, func(lo, hi int) {
		if N == 1 && kern.r4g != nil {
			qGroups4(out, xb, w, kern, lo, hi)
			return
		}
		for g := lo; g < hi; g++ {
			qGroup(out, xb, xst, w, kern, g, N)
		}
	})
}

// qGroups4 decodes one activation row against groups [lo, hi) of w,
// four at a time a quarter of the range apart (four memory streams); the
// groups past a multiple of four, and a padded last group, go through
// qGroup.
func qGroups4(out []float32, xb []byte, w *QMatrix, kern *qKernel, lo, hi int) {
	full := hi
	if 4*hi > w.Rows {
		full-- // the padded group
	}
	q := max(0, full-lo) / 4
	if q > 0 {
		w0, s0 := w.group(lo)
		w1, s1 := w.group(lo + q)
		gst := int(uintptr(unsafe.Pointer(w1)) - uintptr(unsafe.Pointer(w0)))
		sst := int(uintptr(unsafe.Pointer(s1)) - uintptr(unsafe.Pointer(s0)))
		for j := range q {
			wj, sj := w.group(lo + j)
			kern.r4g(w.Cols/Block, wj, sj, gst, sst, &xb[0], &out[4*(lo+j)], 4*q)
		}
	}
	for g := lo + 4*q; g < hi; g++ {
		qGroup(out, xb, 0, w, kern, g, 1)
	}
}

// qGroup writes the outputs of w's row group g for the N activation rows
// xb (xst bytes apart): four rows of x at a time, then one.
func qGroup(out []float32, xb []byte, xst int, w *QMatrix, kern *qKernel, g, N int) {
	if 4*g+4 > w.Rows {
		qGroupPadded(out, xb, xst, w, kern, g, N)
		return
	}
	nb, i := w.Cols/Block, 4*g
	wp, sp := w.group(g)
	s := 0
	for ; s+4 <= N; s += 4 {
		kern.r4x4(nb, wp, sp, &xb[s*xst], xst, &out[s*w.Rows+i], w.Rows)
	}
	for ; s < N; s++ {
		kern.r4(nb, wp, sp, &xb[s*xst], xst, &out[s*w.Rows+i], w.Rows)
	}
}

// qGroupPadded is qGroup for the last group of a matrix whose rows are
// not a multiple of four: the group is computed whole (its padding rows
// are zeros) into pad, and the rows that exist are copied out. (pad
// escapes through the kernel's func value: this is the one allocation,
// and only here.)
func qGroupPadded(out []float32, xb []byte, xst int, w *QMatrix, kern *qKernel, g, N int) {
	var pad [4 * 4]float32
	nb, i, n := w.Cols/Block, 4*g, w.Rows-4*g
	wp, sp := w.group(g)
	for s := 0; s < N; s++ {
		kern.r4(nb, wp, sp, &xb[s*xst], xst, &pad[0], 4)
		copy(out[s*w.Rows+i:s*w.Rows+i+n], pad[:n])
	}
}

var actsPool sync.Pool // *[]byte scratch for quantized activations

// qActs returns x [N, cols] in the form kern reads, the stride of its
// rows in bytes, and the scratch from actsPool that holds it (nil when x
// is read as it is).
func qActs(kern *qKernel, x []float32, N, cols int) ([]byte, int, *[]byte) {
	if !kern.actsInt8 {
		return unsafe.Slice((*byte)(unsafe.Pointer(&x[0])), 4*N*cols), 4 * cols, nil
	}
	st := cols / Block * actBlockBytes
	p, _ := actsPool.Get().(*[]byte)
	if p == nil {
		p = new([]byte)
	}
	if cap(*p) < N*st {
		*p = make([]byte, N*st)
	}
	b := (*p)[:N*st]
	For(N, 1, func(lo, hi int) {
		for s := lo; s < hi; s++ {
			quantizeActs(b[s*st:(s+1)*st], x[s*cols:(s+1)*cols], kern.corr)
		}
	})
	return b, st, p
}

var (
	slabPool  sync.Pool // *[]float32 scratch for dequantized slabs
	roundPool sync.Pool // *[]float32 scratch for rounded activations
)

// poolFloats returns a scratch of at least n floats from pool.
func poolFloats(pool *sync.Pool, n int) *[]float32 {
	p, _ := pool.Get().(*[]float32)
	if p == nil {
		p = new([]float32)
	}
	if cap(*p) < n {
		*p = make([]float32, n)
	}
	return p
}

// qGemm is QMatmul for many rows: each slab of weight rows is dequantized
// (in parallel) and multiplied by the GEMM, out[:, slab] = x @ slabᵀ.
// Where the dot kernels quantize the activations (q8_0, q4_0), x is
// rounded the same way first, so a row's result is the one the dot
// kernels give, up to the order of float32 additions: a prompt and the
// tokens decoded after it see the same weights and activations.
func qGemm(out, x []float32, w *QMatrix, N int) {
	rows := max(64, (1<<19)/w.Cols/16*16) // slabs of about 2 MB of float32
	p := poolFloats(&slabPool, rows*w.Cols)
	defer slabPool.Put(p)
	if qKernels[w.DType].actsInt8 {
		xr := poolFloats(&roundPool, N*w.Cols)
		defer roundPool.Put(xr)
		For(N, 1, func(lo, hi int) {
			for s := lo; s < hi; s++ {
				roundActs((*xr)[s*w.Cols:(s+1)*w.Cols], x[s*w.Cols:(s+1)*w.Cols])
			}
		})
		x = (*xr)[:N*w.Cols]
	}
	for r0 := 0; r0 < w.Rows; r0 += rows {
		r1 := min(r0+rows, w.Rows)
		slab := (*p)[:(r1-r0)*w.Cols]
		For(groupsOf(r1-r0), 4, func(lo, hi int) {
			for g := lo; g < hi; g++ {
				w.groupRows(slab[4*g*w.Cols:min(4*g+4, r1-r0)*w.Cols], r0/4+g)
			}
		})
		sgemm(curGemm, false, true, N, r1-r0, w.Cols, 1, x, w.Cols, slab, w.Cols, 0, out[r0:], w.Rows)
	}
}
