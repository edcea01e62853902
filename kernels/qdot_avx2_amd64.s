//go:build amd64 && !purego

#include "textflag.h"

// Dot kernels of qdot.go for AVX2 with FMA and F16C, four weight rows at
// a time with one activation row (r4; qdot_avx2_amd64.go builds r4x4 of
// them). All three take the qDot arguments
//
//	func(nb int, w *byte, ldw int, s *byte, x *byte, ldx int, out *float32, ldo int)
//
// and write out[i] = (row i of the group) · x for i < 4, over nb blocks:
// for bf16 row i starts at w + i*ldw, for q8_0 and q4_0 w and s are the
// group's quants and scales (qlayout.go); x is one activation row, ldx
// and ldo are unused. out[0..3] are contiguous.
//
// Every row is computed by the same instructions in the same order (its
// own accumulators, the same fixed reduction, REDUCE4), so a row's result
// does not depend on the other three rows, or on which lane of out it
// lands in. Nothing is read past the last block of a row.
//
// Registers common to all three: R8-R11 the four row pointers, BX the byte
// offset into the rows, DI the activation pointer (advanced a block at a
// time), CX the blocks left, DX out.

// ROWPTRS loads the arguments and sets R8-R11 to the four rows.
#define ROWPTRS \
	MOVQ nb+0(FP), CX          \
	MOVQ w+8(FP), R8           \
	MOVQ ldw+16(FP), AX        \
	MOVQ x+32(FP), DI          \
	MOVQ out+48(FP), DX        \
	LEAQ (R8)(AX*1), R9        \
	LEAQ (R8)(AX*2), R10       \
	LEAQ (R9)(AX*2), R11       \
	XORQ BX, BX

// REDUCE4 sums the eight lanes of each of Y0-Y3 and writes the four sums
// to (DX): each row r gets ((a[0]+a[4]) + (a[1]+a[5])) + ((a[2]+a[6]) +
// (a[3]+a[7])) of its lanes a: after the halves are added, the first
// VHADDPS gives [r0 01, r0 23, r1 01, r1 23], the second the same of rows
// 2 and 3, the third [r0, r1, r2, r3]. Clobbers Y4-Y7.
#define REDUCE4 \
	VEXTRACTF128 $1, Y0, X4    \
	VADDPS X4, X0, X0          \
	VEXTRACTF128 $1, Y1, X5    \
	VADDPS X5, X1, X1          \
	VEXTRACTF128 $1, Y2, X6    \
	VADDPS X6, X2, X2          \
	VEXTRACTF128 $1, Y3, X7    \
	VADDPS X7, X3, X3          \
	VHADDPS X1, X0, X0         \
	VHADDPS X3, X2, X2         \
	VHADDPS X2, X0, X0         \
	VMOVUPS X0, (DX)           \
	VZEROUPPER

// qdotconst: 32 bytes of 0x0f (the nibble mask) at 0, 16 int16 ones at
// 32, the dword shifts {0,0,0,0,4,4,4,4} at 64 (low nibbles in the low
// 128-bit lane, high nibbles in the high one), the dword mask 0xffff0000
// at 96 (the odd bf16 of a pair).
DATA qdotconst<>+0(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA qdotconst<>+8(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA qdotconst<>+16(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA qdotconst<>+24(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA qdotconst<>+32(SB)/8, $0x0001000100010001
DATA qdotconst<>+40(SB)/8, $0x0001000100010001
DATA qdotconst<>+48(SB)/8, $0x0001000100010001
DATA qdotconst<>+56(SB)/8, $0x0001000100010001
DATA qdotconst<>+64(SB)/8, $0x0000000000000000
DATA qdotconst<>+72(SB)/8, $0x0000000000000000
DATA qdotconst<>+80(SB)/8, $0x0000000400000004
DATA qdotconst<>+88(SB)/8, $0x0000000400000004
DATA qdotconst<>+96(SB)/8, $0xffff0000ffff0000
DATA qdotconst<>+104(SB)/8, $0xffff0000ffff0000
DATA qdotconst<>+112(SB)/8, $0xffff0000ffff0000
DATA qdotconst<>+120(SB)/8, $0xffff0000ffff0000
GLOBL qdotconst<>(SB), RODATA|NOPTR, $128

// BF16 weights, float32 activations. Per 32-element block each row takes
// two steps of 16: 16 bf16 are loaded as 8 dwords, dword k holding
// elements 2k (low half) and 2k+1 (high half); shifting left 16 gives
// element 2k as float32, masking off the low half element 2k+1 (both
// exact). The 16 activations of the step are split once, for all four
// rows, into the even elements (Y12) and the odd ones (Y13) in the same
// order, and each row FMAs its even elements into one accumulator and its
// odd elements into a second, added together before the reduction (so
// eight FMA chains are in flight).
//
// Y0-Y3 the even accumulators of rows 0-3, Y8-Y11 the odd ones, Y12/Y13
// the even and odd activations, Y14 the mask 0xffff0000, Y4-Y7 weights.

// BFX splits the 16 activations at xoff and xoff2 = xoff+32 (bytes, from
// DI) into Y12 = x[0,2,...,14] and Y13 = x[1,3,...,15]: VSHUFPS gives
// x[0,2,8,10 | 4,6,12,14] (and the odd ones), VPERMPD puts the 64-bit
// pairs in order.
#define BFX(xoff, xoff2) \
	VMOVUPS xoff(DI), Y4          \
	VMOVUPS xoff2(DI), Y5         \
	VSHUFPS $0x88, Y5, Y4, Y12    \
	VSHUFPS $0xdd, Y5, Y4, Y13    \
	VPERMPD $0xd8, Y12, Y12       \
	VPERMPD $0xd8, Y13, Y13

// BFROW does the 16 weights of row at woff (bytes, from BX) into the even
// and odd accumulators ae and ao, with temporaries te and to.
#define BFROW(row, woff, te, to, ae, ao) \
	VMOVDQU woff(row)(BX*1), to   \
	VPSLLD $16, to, te            \
	VPAND Y14, to, to             \
	VFMADD231PS Y12, te, ae       \
	VFMADD231PS Y13, to, ao

// BFSTEP does one step of 16 elements of the four rows.
#define BFSTEP(woff, xoff, xoff2) \
	BFX(xoff, xoff2)                   \
	BFROW(R8, woff, Y4, Y5, Y0, Y8)    \
	BFROW(R9, woff, Y6, Y7, Y1, Y9)    \
	BFROW(R10, woff, Y4, Y5, Y2, Y10)  \
	BFROW(R11, woff, Y6, Y7, Y3, Y11)

// func qdotBF16AVX2_4(nb int, w *byte, ldw int, s *byte, x *byte, ldx int, out *float32, ldo int)
//
// w: 4 rows of nb*32 bf16 (ldw bytes apart), x: nb*32 float32.
// out[i] = Σ_k float32(w[i][k]) * x[k], i < 4.
TEXT ·qdotBF16AVX2_4(SB), NOSPLIT, $0-64
	ROWPTRS
	VXORPS  Y0, Y0, Y0
	VXORPS  Y1, Y1, Y1
	VXORPS  Y2, Y2, Y2
	VXORPS  Y3, Y3, Y3
	VXORPS  Y8, Y8, Y8
	VXORPS  Y9, Y9, Y9
	VXORPS  Y10, Y10, Y10
	VXORPS  Y11, Y11, Y11
	VMOVDQU qdotconst<>+96(SB), Y14
	TESTQ   CX, CX
	JZ      bfdone

bfloop:
	BFSTEP(0, 0, 32)
	BFSTEP(32, 64, 96)
	ADDQ $64, BX
	ADDQ $128, DI
	DECQ CX
	JNZ  bfloop

bfdone:
	VADDPS Y8, Y0, Y0
	VADDPS Y9, Y1, Y1
	VADDPS Y10, Y2, Y2
	VADDPS Y11, Y3, Y3
	REDUCE4
	RET

// The integer kernels read the group layout: a 32-byte load of a group
// block is chunks c and c+1 of the four rows, lane 4(c'-c)+i holding
// chunk c' of row i, and the same 32 bytes of the activation block hold
// those chunks once per row. VPMADDUBSW (unsigned by signed bytes, in
// pairs to int16) and VPMADDWD with ones (pairs to int32) make 8 partial
// sums, two per row, added up in int32 over the block; then converted
// to float32 and scaled by d_w·d_x (lanes i and i+4 take row i's d_w)
// into one accumulator. At the end row i is lanes i and i+4.
//
// Y0 the accumulator, Y12 the block's int32 sums, Y13 d_w·d_x, Y14
// int16 ones, Y15 the nibble mask (q4_0), Y4-Y7 temporaries.

// QSCALE adds the block's sums Y12, scaled, into Y0: the fp16 scales of
// the four rows at (DX) and d_x at 128(DI).
#define QSCALE \
	VPBROADCASTQ (SI), X13         \
	VCVTPH2PS X13, Y13             \
	VBROADCASTSS 128(DI), Y4       \
	VMULPS Y4, Y13, Y13            \
	VCVTDQ2PS Y12, Y12             \
	VFMADD231PS Y13, Y12, Y0

// Q8CHUNKS adds the products of the 32 weight bytes at off(R8) with the
// activations at off(DI) to Y12. The unsigned-by-signed multiply takes
// |q_w| and q_x with q_w's sign (VPSIGNB), whose product is q_w*q_x; no
// pair overflows int16 (|q_w| <= 128, |q_x| <= 127).
#define Q8CHUNKS(off) \
	VMOVDQU off(R8), Y4            \
	VMOVDQU off(DI), Y5            \
	VPSIGNB Y4, Y5, Y5             \
	VPABSB Y4, Y4                  \
	VPMADDUBSW Y5, Y4, Y5          \
	VPMADDWD Y14, Y5, Y5           \
	VPADDD Y5, Y12, Y12

// INTARGS loads the arguments: CX blocks, R8 quants, SI scales, DI
// activations, DX out; Y0 zero, Y14 int16 ones.
#define INTARGS \
	MOVQ nb+0(FP), CX              \
	MOVQ w+8(FP), R8               \
	MOVQ s+24(FP), SI              \
	MOVQ x+32(FP), DI              \
	MOVQ out+48(FP), DX            \
	VXORPS Y0, Y0, Y0              \
	VMOVDQU qdotconst<>+32(SB), Y14

// ROWS2 writes row i = lanes i and i+4 of Y0 to (DX), i < 4.
#define ROWS2 \
	VEXTRACTF128 $1, Y0, X4        \
	VADDPS X4, X0, X0              \
	VMOVUPS X0, (DX)               \
	VZEROUPPER

// func qdotQ8_0AVX2_4(nb int, w *byte, ldw int, s *byte, x *byte, ldx int, out *float32, ldo int)
//
// w, s: a q8_0 group of nb blocks (128 bytes of quants, 8 of scales
// each), x: nb activation blocks (136 bytes).
// out[i] = Σ_b d_w d_x Σ_j q_w[j] q_x[j], i < 4.
TEXT ·qdotQ8_0AVX2_4(SB), NOSPLIT, $0-64
	INTARGS
	TESTQ CX, CX
	JZ    q8done

q8loop:
	VPXOR Y12, Y12, Y12
	Q8CHUNKS(0)
	Q8CHUNKS(32)
	Q8CHUNKS(64)
	Q8CHUNKS(96)
	QSCALE
	ADDQ $128, R8
	ADDQ $8, SI
	ADDQ $136, DI
	DECQ CX
	JNZ  q8loop

q8done:
	ROWS2
	RET

// Q4CHUNKS adds the products of the nibbles in Y6 (unsigned, q_w + 8)
// with the activations at off(DI) to Y12.
#define Q4CHUNKS(off) \
	VPMADDUBSW off(DI), Y6, Y5     \
	VPMADDWD Y14, Y5, Y5           \
	VPADDD Y5, Y12, Y12

// Q4HALF does 32 bytes of nibbles at off(R8): the low nibbles are chunks
// of weights 0-15 (activations at off), the high ones of weights 16-31
// (activations at 64+off).
#define Q4HALF(off, hoff) \
	VMOVDQU off(R8), Y7            \
	VPAND Y15, Y7, Y6              \
	Q4CHUNKS(off)                  \
	VPSRLW $4, Y7, Y7              \
	VPAND Y15, Y7, Y6              \
	Q4CHUNKS(hoff)

// func qdotQ4_0AVX2_4(nb int, w *byte, ldw int, s *byte, x *byte, ldx int, out *float32, ldo int)
//
// w, s: a q4_0 group of nb blocks (64 bytes of nibbles, 8 of scales
// each), x: nb activation blocks. Σ n q_x - 8 Σ q_x is a row's sum: its
// two lanes start at -4 Σ q_x.
// out[i] = Σ_b d_w d_x Σ_j (n_w[j]-8) q_x[j], i < 4.
TEXT ·qdotQ4_0AVX2_4(SB), NOSPLIT, $0-64
	INTARGS
	VMOVDQU qdotconst<>+0(SB), Y15
	TESTQ CX, CX
	JZ    q4done

q4loop:
	VPBROADCASTD 132(DI), Y12
	VPSLLD $2, Y12, Y12
	VPXOR Y4, Y4, Y4
	VPSUBD Y12, Y4, Y12
	Q4HALF(0, 64)
	Q4HALF(32, 96)
	QSCALE
	ADDQ $64, R8
	ADDQ $8, SI
	ADDQ $136, DI
	DECQ CX
	JNZ  q4loop

q4done:
	ROWS2
	RET
