package asmgen

import "fmt"

// The 4x4 row kernels of kernels/gemvrows.go (MatmulRows, MatmulRowsT):
// four rows of A applied to four rows of x at once, so a batch of
// sequences decoded together reads each weight row from memory once.
// AVX-512 only: the sixteen broadcasts or accumulators live in Z16-Z31.

// rowsPrefetch emits prefetches of the line the loop just loaded in each
// of the four rows of A, four rows further on: the rows the next call
// reads.
func rowsPrefetch(w *writer) {
	for _, p := range rowPtr {
		w.i("LEAQ (%s)(AX*1), DX", p)
		w.i("PREFETCHT0 (DX)(BX*4)")
	}
}

// rowsPrologue loads n (as bytes), the four row pointers of A (lda in BX,
// as bytes) and the x pointer into SI, and ldx (bytes) into DX.
func rowsPrologue(w *writer) {
	w.i("MOVQ n+0(FP), CX")
	w.i("SHLQ $2, CX")
	w.i("MOVQ a+8(FP), R8")
	w.i("MOVQ lda+16(FP), BX")
	w.i("SHLQ $2, BX")
	for i := 1; i < 4; i++ {
		w.i("LEAQ (%s)(BX*1), %s", rowPtr[i-1], rowPtr[i])
	}
	w.i("MOVQ x+24(FP), SI")
	w.i("MOVQ ldx+32(FP), DX")
	w.i("SHLQ $2, DX")
}

// emitRowsT4x4 writes sgemvT4x4AVX512: y[s] += Σ_r x[s][r] a[r] for four
// rows s of y, each a chain of FMAs in row order (as sgemvTAVX512_4).
func emitRowsT4x4(w *writer) {
	w.f("// sgemvT4x4AVX512 adds 4 scaled rows of a into each of 4 rows of y:")
	w.f("//")
	w.f("//\ty[s*ldy+j] += x[s*ldx]*a[j] + x[s*ldx+1]*a[lda+j] + x[s*ldx+2]*a[2*lda+j] + x[s*ldx+3]*a[3*lda+j]")
	w.f("//")
	w.f("// for j < n and s < 4, each a chain of fused multiply-adds in row order")
	w.f("// (the order of sgemvTAVX512_4). Each 16 columns of the four rows of a")
	w.f("// are loaded once for all four rows of y. n must be a multiple of 16.")
	w.f("//")
	w.f("// func sgemvT4x4AVX512(n int, a *float32, lda int, x *float32, ldx int, y *float32, ldy int)")
	w.f("TEXT ·sgemvT4x4AVX512(SB), NOSPLIT, $0-56")
	rowsPrologue(w)
	for s := range 4 { // x[s][r] broadcast into Z(16+4s+r)
		if s > 0 {
			w.i("ADDQ DX, SI")
		}
		for r := range 4 {
			w.i("VBROADCASTSS %d(SI), Z%d", 4*r, 16+4*s+r)
		}
	}
	yPtr := []string{"DI", "R12", "R13", "R14"}
	w.i("MOVQ y+40(FP), DI")
	w.i("MOVQ ldy+48(FP), DX")
	w.i("SHLQ $2, DX")
	for s := 1; s < 4; s++ {
		w.i("LEAQ (%s)(DX*1), %s", yPtr[s-1], yPtr[s])
	}
	w.i("XORQ AX, AX")
	w.f("sgemvT4x4_loop:")
	w.i("CMPQ AX, CX")
	w.i("JGE sgemvT4x4_done")
	for r, p := range rowPtr {
		w.i("VMOVUPS (%s)(AX*1), Z%d", p, r)
	}
	rowsPrefetch(w)
	for s, p := range yPtr {
		w.i("VMOVUPS (%s)(AX*1), Z%d", p, 4+s)
		for r := range 4 {
			w.i("VFMADD231PS Z%d, Z%d, Z%d", r, 16+4*s+r, 4+s)
		}
		w.i("VMOVUPS Z%d, (%s)(AX*1)", 4+s, p)
	}
	w.i("ADDQ $64, AX")
	w.i("JMP sgemvT4x4_loop")
	w.f("sgemvT4x4_done:")
	w.i("VZEROUPPER")
	w.i("RET")
	w.f("")
}

// emitRowsN4x4 writes sgemvN4x4AVX512: the 16 dot products of four rows of
// a with four rows of x, one 16-lane accumulator each, reduced in a fixed
// order.
func emitRowsN4x4(w *writer) {
	w.f("// sgemvN4x4AVX512 computes the dot products of 4 rows of a with each of 4")
	w.f("// rows of x:")
	w.f("//")
	w.f("//\tout[s*ldo+i] = sum_j a[i*lda+j] * x[s*ldx+j]   for i, s < 4, j < n")
	w.f("//")
	w.f("// Each 16 columns of the four rows of a are loaded once for all four rows")
	w.f("// of x; each of the 16 sums has one 16-lane accumulator, reduced in a")
	w.f("// fixed order. n must be a multiple of 16.")
	w.f("//")
	w.f("// func sgemvN4x4AVX512(n int, a *float32, lda int, x *float32, ldx int, out *float32, ldo int)")
	w.f("TEXT ·sgemvN4x4AVX512(SB), NOSPLIT, $0-56")
	rowsPrologue(w)
	xPtr := []string{"SI", "R12", "R13", "R14"}
	for s := 1; s < 4; s++ {
		w.i("LEAQ (%s)(DX*1), %s", xPtr[s-1], xPtr[s])
	}
	w.i("XORQ AX, AX")
	for z := 16; z < 32; z++ {
		w.i("VPXORD Z%d, Z%d, Z%d", z, z, z)
	}
	w.f("sgemvN4x4_loop:")
	w.i("CMPQ AX, CX")
	w.i("JGE sgemvN4x4_reduce")
	for r, p := range rowPtr {
		w.i("VMOVUPS (%s)(AX*1), Z%d", p, 4+r)
	}
	rowsPrefetch(w)
	for s, p := range xPtr {
		w.i("VMOVUPS (%s)(AX*1), Z%d", p, s)
	}
	for s := range 4 { // accumulator of row i, sequence s: Z(16+4s+i)
		for i := range 4 {
			w.i("VFMADD231PS Z%d, Z%d, Z%d", 4+i, s, 16+4*s+i)
		}
	}
	w.i("ADDQ $64, AX")
	w.i("JMP sgemvN4x4_loop")
	w.f("sgemvN4x4_reduce:")
	w.i("MOVQ out+40(FP), DI")
	w.i("MOVQ ldo+48(FP), DX")
	w.i("SHLQ $2, DX")
	for s := range 4 {
		if s > 0 {
			w.i("ADDQ DX, DI")
		}
		for i := range 4 {
			reduceZ(w, 16+4*s+i, fmt.Sprintf("%d(DI)", 4*i))
		}
	}
	w.i("VZEROUPPER")
	w.i("RET")
	w.f("")
}

// reduceZ adds the 16 lanes of Z(acc) (through Z0 and X1) and stores the
// sum at dst.
func reduceZ(w *writer, acc int, dst string) {
	w.i("VMOVAPS Z%d, Z0", acc)
	w.i("VEXTRACTF64X4 $1, Z0, Y1")
	w.i("VADDPS Y1, Y0, Y0")
	w.i("VEXTRACTF128 $1, Y0, X1")
	w.i("VADDPS X1, X0, X0")
	w.i("VSHUFPS $0x4e, X0, X0, X1")
	w.i("VADDPS X1, X0, X0")
	w.i("VSHUFPS $0xb1, X0, X0, X1")
	w.i("VADDPS X1, X0, X0")
	w.i("VMOVSS X0, %s", dst)
}
