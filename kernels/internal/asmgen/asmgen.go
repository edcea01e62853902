// Package asmgen writes the Go assembly for the float32 GEMM micro-kernels
// and the GEMV kernels of package kernels (kernels/sgemm_amd64.s).
//
// The assembly is plain text built by loops, so that every register tile
// shape comes from one description instead of hand-unrolled copies. The
// kernels package has a test that regenerates the file and fails if the
// committed copy differs; regenerate with
//
//	go generate ./kernels
package asmgen

import (
	"fmt"
	"strings"
)

// vecISA describes one vector instruction set as the generator needs it.
type vecISA struct {
	name  string // AVX512 or AVX2, used in symbol names
	reg   string // register prefix: "Z" or "Y"
	lanes int    // float32 lanes per register
	nregs int    // vector registers available
}

var (
	avx512 = vecISA{name: "AVX512", reg: "Z", lanes: 16, nregs: 32}
	avx2   = vecISA{name: "AVX2", reg: "Y", lanes: 8, nregs: 16}
)

// GemmKernel describes one register-blocked GEMM micro-kernel.
type GemmKernel struct {
	ISA    string // "AVX512" or "AVX2"
	MR     int    // rows of the C tile
	NVec   int    // vector registers per C row; NR = NVec * lanes
	Unroll int    // k steps per main-loop iteration
	// PrefetchC: 0 none, 1 the whole C tile before the k loop, 2 one row
	// of C per main-loop iteration.
	PrefetchC int
	Suffix    string // distinguishes variants of the same shape
}

// Kernels lists the micro-kernels that are generated. Package kernels
// declares a Go stub for each.
var Kernels = []GemmKernel{
	{ISA: "AVX512", MR: 8, NVec: 3, Unroll: 4, PrefetchC: 2},
	{ISA: "AVX512", MR: 12, NVec: 2, Unroll: 4, PrefetchC: 2},
	{ISA: "AVX2", MR: 6, NVec: 2, Unroll: 4, PrefetchC: 2},
}

func isaOf(name string) vecISA {
	switch name {
	case "AVX512":
		return avx512
	case "AVX2":
		return avx2
	}
	panic("asmgen: unknown ISA " + name)
}

// NR is the number of C columns the kernel covers.
func (g GemmKernel) NR() int { return g.NVec * isaOf(g.ISA).lanes }

// Name is the Go symbol of the kernel.
func (g GemmKernel) Name() string {
	return fmt.Sprintf("sgemmKernel%s_%dx%d%s", g.ISA, g.MR, g.NR(), g.Suffix)
}

type writer struct{ strings.Builder }

func (w *writer) f(format string, args ...any) {
	fmt.Fprintf(&w.Builder, format, args...)
	w.WriteByte('\n')
}

// i emits one indented instruction.
func (w *writer) i(format string, args ...any) {
	w.WriteByte('\t')
	w.f(format, args...)
}

func (g GemmKernel) emit(w *writer) {
	isa := isaOf(g.ISA)
	mr, nv, lanes := g.MR, g.NVec, isa.lanes
	nr := nv * lanes
	nacc := mr * nv
	nbc := isa.nregs - nacc - nv // broadcast registers
	if nbc < 1 {
		panic("asmgen: tile too large for the register file")
	}
	r := func(n int) string { return fmt.Sprintf("%s%d", isa.reg, n) }
	acc := func(row, v int) string { return r(row*nv + v) }
	bReg := func(v int) string { return r(nacc + v) }
	bcReg := func(row int) string { return r(nacc + nv + row%nbc) }
	vbytes := lanes * 4

	w.f("// %s computes one %dx%d tile of C (row-major, row stride ldc floats):", g.Name(), mr, nr)
	w.f("//")
	w.f("//\tC[i][j] = alpha * sum_p a[p*%d+i] * b[p*%d+j] + beta * C[i][j]", mr, nr)
	w.f("//")
	w.f("// for i < %d, j < %d, p < k. a is a packed A panel (%d floats per k step),", mr, nr, mr)
	w.f("// b a packed B panel (%d floats per k step). When beta is 0, C is only", nr)
	w.f("// written, never read. The %d accumulators %s0-%s hold the tile; each k", nacc, isa.reg, acc(mr-1, nv-1))
	w.f("// step loads %d vectors of b and broadcasts %d values of a. Needs %s.", nv, mr, map[string]string{"AVX512": "AVX-512F", "AVX2": "AVX2 and FMA"}[g.ISA])
	w.f("//")
	w.f("// func %s(k int, a, b, c *float32, ldc int, alpha, beta float32)", g.Name())
	w.f("TEXT ·%s(SB), NOSPLIT, $0-48", g.Name())
	w.i("MOVQ k+0(FP), CX")
	w.i("MOVQ a+8(FP), SI")
	w.i("MOVQ b+16(FP), DI")
	w.i("MOVQ c+24(FP), DX")
	w.i("MOVQ ldc+32(FP), BX")
	w.i("SHLQ $2, BX")
	prefetchRow := func() {
		for off := 0; off < nr*4; off += 64 {
			w.i("PREFETCHT0 %d(R12)", off)
		}
		w.i("PREFETCHT0 %d(R12)", nr*4-1) // the row may straddle one more line
	}
	w.i("MOVQ DX, R12")
	if g.PrefetchC == 1 {
		// Prefetch the C tile so that its cache misses overlap the k loop.
		for row := 0; row < mr; row++ {
			prefetchRow()
			if row < mr-1 {
				w.i("ADDQ BX, R12")
			}
		}
	}
	for n := 0; n < nacc; n++ {
		if isa.reg == "Z" {
			w.i("VPXORD %s, %s, %s", r(n), r(n), r(n))
		} else {
			w.i("VXORPS %s, %s, %s", r(n), r(n), r(n))
		}
	}
	step := func(u int) {
		for v := 0; v < nv; v++ {
			w.i("VMOVUPS %d(DI), %s", u*nr*4+v*vbytes, bReg(v))
		}
		for row := 0; row < mr; row++ {
			w.i("VBROADCASTSS %d(SI), %s", u*mr*4+row*4, bcReg(row))
			for v := 0; v < nv; v++ {
				w.i("VFMADD231PS %s, %s, %s", bReg(v), bcReg(row), acc(row, v))
			}
		}
	}
	p := g.Name() + "_"
	U := g.Unroll
	w.i("CMPQ CX, $%d", U)
	w.i("JLT %stail", p)
	w.f("%sloop:", p)
	for u := 0; u < U; u++ {
		step(u)
		if u == 0 && g.PrefetchC == 2 {
			// One row of C per iteration; past the tile this walks into
			// the rows of the next tile down, which is computed next.
			prefetchRow()
			w.i("ADDQ BX, R12")
		}
	}
	w.i("ADDQ $%d, SI", U*mr*4)
	w.i("ADDQ $%d, DI", U*nr*4)
	w.i("SUBQ $%d, CX", U)
	w.i("CMPQ CX, $%d", U)
	w.i("JGE %sloop", p)
	w.f("%stail:", p)
	w.i("TESTQ CX, CX")
	w.i("JZ %sstore", p)
	w.f("%sloop1:", p)
	step(0)
	w.i("ADDQ $%d, SI", mr*4)
	w.i("ADDQ $%d, DI", nr*4)
	w.i("DECQ CX")
	w.i("JNZ %sloop1", p)

	// The accumulators are done; the b and broadcast registers are free.
	alpha, beta, tmp := bReg(0), r(nacc+1), r(nacc+2)
	w.f("%sstore:", p)
	w.i("VBROADCASTSS alpha+40(FP), %s", alpha)
	w.i("MOVL beta+44(FP), AX")
	w.i("TESTL $0x7fffffff, AX")
	w.i("JZ %sbeta0", p)
	w.i("CMPL AX, $0x3f800000")
	w.i("JEQ %sbeta1", p)
	// General beta: C = alpha*acc + beta*C.
	w.i("VBROADCASTSS beta+44(FP), %s", beta)
	for row := 0; row < mr; row++ {
		for v := 0; v < nv; v++ {
			w.i("VMULPS %d(DX), %s, %s", v*vbytes, beta, tmp)
			w.i("VFMADD231PS %s, %s, %s", alpha, acc(row, v), tmp)
			w.i("VMOVUPS %s, %d(DX)", tmp, v*vbytes)
		}
		if row < mr-1 {
			w.i("ADDQ BX, DX")
		}
	}
	w.i("JMP %sdone", p)
	// beta == 1: C = alpha*acc + C, the same value the general path gives.
	w.f("%sbeta1:", p)
	for row := 0; row < mr; row++ {
		for v := 0; v < nv; v++ {
			w.i("VFMADD213PS %d(DX), %s, %s", v*vbytes, alpha, acc(row, v))
			w.i("VMOVUPS %s, %d(DX)", acc(row, v), v*vbytes)
		}
		if row < mr-1 {
			w.i("ADDQ BX, DX")
		}
	}
	w.i("JMP %sdone", p)
	// beta == 0: C = alpha*acc; C is not read.
	w.f("%sbeta0:", p)
	for row := 0; row < mr; row++ {
		for v := 0; v < nv; v++ {
			w.i("VMULPS %s, %s, %s", alpha, acc(row, v), acc(row, v))
			w.i("VMOVUPS %s, %d(DX)", acc(row, v), v*vbytes)
		}
		if row < mr-1 {
			w.i("ADDQ BX, DX")
		}
	}
	w.f("%sdone:", p)
	w.i("VZEROUPPER")
	w.i("RET")
	w.f("")
}

// GemvKernel describes one GEMV kernel: Rows rows of A at a time, columns
// in chunks of two vectors, then one vector.
type GemvKernel struct {
	ISA   string
	Trans bool // false: dot products (y = A x); true: row updates (y += A^T x)
	Rows  int
}

// Name is the Go symbol of the kernel.
func (g GemvKernel) Name() string {
	kind := "N"
	if g.Trans {
		kind = "T"
	}
	return fmt.Sprintf("sgemv%s%s_%d", kind, g.ISA, g.Rows)
}

// GemvKernels lists the generated GEMV kernels.
var GemvKernels = []GemvKernel{
	{ISA: "AVX512", Trans: false, Rows: 4},
	{ISA: "AVX512", Trans: false, Rows: 1},
	{ISA: "AVX512", Trans: true, Rows: 4},
	{ISA: "AVX512", Trans: true, Rows: 1},
	{ISA: "AVX2", Trans: false, Rows: 4},
	{ISA: "AVX2", Trans: false, Rows: 1},
	{ISA: "AVX2", Trans: true, Rows: 4},
	{ISA: "AVX2", Trans: true, Rows: 1},
}

var rowPtr = []string{"R8", "R9", "R10", "R11"}

// gemvPrefetch is how far ahead in each row the GEMV kernels' main loop
// prefetches, in bytes.
const gemvPrefetch = 1024

// prefetch emits software prefetches of the lines the main loop of a GEMV
// kernel reads gemvPrefetch bytes later in each row: the loop reads 2*vb
// bytes per row per iteration.
func (g GemvKernel) prefetch(w *writer, vb int) {
	for i := 0; i < g.Rows; i++ {
		for off := 0; off < 2*vb; off += 64 {
			w.i("PREFETCHT0 %d(%s)(AX*1)", gemvPrefetch+off, rowPtr[i])
		}
	}
}

func (g GemvKernel) emit(w *writer) {
	isa := isaOf(g.ISA)
	lanes := isa.lanes
	vb := lanes * 4
	r := func(n int) string { return fmt.Sprintf("%s%d", isa.reg, n) }
	rows := g.Rows
	p := g.Name() + "_"
	if !g.Trans {
		w.f("// %s computes %d dot products of rows of A with x:", g.Name(), rows)
		w.f("//")
		w.f("//\tout[i] = sum_j a[i*lda+j] * x[j]   for i < %d, j < n", rows)
		w.f("//")
		w.f("// n must be a multiple of %d. Each row keeps two %d-lane accumulators that", lanes, lanes)
		w.f("// are added and reduced in a fixed order, so results do not depend on")
		w.f("// anything but the inputs.")
		w.f("//")
		w.f("// func %s(n int, a *float32, lda int, x *float32, out *float32)", g.Name())
	} else {
		w.f("// %s adds %d scaled rows of A into y:", g.Name(), rows)
		w.f("//")
		w.f("//\ty[j] += x[0]*a[j] + x[1]*a[lda+j] + ...   for j < n, rows i < %d", rows)
		w.f("//")
		w.f("// evaluated as a chain of fused multiply-adds in row order. n must be a")
		w.f("// multiple of %d.", lanes)
		w.f("//")
		w.f("// func %s(n int, a *float32, lda int, x *float32, y *float32)", g.Name())
	}
	w.f("TEXT ·%s(SB), NOSPLIT, $0-40", g.Name())
	w.i("MOVQ n+0(FP), CX")
	w.i("SHLQ $2, CX") // bytes
	w.i("MOVQ a+8(FP), R8")
	w.i("MOVQ lda+16(FP), BX")
	w.i("SHLQ $2, BX")
	for i := 1; i < rows; i++ {
		w.i("LEAQ (%s)(BX*1), %s", rowPtr[i-1], rowPtr[i])
	}
	w.i("MOVQ x+24(FP), SI")
	w.i("MOVQ %s+32(FP), DI", map[bool]string{false: "out", true: "y"}[g.Trans])
	w.i("XORQ AX, AX")
	if !g.Trans {
		// Accumulators: row i uses r(i) and r(i+4); x vectors in r(8), r(9).
		for i := 0; i < rows; i++ {
			for _, n := range []int{i, i + 4} {
				if isa.reg == "Z" {
					w.i("VPXORD %s, %s, %s", r(n), r(n), r(n))
				} else {
					w.i("VXORPS %s, %s, %s", r(n), r(n), r(n))
				}
			}
		}
		w.f("%sloop2:", p)
		w.i("LEAQ %d(AX), DX", 2*vb)
		w.i("CMPQ DX, CX")
		w.i("JGT %sloop1", p)
		w.i("VMOVUPS (SI)(AX*1), %s", r(8))
		w.i("VMOVUPS %d(SI)(AX*1), %s", vb, r(9))
		g.prefetch(w, vb)
		for i := 0; i < rows; i++ {
			w.i("VFMADD231PS (%s)(AX*1), %s, %s", rowPtr[i], r(8), r(i))
			w.i("VFMADD231PS %d(%s)(AX*1), %s, %s", vb, rowPtr[i], r(9), r(i+4))
		}
		w.i("MOVQ DX, AX")
		w.i("JMP %sloop2", p)
		w.f("%sloop1:", p)
		w.i("CMPQ AX, CX")
		w.i("JGE %sreduce", p)
		w.i("VMOVUPS (SI)(AX*1), %s", r(8))
		for i := 0; i < rows; i++ {
			w.i("VFMADD231PS (%s)(AX*1), %s, %s", rowPtr[i], r(8), r(i))
		}
		w.f("%sreduce:", p)
		x := func(n int) string { return fmt.Sprintf("X%d", n) }
		y := func(n int) string { return fmt.Sprintf("Y%d", n) }
		for i := 0; i < rows; i++ {
			w.i("VADDPS %s, %s, %s", r(i+4), r(i), r(i))
			if isa.reg == "Z" {
				w.i("VEXTRACTF64X4 $1, %s, %s", r(i), y(8))
				w.i("VADDPS %s, %s, %s", y(8), y(i), y(i))
			}
			w.i("VEXTRACTF128 $1, %s, %s", y(i), x(8))
			w.i("VADDPS %s, %s, %s", x(8), x(i), x(i))
			w.i("VSHUFPS $0x4e, %s, %s, %s", x(i), x(i), x(8))
			w.i("VADDPS %s, %s, %s", x(8), x(i), x(i))
			w.i("VSHUFPS $0xb1, %s, %s, %s", x(i), x(i), x(8))
			w.i("VADDPS %s, %s, %s", x(8), x(i), x(i))
			w.i("VMOVSS %s, %d(DI)", x(i), 4*i)
		}
	} else {
		// Broadcast x values in r(8+i); y chunks in r(0), r(1).
		for i := 0; i < rows; i++ {
			w.i("VBROADCASTSS %d(SI), %s", 4*i, r(8+i))
		}
		w.f("%sloop2:", p)
		w.i("LEAQ %d(AX), DX", 2*vb)
		w.i("CMPQ DX, CX")
		w.i("JGT %sloop1", p)
		w.i("VMOVUPS (DI)(AX*1), %s", r(0))
		w.i("VMOVUPS %d(DI)(AX*1), %s", vb, r(1))
		g.prefetch(w, vb)
		for i := 0; i < rows; i++ {
			w.i("VFMADD231PS (%s)(AX*1), %s, %s", rowPtr[i], r(8+i), r(0))
			w.i("VFMADD231PS %d(%s)(AX*1), %s, %s", vb, rowPtr[i], r(8+i), r(1))
		}
		w.i("VMOVUPS %s, (DI)(AX*1)", r(0))
		w.i("VMOVUPS %s, %d(DI)(AX*1)", r(1), vb)
		w.i("MOVQ DX, AX")
		w.i("JMP %sloop2", p)
		w.f("%sloop1:", p)
		w.i("CMPQ AX, CX")
		w.i("JGE %sdone", p)
		w.i("VMOVUPS (DI)(AX*1), %s", r(0))
		for i := 0; i < rows; i++ {
			w.i("VFMADD231PS (%s)(AX*1), %s, %s", rowPtr[i], r(8+i), r(0))
		}
		w.i("VMOVUPS %s, (DI)(AX*1)", r(0))
		w.f("%sdone:", p)
	}
	w.i("VZEROUPPER")
	w.i("RET")
	w.f("")
}

// ScatterWidths lists the panel widths that get an assembly packing
// routine: the MR and NR of every kernel.
var ScatterWidths = []int{6, 8, 12, 16, 32, 48}

// emitScatter writes packScatter<w>, which copies n consecutive runs of w
// floats from src into dst, one run every stride floats. It packs one k
// step of every panel: the panels of a packed block are stride floats apart.
// Only AVX (VEX) moves are used.
func emitScatter(w *writer, width int) {
	name := fmt.Sprintf("packScatter%d", width)
	w.f("// %s copies n runs of %d floats: src[t*%d : t*%d+%d] to dst[t*stride:],", name, width, width, width, width)
	w.f("// for t < n. Needs AVX.")
	w.f("//")
	w.f("// func %s(n int, src, dst *float32, stride int)", name)
	w.f("TEXT ·%s(SB), NOSPLIT, $0-32", name)
	w.i("MOVQ n+0(FP), CX")
	w.i("MOVQ src+8(FP), SI")
	w.i("MOVQ dst+16(FP), DI")
	w.i("MOVQ stride+24(FP), BX")
	w.i("SHLQ $2, BX")
	w.i("TESTQ CX, CX")
	w.i("JZ %s_done", name)
	w.f("%s_loop:", name)
	type mv struct {
		load, store string
		size        int
	}
	var moves []mv
	off, reg := 0, 0
	for rest := width * 4; rest > 0; {
		switch {
		case rest >= 32:
			r := fmt.Sprintf("Y%d", reg)
			moves = append(moves, mv{fmt.Sprintf("VMOVUPS %d(SI), %s", off, r), fmt.Sprintf("VMOVUPS %s, %d(DI)", r, off), 32})
		case rest >= 16:
			r := fmt.Sprintf("X%d", reg)
			moves = append(moves, mv{fmt.Sprintf("VMOVUPS %d(SI), %s", off, r), fmt.Sprintf("VMOVUPS %s, %d(DI)", r, off), 16})
		case rest >= 8:
			moves = append(moves, mv{fmt.Sprintf("MOVQ %d(SI), AX", off), fmt.Sprintf("MOVQ AX, %d(DI)", off), 8})
		default:
			moves = append(moves, mv{fmt.Sprintf("MOVL %d(SI), DX", off), fmt.Sprintf("MOVL DX, %d(DI)", off), 4})
		}
		last := moves[len(moves)-1]
		off += last.size
		rest -= last.size
		reg++
	}
	for _, m := range moves {
		w.i("%s", m.load)
	}
	for _, m := range moves {
		w.i("%s", m.store)
	}
	w.i("ADDQ $%d, SI", width*4)
	w.i("ADDQ BX, DI")
	w.i("DECQ CX")
	w.i("JNZ %s_loop", name)
	w.f("%s_done:", name)
	w.i("VZEROUPPER")
	w.i("RET")
	w.f("")
}

// InterleaveWidths lists the widths that get an assembly interleaving
// (transposing) packing routine.
var InterleaveWidths = []int{8, 12, 16, 32, 48}

// emitInterleave writes packInterleave<w>, which packs w rows of a
// row-major matrix column by column: dst[p*w+i] = src[i*ld+p] for i < w
// and p < kc, kc a multiple of 8. It transposes 8x8 blocks (and 4x8 blocks
// when w%8 == 4) in AVX registers: unpack pairs of rows, shuffle pairs of
// pairs, then swap 128-bit halves.
func emitInterleave(w *writer, width int) {
	if width%4 != 0 {
		panic("asmgen: interleave width must be a multiple of 4")
	}
	name := fmt.Sprintf("packInterleave%d", width)
	w.f("// %s sets dst[p*%d+i] = src[i*ld+p] for i < %d, p < kc; kc must be a", name, width, width)
	w.f("// multiple of 8. Needs AVX.")
	w.f("//")
	w.f("// func %s(kc int, src *float32, ld int, dst *float32)", name)
	w.f("TEXT ·%s(SB), NOSPLIT, $0-32", name)
	w.i("MOVQ kc+0(FP), CX")
	w.i("SHLQ $2, CX") // bytes of each row to read
	w.i("MOVQ src+8(FP), SI")
	w.i("MOVQ ld+16(FP), BX")
	w.i("SHLQ $2, BX")
	w.i("MOVQ dst+24(FP), DI")
	w.i("LEAQ (BX)(BX*2), R11") // 3 rows
	y := func(n int) string { return fmt.Sprintf("Y%d", n) }
	x := func(n int) string { return fmt.Sprintf("X%d", n) }
	dstStep := 8 * width * 4 // bytes of dst per block of 8 k steps
	for r0 := 0; r0 < width; r0 += 8 {
		rows := min(8, width-r0)
		lbl := fmt.Sprintf("%s_g%d", name, r0)
		// Row pointers: R8 = row r0, R9 = r0+3, R10 = r0+6.
		w.i("MOVQ SI, R8")
		if r0 > 0 {
			w.i("MOVQ BX, AX")
			w.i("IMULQ $%d, AX", r0)
			w.i("ADDQ AX, R8")
		}
		w.i("LEAQ (R8)(R11*1), R9")
		w.i("LEAQ (R9)(R11*1), R10")
		w.i("LEAQ %d(DI), R12", r0*4)
		w.i("XORQ AX, AX")
		w.i("TESTQ CX, CX")
		w.i("JZ %s_end", lbl)
		w.f("%s:", lbl)
		// Row r0+i at base R8 (i = 0-2), R9 (3-5) or R10 (6-7), plus the
		// column offset AX, plus 0, 1 or 2 row strides: DX = AX + ld,
		// R13 = AX + 2*ld.
		w.i("LEAQ (AX)(BX*1), DX")
		w.i("LEAQ (AX)(BX*2), R13")
		rowAddr := []string{
			"(R8)(AX*1)", "(R8)(DX*1)", "(R8)(R13*1)",
			"(R9)(AX*1)", "(R9)(DX*1)", "(R9)(R13*1)",
			"(R10)(AX*1)", "(R10)(DX*1)",
		}
		for i := 0; i < rows; i++ {
			w.i("VMOVUPS %s, %s", rowAddr[i], y(i))
		}
		if rows == 8 {
			for i := 0; i < 8; i += 2 {
				w.i("VUNPCKLPS %s, %s, %s", y(i+1), y(i), y(8+i))
				w.i("VUNPCKHPS %s, %s, %s", y(i+1), y(i), y(9+i))
			}
			// Y8..Y15 = t0..t7; shuffles into Y0..Y7 = s0..s7.
			w.i("VSHUFPS $0x44, %s, %s, %s", y(10), y(8), y(0))
			w.i("VSHUFPS $0xee, %s, %s, %s", y(10), y(8), y(1))
			w.i("VSHUFPS $0x44, %s, %s, %s", y(11), y(9), y(2))
			w.i("VSHUFPS $0xee, %s, %s, %s", y(11), y(9), y(3))
			w.i("VSHUFPS $0x44, %s, %s, %s", y(14), y(12), y(4))
			w.i("VSHUFPS $0xee, %s, %s, %s", y(14), y(12), y(5))
			w.i("VSHUFPS $0x44, %s, %s, %s", y(15), y(13), y(6))
			w.i("VSHUFPS $0xee, %s, %s, %s", y(15), y(13), y(7))
			// s_q holds k steps q (low half) and q+4 (high half) of rows
			// 0-3; s_{q+4} the same for rows 4-7.
			for q := 0; q < 4; q++ {
				w.i("VPERM2F128 $0x20, %s, %s, %s", y(q+4), y(q), y(8+q))
				w.i("VPERM2F128 $0x31, %s, %s, %s", y(q+4), y(q), y(12+q))
			}
			// k step q (q < 4) is in Y8+q and step q+4 in Y12+q, so step
			// q is in Y8+q for all q < 8.
			for q := 0; q < 8; q++ {
				w.i("VMOVUPS %s, %d(R12)", y(8+q), q*width*4)
			}
		} else {
			w.i("VUNPCKLPS %s, %s, %s", y(1), y(0), y(8))
			w.i("VUNPCKHPS %s, %s, %s", y(1), y(0), y(9))
			w.i("VUNPCKLPS %s, %s, %s", y(3), y(2), y(10))
			w.i("VUNPCKHPS %s, %s, %s", y(3), y(2), y(11))
			w.i("VSHUFPS $0x44, %s, %s, %s", y(10), y(8), y(0))
			w.i("VSHUFPS $0xee, %s, %s, %s", y(10), y(8), y(1))
			w.i("VSHUFPS $0x44, %s, %s, %s", y(11), y(9), y(2))
			w.i("VSHUFPS $0xee, %s, %s, %s", y(11), y(9), y(3))
			for q := 0; q < 4; q++ {
				w.i("VMOVUPS %s, %d(R12)", x(q), q*width*4)
				w.i("VEXTRACTF128 $1, %s, %d(R12)", y(q), (q+4)*width*4)
			}
		}
		w.i("ADDQ $%d, R12", dstStep)
		w.i("ADDQ $32, AX")
		w.i("CMPQ AX, CX")
		w.i("JLT %s", lbl)
		w.f("%s_end:", lbl)
	}
	w.i("VZEROUPPER")
	w.i("RET")
	w.f("")
}

// Generate returns the text of kernels/sgemm_amd64.s.
func Generate() string {
	var w writer
	w.f("// Code generated by kernels/internal/asmgen; DO NOT EDIT.")
	w.f("")
	w.f("//go:build amd64 && !purego")
	w.f("")
	w.f("#include \"textflag.h\"")
	w.f("")
	for _, k := range Kernels {
		k.emit(&w)
	}
	for _, k := range GemvKernels {
		k.emit(&w)
	}
	emitRowsT4x4(&w)
	emitRowsN4x4(&w)
	for _, width := range ScatterWidths {
		emitScatter(&w, width)
	}
	for _, width := range InterleaveWidths {
		emitInterleave(&w, width)
	}
	return w.String()
}
