//go:build amd64 && !purego

#include "textflag.h"

// AVX-512 dot kernels for quantized weights (see qdot.go and qlayout.go).
// func(nb int, w, s *byte, x *byte, ldx int, out *float32, ldo int)
//
// q8_0 and q4_0: one 64-byte load of a group block is 4 chunks of 4
// weights of the group's 4 rows, lane 4c+i holding chunk c of row i, and
// the activation block holds each chunk four times to match, so VPDPBUSD
// (AVX512_VNNI: unsigned bytes times signed bytes, summed in fours into
// int32 lanes) makes 16 partial sums, four per row. q8_0 weights are made
// unsigned by flipping the sign bit (w+128), q4_0 nibbles are unsigned
// already (q+8); the excess, 128·Σq_x or 8·Σq_x per row and block, is
// taken out by starting each of a row's four lanes at -32·Σq_x or
// -2·Σq_x, the value the activation block holds. Each block's int32
// lanes then become float32 and are scaled by d_w·d_x into one float32
// accumulator per activation row; at the end a row's four lanes are
// summed.
//
// bf16: the group layout is the same with chunks of 4 bf16, so a 32-byte
// load widens to 16 float32 lanes of 4 rows; the activations are
// broadcast to match.
//
// The r4 and r4x4 kernels give each pair the same instructions in the
// same order, so a pair's result does not depend on the kernel.

DATA q80<>+0(SB)/4, $0x80808080
GLOBL q80<>(SB), RODATA|NOPTR, $4
DATA q0f<>+0(SB)/4, $0x0f0f0f0f
GLOBL q0f<>(SB), RODATA|NOPTR, $4

// Weight side of a q8_0 step (group block at q, scales at s): Z28, Z29
// chunks 0-3 and 4-7 as unsigned bytes (Z26 holds 0x80 bytes), Z27 the
// scales d_w of lanes 4c+i (row i).
#define Q8W(q, s) \
	PREFETCHT0 1024(q); \
	PREFETCHT0 1088(q); \
	PREFETCHT0 64(s); \
	VPXORD 0(q), Z26, Z28; \
	VPXORD 64(q), Z26, Z29; \
	VPBROADCASTQ 0(s), Y27; \
	VCVTPH2PS Y27, Z27

// Weight side of a q4_0 step: Z28 the low nibbles (weights 0-15, chunks
// 0-3), Z29 the high nibbles (weights 16-31); Z26 holds 0x0f bytes.
#define Q4W(q, s) \
	PREFETCHT0 1024(q); \
	PREFETCHT0 64(s); \
	VMOVDQU64 0(q), Z29; \
	VPANDD Z29, Z26, Z28; \
	VPSRLW $4, Z29, Z29; \
	VPANDD Z29, Z26, Z29; \
	VPBROADCASTQ 0(s), Y27; \
	VCVTPH2PS Y27, Z27

// The weight macros prefetch the stream 1 KiB ahead (a DRAM-streamed
// matrix ran at about half the speed without it).

// One activation row's integer step at x: acc += float(lanes) · d_w·d_x.
#define IROW(x, acc) \
	VPBROADCASTD 132(x), Z30; \
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

// The four activation-row pointers DI, R11, R12, R13 from x and ldx.
#define XROWS \
	MOVQ x+24(FP), DI; \
	MOVQ ldx+32(FP), BX; \
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
	MOVQ s+16(FP), DX; \
	VPBROADCASTD k(SB), Z26

// The r4x4 outputs: out[s*ldo+i] from Z0-Z3 (row s = Zs).
#define OUTGRID \
	MOVQ out+40(FP), AX; \
	MOVQ ldo+48(FP), BX; \
	SHLQ $2, BX; \
	ROWSAT

// ROWSAT writes the rows of Z0-Z3 (ROWS4) at AX, AX+BX, AX+2BX, AX+3BX.
#define ROWSAT \
	ROWS4(Z0, Y0, X0, 0(AX)); \
	ADDQ BX, AX; \
	ROWS4(Z1, Y1, X1, 0(AX)); \
	ADDQ BX, AX; \
	ROWS4(Z2, Y2, X2, 0(AX)); \
	ADDQ BX, AX; \
	ROWS4(Z3, Y3, X3, 0(AX))

// GROUPS4 sets SI R8 R9 R10 to the groups' values, DX R11 R12 R13 to
// their scales, DI to x.
#define GROUPS4 \
	MOVQ nb+0(FP), CX; \
	MOVQ w+8(FP), SI; \
	MOVQ s+16(FP), DX; \
	MOVQ gst+24(FP), AX; \
	MOVQ sst+32(FP), BX; \
	LEAQ (SI)(AX*1), R8; \
	LEAQ (SI)(AX*2), R9; \
	LEAQ (R8)(AX*2), R10; \
	LEAQ (DX)(BX*1), R11; \
	LEAQ (DX)(BX*2), R12; \
	LEAQ (R11)(BX*2), R13; \
	MOVQ x+40(FP), DI

#define GNEXT(n) \
	ADDQ n, SI; \
	ADDQ n, R8; \
	ADDQ n, R9; \
	ADDQ n, R10; \
	ADDQ $8, DX; \
	ADDQ $8, R11; \
	ADDQ $8, R12; \
	ADDQ $8, R13; \
	ADDQ $136, DI

// GOUT writes the four groups' rows from Z0-Z3.
#define GOUT \
	MOVQ out+48(FP), AX; \
	MOVQ ost+56(FP), BX; \
	SHLQ $2, BX; \
	ROWSAT

// qdotQ8_0AVX512_4 computes out[i] = (row i of the q8_0 group at w, s) ·
// x for i < 4 over nb > 0 blocks; x is one row of activation blocks.
TEXT ·qdotQ8_0AVX512_4(SB), NOSPLIT, $0-56
	INTARGS(q80<>)
	MOVQ x+24(FP), DI
	VPXORD Z0, Z0, Z0

q8r4:
	Q8W(SI, DX)
	IROW(DI, Z0)
	ADDQ $128, SI
	ADDQ $8, DX
	ADDQ $136, DI
	DECQ CX
	JNZ  q8r4

	MOVQ out+40(FP), AX
	ROWS4(Z0, Y0, X0, 0(AX))
	VZEROUPPER
	RET

// qdotQ8_0AVX512_4x4 computes out[s*ldo+i] = (row i of the group) ·
// (activation row s) for i, s < 4; activation rows are ldx bytes apart.
TEXT ·qdotQ8_0AVX512_4x4(SB), NOSPLIT, $0-56
	INTARGS(q80<>)
	XROWS
	ZERO4(Z0, Z1, Z2, Z3)

q8r4x4:
	Q8W(SI, DX)
	IROW(DI, Z0)
	IROW(R11, Z1)
	IROW(R12, Z2)
	IROW(R13, Z3)
	ADDQ $128, SI
	ADDQ $8, DX
	XNEXT($136)
	DECQ CX
	JNZ  q8r4x4

	OUTGRID
	VZEROUPPER
	RET

// qdotQ4_0AVX512_4 is qdotQ8_0AVX512_4 for a q4_0 group (64-byte blocks).
TEXT ·qdotQ4_0AVX512_4(SB), NOSPLIT, $0-56
	INTARGS(q0f<>)
	MOVQ x+24(FP), DI
	VPXORD Z0, Z0, Z0

q4r4:
	Q4W(SI, DX)
	IROW(DI, Z0)
	ADDQ $64, SI
	ADDQ $8, DX
	ADDQ $136, DI
	DECQ CX
	JNZ  q4r4

	MOVQ out+40(FP), AX
	ROWS4(Z0, Y0, X0, 0(AX))
	VZEROUPPER
	RET

// qdotQ4_0AVX512_4x4 is qdotQ8_0AVX512_4x4 for a q4_0 group.
TEXT ·qdotQ4_0AVX512_4x4(SB), NOSPLIT, $0-56
	INTARGS(q0f<>)
	XROWS
	ZERO4(Z0, Z1, Z2, Z3)

q4r4x4:
	Q4W(SI, DX)
	IROW(DI, Z0)
	IROW(R11, Z1)
	IROW(R12, Z2)
	IROW(R13, Z3)
	ADDQ $64, SI
	ADDQ $8, DX
	XNEXT($136)
	DECQ CX
	JNZ  q4r4x4

	OUTGRID
	VZEROUPPER
	RET

// bf16: a 32-byte chunk pair half, 4 rows x 4 values, widens to 16
// float32 lanes (lane 4i+j: row i, value j) and multiplies the 4
// activations of that chunk broadcast to every 128-bit lane. Even chunks
// accumulate into one register, odd chunks into another (two FMA chains).

// BW2 widens the chunks at o0(SI) and o1(SI) into Z28 and Z29 (a bf16 is
// the top half of a float32).
#define BW2(o0, o1) BW2R(SI, o0, o1)

#define BW2R(r, o0, o1) \
	PREFETCHT0 1024+o0(r); \
	VPMOVZXWD o0(r), Z28; \
	VPSLLD $16, Z28, Z28; \
	VPMOVZXWD o1(r), Z29; \
	VPSLLD $16, Z29, Z29

// BROW multiplies Z28, Z29 by the activations at o0(x), o1(x) into a0, a1.
#define BROW(x, o0, o1, a0, a1) \
	VBROADCASTF32X4 o0(x), Z30; \
	VFMADD231PS Z30, Z28, a0; \
	VBROADCASTF32X4 o1(x), Z31; \
	VFMADD231PS Z31, Z29, a1

DATA qperm4<>+0(SB)/4, $0
DATA qperm4<>+4(SB)/4, $4
DATA qperm4<>+8(SB)/4, $8
DATA qperm4<>+12(SB)/4, $12
GLOBL qperm4<>(SB), RODATA|NOPTR, $16

// LANES4 writes a0+a1's four 128-bit lanes' sums (rows 0-3) to dst:
// within each lane, halves then neighbours are added, and VPERMPS with
// qperm4 (in Z26) gathers the lanes' first elements. Z30 is scratch.
#define LANES4(a0, a1, x, dst) \
	VADDPS a1, a0, a0; \
	VSHUFPS $0x4e, a0, a0, Z30; \
	VADDPS Z30, a0, a0; \
	VSHUFPS $0xb1, a0, a0, Z30; \
	VADDPS Z30, a0, a0; \
	VPERMPS a0, Z26, a0; \
	VMOVUPS x, dst

// LANESAT writes the rows of the accumulator pairs (Z0, Z1) .. (Z6, Z7)
// (LANES4) at AX, AX+BX, AX+2BX, AX+3BX; Z26 holds qperm4.
#define LANESAT \
	LANES4(Z0, Z1, X0, 0(AX)); \
	ADDQ BX, AX; \
	LANES4(Z2, Z3, X2, 0(AX)); \
	ADDQ BX, AX; \
	LANES4(Z4, Z5, X4, 0(AX)); \
	ADDQ BX, AX; \
	LANES4(Z6, Z7, X6, 0(AX))

// qdotBF16AVX512_4 computes out[i] = (row i of the bf16 group at w) · x
// for i < 4 over nb > 0 blocks of 32; x is nb*32 float32.
TEXT ·qdotBF16AVX512_4(SB), NOSPLIT, $0-56
	MOVQ nb+0(FP), CX
	MOVQ w+8(FP), SI
	MOVQ x+24(FP), DI
	ZERO4(Z0, Z1, Z2, Z3)

b16r4:
	BW2(0, 32)
	BROW(DI, 0, 16, Z0, Z1)
	BW2(64, 96)
	BROW(DI, 32, 48, Z0, Z1)
	BW2(128, 160)
	BROW(DI, 64, 80, Z0, Z1)
	BW2(192, 224)
	BROW(DI, 96, 112, Z0, Z1)
	ADDQ $256, SI
	ADDQ $128, DI
	DECQ CX
	JNZ  b16r4

	VMOVDQU32 qperm4<>(SB), X26
	MOVQ out+40(FP), AX
	LANES4(Z0, Z1, X0, 0(AX))
	VZEROUPPER
	RET

// BROWS4 runs one chunk pair against the four activation rows.
#define BROWS4(o0, o1) \
	BROW(DI, o0, o1, Z0, Z1); \
	BROW(R11, o0, o1, Z2, Z3); \
	BROW(R12, o0, o1, Z4, Z5); \
	BROW(R13, o0, o1, Z6, Z7)

// qdotBF16AVX512_4x4 computes out[s*ldo+i] = (row i of the group) ·
// (activation row s) for i, s < 4; activation rows are ldx bytes apart.
TEXT ·qdotBF16AVX512_4x4(SB), NOSPLIT, $0-56
	MOVQ nb+0(FP), CX
	MOVQ w+8(FP), SI
	XROWS
	ZERO4(Z0, Z1, Z2, Z3)
	ZERO4(Z4, Z5, Z6, Z7)

b16r4x4:
	BW2(0, 32)
	BROWS4(0, 16)
	BW2(64, 96)
	BROWS4(32, 48)
	BW2(128, 160)
	BROWS4(64, 80)
	BW2(192, 224)
	BROWS4(96, 112)
	ADDQ $256, SI
	XNEXT($128)
	DECQ CX
	JNZ  b16r4x4

	VMOVDQU32 qperm4<>(SB), X26
	MOVQ out+40(FP), AX
	MOVQ ldo+48(FP), BX
	SHLQ $2, BX
	LANESAT
	VZEROUPPER
	RET

// Dequantizing a group (the prompt path's slabs): each 16-value chunk
// group (chunk c of rows 0-3) widens to 16 float32 lanes, lane 4i+j
// being row i's value 4c+j, scaled by the row's d_w (lanes 4i..4i+3),
// and each row's 4 lanes are stored in place. The values are the Go
// Row's: the same int-to-float conversions and float32 products.
//
// func dequantQ8_0AVX512(nb int, q, s *byte, dst *float32, ldd int)
// func dequantQ4_0AVX512(nb int, q, s *byte, dst *float32, ldd int)
// func dequantBF16AVX512(nb int, q, s *byte, dst *float32, ldd int)
//
// write rows 0-3 of the group at q (scales s) to dst + i*ldd, nb blocks.

DATA qspread<>+0(SB)/4, $0
DATA qspread<>+4(SB)/4, $0
DATA qspread<>+8(SB)/4, $0
DATA qspread<>+12(SB)/4, $0
DATA qspread<>+16(SB)/4, $1
DATA qspread<>+20(SB)/4, $1
DATA qspread<>+24(SB)/4, $1
DATA qspread<>+28(SB)/4, $1
DATA qspread<>+32(SB)/4, $2
DATA qspread<>+36(SB)/4, $2
DATA qspread<>+40(SB)/4, $2
DATA qspread<>+44(SB)/4, $2
DATA qspread<>+48(SB)/4, $3
DATA qspread<>+52(SB)/4, $3
DATA qspread<>+56(SB)/4, $3
DATA qspread<>+60(SB)/4, $3
GLOBL qspread<>(SB), RODATA|NOPTR, $64

DATA q8s<>+0(SB)/4, $8
GLOBL q8s<>(SB), RODATA|NOPTR, $4
DATA q15<>+0(SB)/4, $15
GLOBL q15<>(SB), RODATA|NOPTR, $4

// DQARGS: CX blocks, SI values, DX scales, DI R8 R9 R10 the four rows.
#define DQARGS \
	MOVQ nb+0(FP), CX; \
	MOVQ q+8(FP), SI; \
	MOVQ s+16(FP), DX; \
	MOVQ dst+24(FP), DI; \
	MOVQ ldd+32(FP), BX; \
	SHLQ $2, BX; \
	LEAQ (DI)(BX*1), R8; \
	LEAQ (DI)(BX*2), R9; \
	LEAQ (R8)(BX*2), R10; \
	VMOVDQU32 qspread<>(SB), Z31

// DQSCALE sets Z30 to the block's four d_w, each in its row's 4 lanes.
#define DQSCALE \
	VMOVQ 0(DX), X30; \
	VCVTPH2PS X30, X30; \
	VPERMPS Z30, Z31, Z30

// DQSTORE stores row i's lanes of z (x: its lower view) at off bytes
// into each row.
#define DQSTORE(z, x, off) \
	VMOVUPS x, off(DI); \
	VEXTRACTF32X4 $1, z, off(R8); \
	VEXTRACTF32X4 $2, z, off(R9); \
	VEXTRACTF32X4 $3, z, off(R10)

#define DQNEXT(n) \
	ADDQ n, SI; \
	ADDQ $8, DX; \
	ADDQ $128, DI; \
	ADDQ $128, R8; \
	ADDQ $128, R9; \
	ADDQ $128, R10

#define DQ8(c) \
	VPMOVSXBD (16*c)(SI), Z0; \
	VCVTDQ2PS Z0, Z0; \
	VMULPS Z30, Z0, Z0; \
	DQSTORE(Z0, X0, 16*c)

TEXT ·dequantQ8_0AVX512(SB), NOSPLIT, $0-40
	DQARGS

dq8loop:
	DQSCALE
	DQ8(0)
	DQ8(1)
	DQ8(2)
	DQ8(3)
	DQ8(4)
	DQ8(5)
	DQ8(6)
	DQ8(7)
	DQNEXT($128)
	DECQ CX
	JNZ  dq8loop
	VZEROUPPER
	RET

// DQ4 does chunk c: low nibbles are values 4c+j, high ones 16+4c+j.
#define DQ4(c) \
	VPMOVZXBD (16*c)(SI), Z0; \
	VPSRLD $4, Z0, Z1; \
	VPANDD.BCST q15<>(SB), Z0, Z0; \
	VPSUBD.BCST q8s<>(SB), Z0, Z0; \
	VPSUBD.BCST q8s<>(SB), Z1, Z1; \
	VCVTDQ2PS Z0, Z0; \
	VCVTDQ2PS Z1, Z1; \
	VMULPS Z30, Z0, Z0; \
	VMULPS Z30, Z1, Z1; \
	DQSTORE(Z0, X0, 16*c); \
	DQSTORE(Z1, X1, 64+16*c)

TEXT ·dequantQ4_0AVX512(SB), NOSPLIT, $0-40
	DQARGS

dq4loop:
	DQSCALE
	DQ4(0)
	DQ4(1)
	DQ4(2)
	DQ4(3)
	DQNEXT($64)
	DECQ CX
	JNZ  dq4loop
	VZEROUPPER
	RET

#define DQB(c) \
	VPMOVZXWD (32*c)(SI), Z0; \
	VPSLLD $16, Z0, Z0; \
	DQSTORE(Z0, X0, 16*c)

TEXT ·dequantBF16AVX512(SB), NOSPLIT, $0-40
	DQARGS

dqbloop:
	DQB(0)
	DQB(1)
	DQB(2)
	DQB(3)
	DQB(4)
	DQB(5)
	DQB(6)
	DQB(7)
	DQNEXT($256)
	DECQ CX
	JNZ  dqbloop
	VZEROUPPER
	RET

// The 4-group kernels (decoding one sequence): four row groups gst bytes
// apart (their scales sst apart) against one activation row, in lockstep,
// so each thread reads four memory streams instead of one (one stream
// read 12-13 GB/s here, short of what the memory gives). Each group takes
// exactly the instructions of the r4 kernel, so its results are r4's.
//
// func(nb int, w, s *byte, gst, sst int, x *byte, out *float32, ost int)
// writes group k's four outputs at out + k*ost floats, k < 4.

TEXT ·qdotQ8_0AVX512_4g(SB), NOSPLIT, $0-64
	GROUPS4
	VPBROADCASTD q80<>(SB), Z26
	ZERO4(Z0, Z1, Z2, Z3)

q8g:
	Q8W(SI, DX)
	IROW(DI, Z0)
	Q8W(R8, R11)
	IROW(DI, Z1)
	Q8W(R9, R12)
	IROW(DI, Z2)
	Q8W(R10, R13)
	IROW(DI, Z3)
	GNEXT($128)
	DECQ CX
	JNZ  q8g

	GOUT
	VZEROUPPER
	RET

TEXT ·qdotQ4_0AVX512_4g(SB), NOSPLIT, $0-64
	GROUPS4
	VPBROADCASTD q0f<>(SB), Z26
	ZERO4(Z0, Z1, Z2, Z3)

q4g:
	Q4W(SI, DX)
	IROW(DI, Z0)
	Q4W(R8, R11)
	IROW(DI, Z1)
	Q4W(R9, R12)
	IROW(DI, Z2)
	Q4W(R10, R13)
	IROW(DI, Z3)
	GNEXT($64)
	DECQ CX
	JNZ  q4g

	GOUT
	VZEROUPPER
	RET

// BG4 does chunk pair (o0, o1) of the four groups.
#define BG4(o0, o1, xo0, xo1) \
	BW2R(SI, o0, o1); \
	BROW(DI, xo0, xo1, Z0, Z1); \
	BW2R(R8, o0, o1); \
	BROW(DI, xo0, xo1, Z2, Z3); \
	BW2R(R9, o0, o1); \
	BROW(DI, xo0, xo1, Z4, Z5); \
	BW2R(R10, o0, o1); \
	BROW(DI, xo0, xo1, Z6, Z7)

TEXT ·qdotBF16AVX512_4g(SB), NOSPLIT, $0-64
	GROUPS4
	ZERO4(Z0, Z1, Z2, Z3)
	ZERO4(Z4, Z5, Z6, Z7)

b16g:
	BG4(0, 32, 0, 16)
	BG4(64, 96, 32, 48)
	BG4(128, 160, 64, 80)
	BG4(192, 224, 96, 112)
	ADDQ $256, SI
	ADDQ $256, R8
	ADDQ $256, R9
	ADDQ $256, R10
	ADDQ $128, DI
	DECQ CX
	JNZ  b16g

	VMOVDQU32 qperm4<>(SB), X26
	MOVQ out+48(FP), AX
	MOVQ ost+56(FP), BX
	SHLQ $2, BX
	LANESAT
	VZEROUPPER
	RET
