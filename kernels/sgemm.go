package kernels

// Blocking scheme of the float32 GEMM (C = alpha*op(A)*op(B) + beta*C, all
// row-major), in the usual packed-panel form:
//
//	for jc over N in steps of NC            (columns of C and B)
//	  for pc over K in steps of KC          (the reduction)
//	    pack B[pc:pc+KC, jc:jc+NC] into NR-wide panels (KC x NR each)
//	    for ic over M in steps of MC        (rows of C and A)
//	      pack A[ic:ic+MC, pc:pc+KC] into MR-tall panels (MR x KC each)
//	      for jr over the NC columns in steps of NR
//	        for ir over the MC rows in steps of MR
//	          micro-kernel: C[MR x NR tile] += A panel * B panel
//
// The micro-kernel keeps its MR x NR tile of C in vector registers for the
// whole KC loop (AVX-512: 8x48 or 12x32, 24 zmm accumulators). With
// KC = 256, one KC x NR panel of B (48 KiB at NR = 48, 32 KiB at NR = 32) is
// reused by every A panel of the ir loop and so lives in the 48 KiB L1d (at
// worst L2); the A panels (MR x KC, 8-12 KiB each) stream from the MC x KC
// block of A (MC = 384: 384 KiB), which stays in the 1 MiB L2 while the jr
// loop walks the B panels; the KC x NC block of B (NC up to 4096: 4 MiB)
// sits in L3, shared by the threads. The kernel prefetches C one row per
// unrolled k step, walking into the next tile down. KC = 192, 256 and 384
// measured the same within noise. KC is split evenly (K = 300 runs as
// 2 x 150, not 256 + 44), and since the KC blocks depend only on K, each C
// element is always summed in the same order.
//
// Parallelism (kernels.For), cutting only along M or N:
//   - usually: the row tiles of C are split over the threads with one For,
//     and each piece runs the whole loop nest above on its rows with its
//     own buffers (each packs all of B: cheap next to its share of the
//     flops, and no barriers).
//   - huge B (k*n >= gemmSharedMinB): the row tiles are still split, but
//     each KC x NC block of B is packed once, cooperatively, into a shared
//     buffer (one For), then each thread packs its own rows of A and runs
//     the micro-kernels against the shared block (a second For; For
//     returning is the barrier).
//   - few rows (fewer than 4 row tiles per thread): the column tiles are
//     split, each piece with its own buffers.
//
// Nothing is split along K, and a tile is a partial edge tile only at the
// true edge of C, so the result is bit-identical for any thread count.
// Problems under gemmParallelFlops run serially on the caller.
//
// Edge tiles (M or N not a multiple of the tile) run the same kernel on
// zero-padded panels and a copy of the C tile in a small buffer, so each
// element gets exactly the arithmetic of a full tile. Among the
// kernels for one CPU, the one that wastes least work on padding for the
// given M and N is used (gemmKernel.pick).

//go:generate go run ./internal/asmgen/cmd/asmgen -o sgemm_amd64.s

import (
	"sync"
	"unsafe"

	"gonum.org/v1/gonum/blas"
)

// gemmKernel is one micro-kernel with its blocking parameters.
type gemmKernel struct {
	name       string
	mr, nr     int // register tile
	kc, mc, nc int // cache blocks (mc a multiple of mr, nc of nr)
	// fn computes C[i*ldc+j] = alpha*sum_p a[p*mr+i]*b[p*nr+j] + beta*C[i*ldc+j]
	// for i < mr, j < nr, p < k; with beta == 0, C is not read.
	fn func(k int, a, b, c *float32, ldc int, alpha, beta float32)
	// speed is the kernel's relative speed, used to choose between it and
	// alt, another kernel for the same CPU, by the work each would do once
	// M and N are rounded up to whole tiles. The choice depends only on
	// the shape, never on the thread count.
	speed float64
	alt   *gemmKernel
}

// pick returns the kernel to use for an m x n output.
func (k *gemmKernel) pick(m, n int) *gemmKernel {
	if k.alt == nil {
		return k
	}
	cost := func(k *gemmKernel) float64 {
		return float64(gemmRoundUp(m, k.mr)) * float64(gemmRoundUp(n, k.nr)) / k.speed
	}
	if cost(k.alt) < cost(k) {
		return k.alt
	}
	return k
}

// gemmKernels lists the kernels this CPU can run, slowest first; curGemm
// is the one Sgemm uses (the fastest, unless a test picks another).
var (
	gemmGo = &gemmKernel{
		name: "go", mr: 4, nr: 4, kc: 256, mc: 128, nc: 1024,
		fn: sgemmKernelGo4x4, speed: 1,
	}
	gemmKernels = []*gemmKernel{gemmGo}
	curGemm     = gemmGo
)

// Work below these many floating-point operations runs on the caller
// alone; each parallel piece gets at least gemmMinPieceFlops.
const (
	gemmParallelFlops = 4 << 20
	gemmMinPieceFlops = 2 << 20
	gemmMinPackElems  = 1 << 16 // B elements per parallel packing piece
)

// Below this many elements of B (k*n), the row pieces each pack all of B
// themselves rather than share one packed copy. On the 2-core machine the
// duplicated packing was cheaper than the two For barriers per KC x NC
// block of the shared mode for every model shape, B of 50257 x 768
// included (TN 256x2048x256: 258 against 141 GFLOP/s; big shapes 0-5%
// faster), so the shared mode is kept only for huge B. Tests lower it.
var gemmSharedMinB = float64(1 << 26)

// gemmJob carries one Sgemm call to the pieces run by For. Jobs are pooled
// with their bound methods so that a call allocates nothing.
type gemmJob struct {
	kern          *gemmKernel
	aT, bT        bool
	m, n, k       int
	alpha, beta   float32
	a, b, c       []float32
	lda, ldb, ldc int
	kcBlock       int

	// The block being worked on in the shared-B mode.
	bp      []float32 // packed KC x NC block of B, shared by all pieces
	jc, nc  int
	pc, kc  int
	betaCur float32

	rowsFn  func(lo, hi int) // piece = tiles [lo, hi) along M, all of N
	colsFn  func(lo, hi int) // piece = tiles [lo, hi) along N, all of M
	packFn  func(lo, hi int) // piece = B panels [lo, hi) of the block
	blockFn func(lo, hi int) // piece = tiles [lo, hi) along M, one block
}

var gemmJobs = sync.Pool{New: func() any {
	j := &gemmJob{}
	j.rowsFn = j.rows
	j.colsFn = j.cols
	j.packFn = j.packPanels
	j.blockFn = j.blockRows
	return j
}}

func (j *gemmJob) rows(lo, hi int) {
	mr := j.kern.mr
	j.run(lo*mr, min(hi*mr, j.m), 0, j.n)
}

func (j *gemmJob) cols(lo, hi int) {
	nr := j.kern.nr
	j.run(0, j.m, lo*nr, min(hi*nr, j.n))
}

// gemmBuf holds one piece's packing buffers.
type gemmBuf struct {
	a, b []float32
	tmp  []float32 // one MR x NR edge tile
}

// Packing buffers are kept on a free list that never shrinks: freshly
// allocated memory is slow to touch, and the list holds at most one buffer
// set per concurrently running piece.
var gemmBufs struct {
	sync.Mutex
	free []*gemmBuf
}

func getGemmBuf() *gemmBuf {
	gemmBufs.Lock()
	defer gemmBufs.Unlock()
	if n := len(gemmBufs.free); n > 0 {
		b := gemmBufs.free[n-1]
		gemmBufs.free = gemmBufs.free[:n-1]
		return b
	}
	return &gemmBuf{}
}

func putGemmBuf(b *gemmBuf) {
	gemmBufs.Lock()
	gemmBufs.free = append(gemmBufs.free, b)
	gemmBufs.Unlock()
}

func gemmGrow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

func gemmRoundUp(x, m int) int { return (x + m - 1) / m * m }

// balancedBlock splits n into the fewest blocks of at most max (rounded up
// to a multiple of unit) and returns a block size that makes them about
// equal, a multiple of unit.
func balancedBlock(n, max, unit int) int {
	nb := (n + max - 1) / max
	return gemmRoundUp((n+nb-1)/nb, unit)
}

// sgemm computes C = alpha*op(A)*op(B) + beta*C with kernel kern. The
// arguments have been checked; m, n > 0.
func sgemm(kern *gemmKernel, aT, bT bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if alpha == 0 || k == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	// A single row or column of C is a matrix-vector product: stream the
	// matrix once instead of packing it.
	if m == 1 {
		incX := 1
		if aT {
			incX = lda
		}
		if bT {
			sgemv(curGemv, false, n, k, alpha, b, ldb, a, incX, beta, c, 1)
		} else {
			sgemv(curGemv, true, k, n, alpha, b, ldb, a, incX, beta, c, 1)
		}
		return
	}
	if n == 1 {
		incX := ldb
		if bT {
			incX = 1
		}
		if aT {
			sgemv(curGemv, true, k, m, alpha, a, lda, b, incX, beta, c, ldc)
		} else {
			sgemv(curGemv, false, m, k, alpha, a, lda, b, incX, beta, c, ldc)
		}
		return
	}
	kern = kern.pick(m, n)
	j := gemmJobs.Get().(*gemmJob)
	j.kern = kern
	j.aT, j.bT = aT, bT
	j.m, j.n, j.k = m, n, k
	j.alpha, j.beta = alpha, beta
	j.a, j.b, j.c = a, b, c
	j.lda, j.ldb, j.ldc = lda, ldb, ldc
	nk := (k + kern.kc - 1) / kern.kc
	j.kcBlock = (k + nk - 1) / nk

	flops := 2 * float64(m) * float64(n) * float64(k)
	tm := (m + kern.mr - 1) / kern.mr
	tn := (n + kern.nr - 1) / kern.nr
	threads := Threads()
	switch {
	case threads == 1 || flops < gemmParallelFlops:
		j.run(0, m, 0, n)
	case tm >= 4*threads && float64(k)*float64(n) < gemmSharedMinB:
		// B is small: every piece packs its own copy of it, so the whole
		// call needs one For instead of two per block.
		grain := int(gemmMinPieceFlops/(2*float64(kern.mr)*float64(n)*float64(k))) + 1
		For(tm, grain, j.rowsFn)
	case tm >= 4*threads:
		j.runShared()
	default:
		// Few rows: split the columns; each piece packs its own copy of
		// the (small) A.
		grain := int(gemmMinPieceFlops/(2*float64(kern.nr)*float64(m)*float64(k))) + 1
		For(tn, grain, j.colsFn)
	}
	j.a, j.b, j.c = nil, nil, nil
	gemmJobs.Put(j)
}

// scaleC sets C = beta*C, writing zeros when beta is 0.
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// run computes rows [i0, i1) and columns [j0, j1) of C serially.
func (j *gemmJob) run(i0, i1, j0, j1 int) {
	kern := j.kern
	mr, nr := kern.mr, kern.nr
	buf := getGemmBuf()
	defer putGemmBuf(buf)

	kcb := j.kcBlock
	// Balanced MC blocks over this piece's rows (any split is fine here:
	// MC does not change the order of any sum).
	mcb := balancedBlock(i1-i0, kern.mc, mr)
	ncb := balancedBlock(j1-j0, kern.nc, nr)
	buf.a = gemmGrow(buf.a, mcb*kcb)
	buf.b = gemmGrow(buf.b, ncb*kcb)
	buf.tmp = gemmGrow(buf.tmp, mr*nr)

	for jc := j0; jc < j1; jc += ncb {
		nc := min(ncb, j1-jc)
		for pc := 0; pc < j.k; pc += kcb {
			kc := min(kcb, j.k-pc)
			beta := float32(1)
			if pc == 0 {
				beta = j.beta
			}
			packB(buf.b, j.b, j.ldb, j.bT, pc, kc, jc, nc, nr)
			for ic := i0; ic < i1; ic += mcb {
				mc := min(mcb, i1-ic)
				packA(buf.a, j.a, j.lda, j.aT, ic, mc, pc, kc, mr)
				j.macro(buf.a, buf.b, buf.tmp, ic, mc, jc, nc, kc, beta)
			}
		}
	}
}

// runShared computes all of C with the rows split over threads. Each
// KC x NC block of B is packed once, by all threads together, into a shared
// buffer; then every thread packs its own rows of A and runs the
// micro-kernels against it. For returning is the barrier between the two.
func (j *gemmJob) runShared() {
	kern := j.kern
	mr, nr := kern.mr, kern.nr
	buf := getGemmBuf()
	defer putGemmBuf(buf)
	kcb := j.kcBlock
	ncb := balancedBlock(j.n, kern.nc, nr)
	buf.b = gemmGrow(buf.b, ncb*kcb)
	j.bp = buf.b
	tm := (j.m + mr - 1) / mr
	for jc := 0; jc < j.n; jc += ncb {
		nc := min(ncb, j.n-jc)
		for pc := 0; pc < j.k; pc += kcb {
			kc := min(kcb, j.k-pc)
			j.jc, j.nc, j.pc, j.kc = jc, nc, pc, kc
			j.betaCur = 1
			if pc == 0 {
				j.betaCur = j.beta
			}
			panels := (nc + nr - 1) / nr
			For(panels, gemmMinPackElems/(nr*kc)+1, j.packFn)
			grain := int(gemmMinPieceFlops/(2*float64(mr)*float64(nc)*float64(kc))) + 1
			For(tm, grain, j.blockFn)
		}
	}
	j.bp = nil
}

// packPanels packs B panels [lo, hi) of the current block into j.bp.
func (j *gemmJob) packPanels(lo, hi int) {
	nr := j.kern.nr
	c0, c1 := lo*nr, min(hi*nr, j.nc)
	packB(j.bp[lo*nr*j.kc:], j.b, j.ldb, j.bT, j.pc, j.kc, j.jc+c0, c1-c0, nr)
}

// blockRows multiplies row tiles [lo, hi) of A by the current packed block
// of B.
func (j *gemmJob) blockRows(lo, hi int) {
	kern := j.kern
	mr, nr := kern.mr, kern.nr
	i0, i1 := lo*mr, min(hi*mr, j.m)
	buf := getGemmBuf()
	defer putGemmBuf(buf)
	mcb := balancedBlock(i1-i0, kern.mc, mr)
	buf.a = gemmGrow(buf.a, mcb*j.kc)
	buf.tmp = gemmGrow(buf.tmp, mr*nr)
	for ic := i0; ic < i1; ic += mcb {
		mc := min(mcb, i1-ic)
		packA(buf.a, j.a, j.lda, j.aT, ic, mc, j.pc, j.kc, mr)
		j.macro(buf.a, j.bp, buf.tmp, ic, mc, j.jc, j.nc, j.kc, j.betaCur)
	}
}

// macro runs the micro-kernel over one packed MC x KC block of A and one
// packed KC x NC block of B, updating C[ic:ic+mc, jc:jc+nc].
func (j *gemmJob) macro(ap, bp, tmp []float32, ic, mc, jc, nc, kc int, beta float32) {
	kern := j.kern
	mr, nr, fn := kern.mr, kern.nr, kern.fn
	c, ldc, alpha := j.c, j.ldc, j.alpha
	for jr := 0; jr < nc; jr += nr {
		nrr := min(nr, nc-jr)
		bpp := &bp[jr*kc]
		for ir := 0; ir < mc; ir += mr {
			mrr := min(mr, mc-ir)
			app := &ap[ir*kc]
			off := (ic+ir)*ldc + jc + jr
			if mrr == mr && nrr == nr {
				fn(kc, app, bpp, &c[off], ldc, alpha, beta)
				continue
			}
			// Edge tile: run the same kernel on a copy of the part of C
			// that exists (zero elsewhere), then copy it back. The
			// arithmetic is exactly that of a full tile, so an element's
			// value does not depend on where the tile edges fall.
			if beta != 0 {
				clear(tmp)
				for i := 0; i < mrr; i++ {
					copy(tmp[i*nr:i*nr+nrr], c[off+i*ldc:off+i*ldc+nrr])
				}
			}
			fn(kc, app, bpp, &tmp[0], nr, alpha, beta)
			for i := 0; i < mrr; i++ {
				copy(c[off+i*ldc:off+i*ldc+nrr], tmp[i*nr:i*nr+nrr])
			}
		}
	}
}

// packA copies rows [ic, ic+mc) and columns [pc, pc+kc) of op(A) into
// panels of mr rows: panel t holds dst[t*mr*kc + p*mr + i] = op(A)[ic+t*mr+i][pc+p].
// Rows past mc in the last panel are zero. The source is read along its
// contiguous runs, which matters when it comes from memory.
func packA(dst, a []float32, lda int, aT bool, ic, mc, pc, kc, mr int) {
	if aT {
		// op(A)[i][p] = a[p*lda + i]: row pc+p of a holds k step p of
		// every panel.
		for p := 0; p < kc; p++ {
			src := a[(pc+p)*lda+ic : (pc+p)*lda+ic+mc]
			scatterPanels(dst, src, p, kc, mr)
		}
		return
	}
	// op(A)[i][p] = a[i*lda + p]: each row is a contiguous run.
	for t := 0; t*mr < mc; t++ {
		panel := dst[t*mr*kc : (t+1)*mr*kc]
		r0 := ic + t*mr
		rows := min(mr, mc-t*mr)
		if rows == mr {
			packRowsInterleaved(panel, a, lda, r0, pc, kc, mr)
			continue
		}
		for i := 0; i < mr; i++ {
			if i >= rows {
				for p := 0; p < kc; p++ {
					panel[p*mr+i] = 0
				}
				continue
			}
			s := a[(r0+i)*lda+pc : (r0+i)*lda+pc+kc]
			for p, v := range s {
				panel[p*mr+i] = v
			}
		}
	}
}

// packB copies rows [pc, pc+kc) and columns [jc, jc+nc) of op(B) into
// panels of nr columns: panel t holds dst[t*nr*kc + p*nr + j] = op(B)[pc+p][jc+t*nr+j].
// Columns past nc in the last panel are zero. It is packA of op(B)ᵀ: the
// columns of op(B) play the rows of op(A), so a B that is not transposed
// is read like a transposed A.
func packB(dst, b []float32, ldb int, bT bool, pc, kc, jc, nc, nr int) {
	packA(dst, b, ldb, !bT, jc, nc, pc, kc, nr)
}

// scatterAsm returns an assembly routine that copies n runs of w floats
// from src to dst, one every stride floats, or nil; see sgemm_amd64.go.
var scatterAsm = func(w int) func(n int, src, dst *float32, stride int) { return nil }

// interleaveAsm returns an assembly routine that sets
// dst[p*w+i] = src[i*ld+p] for i < w, p < kc (kc a multiple of 8), or nil.
var interleaveAsm = func(w int) func(kc int, src *float32, ld int, dst *float32) { return nil }

// scatterPanels stores one k step: src[t*w : t*w+w] goes to
// dst[t*w*kc + p*w:] for every panel t; the last panel is zero-padded.
func scatterPanels(dst, src []float32, p, kc, w int) {
	full := len(src) / w
	off := p * w
	stride := w * kc
	if full > 0 {
		if fn := scatterAsm(w); fn != nil {
			_ = dst[(full-1)*stride+off+w-1] // bounds check for the assembly
			fn(full, &src[0], &dst[off], stride)
			off += full * stride
		} else {
			for t := 0; t < full; t++ {
				copy(dst[off:off+w], src[t*w:t*w+w])
				off += stride
			}
		}
	}
	if rest := len(src) - full*w; rest > 0 {
		d := dst[off : off+w]
		copy(d, src[full*w:])
		clear(d[rest:])
	}
}

// packRowsInterleaved sets dst[p*w + i] = src[(r0+i)*ld + c0 + p] for
// i < w, p < kc: w rows of length kc interleaved column by column. It
// walks four rows at a time so each pass writes several floats of every
// destination group.
func packRowsInterleaved(dst, src []float32, ld, r0, c0, kc, w int) {
	dst = dst[:w*kc]
	if fn := interleaveAsm(w); fn != nil {
		kc8 := kc &^ 7
		if kc8 > 0 {
			_ = src[(r0+w-1)*ld+c0+kc-1] // bounds check for the assembly
			fn(kc8, &src[r0*ld+c0], ld, &dst[0])
		}
		for p := kc8; p < kc; p++ {
			d := dst[p*w : p*w+w]
			for i := range d {
				d[i] = src[(r0+i)*ld+c0+p]
			}
		}
		return
	}
	i := 0
	for ; i+4 <= w; i += 4 {
		s0 := src[(r0+i)*ld+c0 : (r0+i)*ld+c0+kc]
		s1 := src[(r0+i+1)*ld+c0 : (r0+i+1)*ld+c0+kc]
		s2 := src[(r0+i+2)*ld+c0 : (r0+i+2)*ld+c0+kc]
		s3 := src[(r0+i+3)*ld+c0 : (r0+i+3)*ld+c0+kc]
		for p := range s0 {
			d := dst[p*w+i : p*w+i+4 : p*w+i+4]
			d[0] = s0[p]
			d[1] = s1[p]
			d[2] = s2[p]
			d[3] = s3[p]
		}
	}
	for ; i < w; i++ {
		s := src[(r0+i)*ld+c0 : (r0+i)*ld+c0+kc]
		for p, v := range s {
			dst[p*w+i] = v
		}
	}
}

// sgemmKernelGo4x4 is the pure-Go micro-kernel: a 4x4 tile of C,
//
//	C[i*ldc+j] = alpha * sum_p a[p*4+i] * b[p*4+j] + beta * C[i*ldc+j]
//
// for i, j < 4, p < k. It makes two passes over the panels, each keeping a
// 2x4 block of sums in local variables: few enough to stay in the 16
// floating-point registers of amd64. With beta == 0, C is not read.
func sgemmKernelGo4x4(k int, a, b, c *float32, ldc int, alpha, beta float32) {
	as := unsafe.Slice(a, 4*k)
	bs := unsafe.Slice(b, 4*k)
	cs := unsafe.Slice(c, 3*ldc+4)
	for half := 0; half < 2; half++ {
		var c00, c01, c02, c03, c10, c11, c12, c13 float32
		ap, bp := as[2*half:], bs
		for len(ap) >= 2 && len(bp) >= 4 {
			a0, a1 := ap[0], ap[1]
			b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
			c00 += a0 * b0
			c01 += a0 * b1
			c02 += a0 * b2
			c03 += a0 * b3
			c10 += a1 * b0
			c11 += a1 * b1
			c12 += a1 * b2
			c13 += a1 * b3
			if len(ap) < 4 {
				break
			}
			ap, bp = ap[4:], bp[4:]
		}
		r := 2 * half * ldc
		storeRow4(cs[r:r+4:r+4], c00, c01, c02, c03, alpha, beta)
		storeRow4(cs[r+ldc:r+ldc+4:r+ldc+4], c10, c11, c12, c13, alpha, beta)
	}
}

func storeRow4(c []float32, s0, s1, s2, s3, alpha, beta float32) {
	c = c[:4]
	if beta == 0 {
		c[0], c[1], c[2], c[3] = alpha*s0, alpha*s1, alpha*s2, alpha*s3
		return
	}
	c[0] = alpha*s0 + beta*c[0]
	c[1] = alpha*s1 + beta*c[1]
	c[2] = alpha*s2 + beta*c[2]
	c[3] = alpha*s3 + beta*c[3]
}

// Panic messages, the same strings gonum uses.
const (
	errZeroIncX = "blas: zero x index increment"
	errZeroIncY = "blas: zero y index increment"
	errMLT0     = "blas: m < 0"
	errNLT0     = "blas: n < 0"
	errKLT0     = "blas: k < 0"
	errBadTrans = "blas: illegal transpose"
	errBadLdA   = "blas: bad leading dimension of A"
	errBadLdB   = "blas: bad leading dimension of B"
	errBadLdC   = "blas: bad leading dimension of C"
	errShortX   = "blas: insufficient length of x"
	errShortY   = "blas: insufficient length of y"
	errShortA   = "blas: insufficient length of a"
	errShortB   = "blas: insufficient length of b"
	errShortC   = "blas: insufficient length of c"
)

// checkSgemm panics, with gonum's messages and in gonum's order, when the
// arguments of Sgemm are invalid. It reports whether there is any work.
func checkSgemm(tA, tB blas.Transpose, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) bool {
	if tA != blas.NoTrans && tA != blas.Trans && tA != blas.ConjTrans {
		panic(errBadTrans)
	}
	if tB != blas.NoTrans && tB != blas.Trans && tB != blas.ConjTrans {
		panic(errBadTrans)
	}
	if m < 0 {
		panic(errMLT0)
	}
	if n < 0 {
		panic(errNLT0)
	}
	if k < 0 {
		panic(errKLT0)
	}
	aT := tA != blas.NoTrans
	bT := tB != blas.NoTrans
	if aT {
		if lda < max(1, m) {
			panic(errBadLdA)
		}
	} else if lda < max(1, k) {
		panic(errBadLdA)
	}
	if bT {
		if ldb < max(1, k) {
			panic(errBadLdB)
		}
	} else if ldb < max(1, n) {
		panic(errBadLdB)
	}
	if ldc < max(1, n) {
		panic(errBadLdC)
	}
	if m == 0 || n == 0 {
		return false
	}
	if aT {
		if len(a) < (k-1)*lda+m {
			panic(errShortA)
		}
	} else if len(a) < (m-1)*lda+k {
		panic(errShortA)
	}
	if bT {
		if len(b) < (n-1)*ldb+k {
			panic(errShortB)
		}
	} else if len(b) < (k-1)*ldb+n {
		panic(errShortB)
	}
	if len(c) < (m-1)*ldc+n {
		panic(errShortC)
	}
	return true
}
