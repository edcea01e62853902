//go:build amd64 && !purego

#include "textflag.h"

// AVX-512 dot kernels for quantized weights (see qdot.go and qlayout.go).
// func(nb int, w *byte, ldw int, s *byte, x *byte, ldx int, out *float32, ldo int)
//
// q8_0 and q4_0: one 64-byte load of a group block is 4 chunks of 4
// weights of the group's 4 rows, lane 4c+i holding chunk c of row i, and
// the activation block holds each chunk four times to match, so VPDPBUSD
// (AVX512_VNNI: unsigned bytes times signed bytes, summed in fours into
// int32 lanes) makes 16 partial sums, four per row. q8_0 weights are made
// unsigned by flipping the sign bit (w+128), q4_0 nibbles are unsigned
// already (q+8); the excess, 128·Σq_x or 8·Σq_x per row and block, is
// taken out by starting each of a row's four lanes at -32·Σq_x or
// -2·Σq_x. Each block's int32 lanes then become float32 and are scaled by
// d_w·d_x into one float32 accumulator per activation row; at the end a
// row's four lanes are summed.
//
// bf16: one 16-lane float32 accumulator per (weight row, activation row)
// pair, the weights widened exactly (a bf16 is the top half of a
// float32), summed at the end by halves (REDUCE).
//
// The r4 and r4x4 kernels give each pair the same instructions in the
// same order, so a pair's result does not depend on the kernel.

DATA q80<>+0(SB)/4, $0x80808080
GLOBL q80<>(SB), RODATA|NOPTR, $4
DATA q0f<>+0(SB)/4, $0x0f0f0f0f
GLOBL q0f<>(SB), RODATA|NOPTR, $4
DATA qneg32<>+0(SB)/4, $0xffffffe0
GLOBL qneg32<>(SB), RODATA|NOPTR, $4
DATA qneg2<>+0(SB)/4, $0xfffffffe
GLOBL qneg2<>(SB), RODATA|NOPTR, $4

// Weight side of a q8_0 step (group block at q, scales at s): Z28, Z29
// chunks 0-3 and 4-7 as unsigned bytes (Z26 holds 0x80 bytes), Z27 the
// scales d_w of lanes 4c+i (row i).
#define Q8W(q, s) \
	VPXORD 0(q), Z26, Z28; \
	VPXORD 64(q), Z26, Z29; \
	VPBROADCASTQ 0(s), Y27; \
	VCVTPH2PS Y27, Z27

// Weight side of a q4_0 step: Z28 the low nibbles (weights 0-15, chunks
// 0-3), Z29 the high nibbles (weights 16-31); Z26 holds 0x0f bytes.
#define Q4W(q, s) \
	VMOVDQU64 0(q), Z29; \
	VPANDD Z29, Z26, Z28; \
	VPSRLW $4, Z29, Z29; \
	VPANDD Z29, Z26, Z29; \
	VPBROADCASTQ 0(s), Y27; \
	VCVTPH2PS Y27, Z27

// One activation row's integer step at x: acc += float(lanes) · d_w·d_x.
#define IROW(x, acc, neg) \
	VPBROADCASTD 132(x), Z30; \
	VPMULLD.BCST neg(SB), Z30, Z30; \
	VPDPBUSD 0(x), Z28, Z30; \
	VPDPBUSD 64(x), Z29, Z30; \
	VCVTDQ2PS Z30, Z30; \
	VMULPS.BCST 128(x), Z27, Z31; \
	VFMADD231PS Z31, Z30, acc

// ROWS4 writes the sum of lanes i, i+4, i+8, i+12 of z (y, x: its lower
// views) to dst[i], i < 4. Z30 is scratch.
#define ROWS4(z, y, x, dst) \
	VEXTRACTF64X4 $1, z, Y30; \
	VADDPS Y30, y, y; \
	VEXTRACTF32X4 $1, y, X30; \
	VADDPS X30, x, x; \
	VMOVUPS x, dst

// REDUCE writes the sum of the 16 lanes of z to dst, by halves: 16 -> 8
// -> 4 -> 2 -> 1. Z30 is scratch.
#define REDUCE(z, y, x, dst) \
	VEXTRACTF64X4 $1, z, Y30; \
	VADDPS Y30, y, y; \
	VEXTRACTF32X4 $1, y, X30; \
	VADDPS X30, x, x; \
	VMOVHLPS x, x, X30; \
	VADDPS X30, x, x; \
	VMOVSHDUP x, X30; \
	VADDSS X30, x, x; \
	VMOVSS x, dst

// The four activation-row pointers DI, R11, R12, R13 from x and ldx.
#define XROWS \
	MOVQ x+32(FP), DI; \
	MOVQ ldx+40(FP), BX; \
	LEAQ (DI)(BX*1), R11; \
	LEAQ (DI)(BX*2), R12; \
	LEAQ (R11)(BX*2), R13

#define XNEXT(n) \
	ADDQ n, DI; \
	ADDQ n, R11; \
	ADDQ n, R12; \
	ADDQ n, R13

#define ZERO4(a, b, c, d) \
	VPXORD a, a, a; \
	VPXORD b, b, b; \
	VPXORD c, c, c; \
	VPXORD d, d, d

// INTARGS loads nb (CX), the group's quants (SI) and scales (DX), and
// the byte constant k into every byte of Z26.
#define INTARGS(k) \
	MOVQ nb+0(FP), CX; \
	MOVQ w+8(FP), SI; \
	MOVQ s+24(FP), DX; \
	VPBROADCASTD k(SB), Z26

// The r4x4 outputs: out[s*ldo+i] from Z0-Z3 (row s = Zs).
#define OUTGRID \
	MOVQ out+48(FP), AX; \
	MOVQ ldo+56(FP), BX; \
	SHLQ $2, BX; \
	ROWS4(Z0, Y0, X0, 0(AX)); \
	ADDQ BX, AX; \
	ROWS4(Z1, Y1, X1, 0(AX)); \
	ADDQ BX, AX; \
	ROWS4(Z2, Y2, X2, 0(AX)); \
	ADDQ BX, AX; \
	ROWS4(Z3, Y3, X3, 0(AX))

// qdotQ8_0AVX512_4 computes out[i] = (row i of the q8_0 group at w, s) ·
// x for i < 4 over nb > 0 blocks; x is one row of activation blocks.
TEXT ·qdotQ8_0AVX512_4(SB), NOSPLIT, $0-64
	INTARGS(q80<>)
	MOVQ x+32(FP), DI
	VPXORD Z0, Z0, Z0

q8r4:
	Q8W(SI, DX)
	IROW(DI, Z0, qneg32<>)
	ADDQ $128, SI
	ADDQ $8, DX
	ADDQ $136, DI
	DECQ CX
	JNZ  q8r4

	MOVQ out+48(FP), AX
	ROWS4(Z0, Y0, X0, 0(AX))
	VZEROUPPER
	RET

// qdotQ8_0AVX512_4x4 computes out[s*ldo+i] = (row i of the group) ·
// (activation row s) for i, s < 4; activation rows are ldx bytes apart.
TEXT ·qdotQ8_0AVX512_4x4(SB), NOSPLIT, $0-64
	INTARGS(q80<>)
	XROWS
	ZERO4(Z0, Z1, Z2, Z3)

q8r4x4:
	Q8W(SI, DX)
	IROW(DI, Z0, qneg32<>)
	IROW(R11, Z1, qneg32<>)
	IROW(R12, Z2, qneg32<>)
	IROW(R13, Z3, qneg32<>)
	ADDQ $128, SI
	ADDQ $8, DX
	XNEXT($136)
	DECQ CX
	JNZ  q8r4x4

	OUTGRID
	VZEROUPPER
	RET

// qdotQ4_0AVX512_4 is qdotQ8_0AVX512_4 for a q4_0 group (64-byte blocks).
TEXT ·qdotQ4_0AVX512_4(SB), NOSPLIT, $0-64
	INTARGS(q0f<>)
	MOVQ x+32(FP), DI
	VPXORD Z0, Z0, Z0

q4r4:
	Q4W(SI, DX)
	IROW(DI, Z0, qneg2<>)
	ADDQ $64, SI
	ADDQ $8, DX
	ADDQ $136, DI
	DECQ CX
	JNZ  q4r4

	MOVQ out+48(FP), AX
	ROWS4(Z0, Y0, X0, 0(AX))
	VZEROUPPER
	RET

// qdotQ4_0AVX512_4x4 is qdotQ8_0AVX512_4x4 for a q4_0 group.
TEXT ·qdotQ4_0AVX512_4x4(SB), NOSPLIT, $0-64
	INTARGS(q0f<>)
	XROWS
	ZERO4(Z0, Z1, Z2, Z3)

q4r4x4:
	Q4W(SI, DX)
	IROW(DI, Z0, qneg2<>)
	IROW(R11, Z1, qneg2<>)
	IROW(R12, Z2, qneg2<>)
	IROW(R13, Z3, qneg2<>)
	ADDQ $64, SI
	ADDQ $8, DX
	XNEXT($136)
	DECQ CX
	JNZ  q4r4x4

	OUTGRID
	VZEROUPPER
	RET

// Weight side of a bf16 step at r (one block of 64 bytes): Z28, Z29 the
// 32 weights widened to float32.
#define BW(r) \
	VPMOVZXWD 0(r), Z28; \
	VPSLLD $16, Z28, Z28; \
	VPMOVZXWD 32(r), Z29; \
	VPSLLD $16, Z29, Z29

// One pair's bf16 step: acc += w[0:16]·x0 + w[16:32]·x1, lane by lane.
#define BPAIR(x0, x1, acc) \
	VFMADD231PS x0, Z28, acc; \
	VFMADD231PS x1, Z29, acc

// The four weight-row pointers SI, R8, R9, R10 from w and ldw.
#define WROWS \
	MOVQ w+8(FP), SI; \
	MOVQ ldw+16(FP), DX; \
	LEAQ (SI)(DX*1), R8; \
	LEAQ (SI)(DX*2), R9; \
	LEAQ (R8)(DX*2), R10

#define WNEXT(n) \
	ADDQ n, SI; \
	ADDQ n, R8; \
	ADDQ n, R9; \
	ADDQ n, R10

// out[i] for i < 4 from Z(off+i), one 16-lane accumulator each.
#define OUT4(a, ay, ax, b, by, bx, c, cy, cx, d, dy, dx) \
	REDUCE(a, ay, ax, 0(AX)); \
	REDUCE(b, by, bx, 4(AX)); \
	REDUCE(c, cy, cx, 8(AX)); \
	REDUCE(d, dy, dx, 12(AX))

// qdotBF16AVX512_4 computes out[i] = (weight row i) · x for i < 4: w is
// four bf16 rows of nb*32 values, ldw bytes apart; x is nb*32 float32.
TEXT ·qdotBF16AVX512_4(SB), NOSPLIT, $0-64
	WROWS
	MOVQ x+32(FP), DI
	MOVQ nb+0(FP), CX
	ZERO4(Z0, Z1, Z2, Z3)

b16r4:
	VMOVUPS 0(DI), Z16
	VMOVUPS 64(DI), Z17
	BW(SI)
	BPAIR(Z16, Z17, Z0)
	BW(R8)
	BPAIR(Z16, Z17, Z1)
	BW(R9)
	BPAIR(Z16, Z17, Z2)
	BW(R10)
	BPAIR(Z16, Z17, Z3)
	WNEXT($64)
	ADDQ $128, DI
	DECQ CX
	JNZ  b16r4

	MOVQ out+48(FP), AX
	OUT4(Z0, Y0, X0, Z1, Y1, X1, Z2, Y2, X2, Z3, Y3, X3)
	VZEROUPPER
	RET

#define BX4(r, x0, x1) \
	VMOVUPS 0(r), x0; \
	VMOVUPS 64(r), x1

#define BPAIRS4(a, b, c, d) \
	BPAIR(Z16, Z17, a); \
	BPAIR(Z18, Z19, b); \
	BPAIR(Z20, Z21, c); \
	BPAIR(Z22, Z23, d)

// qdotBF16AVX512_4x4 computes out[s*ldo+i] = (weight row i) · (activation
// row s) for i, s < 4; activation rows are ldx bytes apart.
TEXT ·qdotBF16AVX512_4x4(SB), NOSPLIT, $0-64
	WROWS
	XROWS
	MOVQ nb+0(FP), CX
	ZERO4(Z0, Z1, Z2, Z3)
	ZERO4(Z4, Z5, Z6, Z7)
	ZERO4(Z8, Z9, Z10, Z11)
	ZERO4(Z12, Z13, Z14, Z15)

b16r4x4:
	BX4(DI, Z16, Z17)
	BX4(R11, Z18, Z19)
	BX4(R12, Z20, Z21)
	BX4(R13, Z22, Z23)
	BW(SI)
	BPAIRS4(Z0, Z4, Z8, Z12)
	BW(R8)
	BPAIRS4(Z1, Z5, Z9, Z13)
	BW(R9)
	BPAIRS4(Z2, Z6, Z10, Z14)
	BW(R10)
	BPAIRS4(Z3, Z7, Z11, Z15)
	WNEXT($64)
	XNEXT($128)
	DECQ CX
	JNZ  b16r4x4

	MOVQ out+48(FP), AX
	MOVQ ldo+56(FP), BX
	SHLQ $2, BX
	OUT4(Z0, Y0, X0, Z1, Y1, X1, Z2, Y2, X2, Z3, Y3, X3)
	ADDQ BX, AX
	OUT4(Z4, Y4, X4, Z5, Y5, X5, Z6, Y6, X6, Z7, Y7, X7)
	ADDQ BX, AX
	OUT4(Z8, Y8, X8, Z9, Y9, X9, Z10, Y10, X10, Z11, Y11, X11)
	ADDQ BX, AX
	OUT4(Z12, Y12, X12, Z13, Y13, X13, Z14, Y14, X14, Z15, Y15, X15)
	VZEROUPPER
	RET
