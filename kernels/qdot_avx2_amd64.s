//go:build amd64 && !purego

#include "textflag.h"

// Dot kernels of qdot.go for AVX2 with FMA and F16C, four weight rows at
// a time with one activation row (r4; qdot_avx2_amd64.go builds r4x4 of
// them). All three take the qDot arguments
//
//	func(nb int, w, s *byte, x *byte, ldx int, out *float32, ldo int)
//
// and write out[i] = (row i of the group) · x for i < 4, over nb blocks:
// w is the group's values and s its scales (q8_0, q4_0; qlayout.go), x
// one activation row; ldx and ldo are unused. out[0..3] are
// contiguous.
//
// Every row is computed by the same instructions in the same order, so
// a row's result does not depend on the other three rows or on the
// batch (r4x4 is four r4 calls).

// qdotconst: 32 bytes of 0x0f (the nibble mask) at 0, 16 int16 ones at
// 32.
DATA qdotconst<>+0(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA qdotconst<>+8(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA qdotconst<>+16(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA qdotconst<>+24(SB)/8, $0x0f0f0f0f0f0f0f0f
DATA qdotconst<>+32(SB)/8, $0x0001000100010001
DATA qdotconst<>+40(SB)/8, $0x0001000100010001
DATA qdotconst<>+48(SB)/8, $0x0001000100010001
DATA qdotconst<>+56(SB)/8, $0x0001000100010001
GLOBL qdotconst<>(SB), RODATA|NOPTR, $64

// GROUPS4 sets R8-R11 to the groups' values, SI R12 R13 DX to their
// scales, DI to x, CX to nb; Y0-Y3 zero, Y14 int16 ones.
#define GROUPS4 \
	MOVQ nb+0(FP), CX              \
	MOVQ w+8(FP), R8               \
	MOVQ s+16(FP), SI              \
	MOVQ gst+24(FP), AX            \
	MOVQ sst+32(FP), BX            \
	LEAQ (R8)(AX*1), R9            \
	LEAQ (R8)(AX*2), R10           \
	LEAQ (R9)(AX*2), R11           \
	LEAQ (SI)(BX*1), R12           \
	LEAQ (SI)(BX*2), R13           \
	LEAQ (R12)(BX*2), DX           \
	MOVQ x+40(FP), DI              \
	VXORPS Y0, Y0, Y0              \
	VXORPS Y1, Y1, Y1              \
	VXORPS Y2, Y2, Y2              \
	VXORPS Y3, Y3, Y3              \
	VMOVDQU qdotconst<>+32(SB), Y14

#define GNEXT(n) \
	ADDQ n, R8                     \
	ADDQ n, R9                     \
	ADDQ n, R10                    \
	ADDQ n, R11                    \
	ADDQ $8, SI                    \
	ADDQ $8, R12                   \
	ADDQ $8, R13                   \
	ADDQ $8, DX                    \
	ADDQ $136, DI

// ROWS2R writes the rows of acc (x: its lower half) to dst.
#define ROWS2R(acc, x, dst) \
	VEXTRACTF128 $1, acc, X4       \
	VADDPS X4, x, x                \
	VMOVUPS x, dst

#define GOUT \
	MOVQ out+48(FP), AX            \
	MOVQ ost+56(FP), BX            \
	SHLQ $2, BX                    \
	ROWS2R(Y0, X0, (AX))           \
	ADDQ BX, AX                    \
	ROWS2R(Y1, X1, (AX))           \
	ADDQ BX, AX                    \
	ROWS2R(Y2, X2, (AX))           \
	ADDQ BX, AX                    \
	ROWS2R(Y3, X3, (AX))           \
	VZEROUPPER

// BF16 weights, float32 activations, in the group layout: a 32-byte
// chunk holds 4 bf16 of each of the four rows; its first 16 bytes widen
// to 8 float32 lanes of rows 0 and 1, the next 16 to rows 2 and 3, and
// both multiply the chunk's 4 activations broadcast to both 128-bit
// lanes. Even chunks accumulate into Y0 (rows 0, 1) and Y1 (rows 2, 3),
// odd chunks into Y2 and Y3.

// BFCHUNK does the chunk at woff(R8) with the activations at xoff(DI)
// into a01, a23.
#define BFCHUNK(woff, xoff, a01, a23) \
	VPMOVZXWD woff(R8), Y4         \
	VPSLLD $16, Y4, Y4             \
	VPMOVZXWD woff+16(R8), Y5      \
	VPSLLD $16, Y5, Y5             \
	VBROADCASTF128 xoff(DI), Y6    \
	VFMADD231PS Y6, Y4, a01        \
	VFMADD231PS Y6, Y5, a23

// func qdotBF16AVX2_4(nb int, w, s *byte, x *byte, ldx int, out *float32, ldo int)
//
// w: a bf16 group of nb blocks (256 bytes each), x: nb*32 float32.
// out[i] = Σ_k float32(w[i][k]) * x[k], i < 4.
TEXT ·qdotBF16AVX2_4(SB), NOSPLIT, $0-56
	MOVQ   nb+0(FP), CX
	MOVQ   w+8(FP), R8
	MOVQ   x+24(FP), DI
	MOVQ   out+40(FP), DX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	TESTQ  CX, CX
	JZ     bfdone

bfloop:
	PREFETCHT0 1024(R8)
	BFCHUNK(0, 0, Y0, Y1)
	BFCHUNK(32, 16, Y2, Y3)
	PREFETCHT0 1088(R8)
	BFCHUNK(64, 32, Y0, Y1)
	BFCHUNK(96, 48, Y2, Y3)
	PREFETCHT0 1152(R8)
	BFCHUNK(128, 64, Y0, Y1)
	BFCHUNK(160, 80, Y2, Y3)
	PREFETCHT0 1216(R8)
	BFCHUNK(192, 96, Y0, Y1)
	BFCHUNK(224, 112, Y2, Y3)
	ADDQ $256, R8
	ADDQ $128, DI
	DECQ CX
	JNZ  bfloop

bfdone:
	// Row sums: VHADDPS gives [r0 01, r0 23, r2 01, r2 23 | r1 .., r3 ..],
	// again [r0, r2, r0, r2 | r1, r3, ..], and the unpack [r0, r1, r2, r3].
	VADDPS       Y2, Y0, Y0
	VADDPS       Y3, Y1, Y1
	VHADDPS      Y1, Y0, Y4
	VHADDPS      Y4, Y4, Y4
	VEXTRACTF128 $1, Y4, X5
	VUNPCKLPS    X5, X4, X4
	VMOVUPS      X4, (DX)
	VZEROUPPER
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
#define QSCALE QSCALER(SI, Y0)

// QSCALER is QSCALE with the scales at (s), into acc.
#define QSCALER(s, acc) \
	VPBROADCASTQ (s), X13          \
	VCVTPH2PS X13, Y13             \
	VBROADCASTSS 128(DI), Y4       \
	VMULPS Y4, Y13, Y13            \
	VCVTDQ2PS Y12, Y12             \
	VFMADD231PS Y13, Y12, acc

// Q8CHUNKS adds the products of the 32 weight bytes at off(R8) with the
// activations at off(DI) to Y12. The unsigned-by-signed multiply takes
// |q_w| and q_x with q_w's sign (VPSIGNB), whose product is q_w*q_x; no
// pair overflows int16 (|q_w| <= 128, |q_x| <= 127).
#define Q8CHUNKS(off) Q8CHUNKSR(R8, off)

#define Q8CHUNKSR(q, off) \
	VMOVDQU off(q), Y4             \
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
	MOVQ s+16(FP), SI              \
	MOVQ x+24(FP), DI              \
	MOVQ out+40(FP), DX            \
	VXORPS Y0, Y0, Y0              \
	VMOVDQU qdotconst<>+32(SB), Y14

// ROWS2 writes row i = lanes i and i+4 of Y0 to (DX), i < 4.
#define ROWS2 \
	VEXTRACTF128 $1, Y0, X4        \
	VADDPS X4, X0, X0              \
	VMOVUPS X0, (DX)               \
	VZEROUPPER

// func qdotQ8_0AVX2_4(nb int, w, s *byte, x *byte, ldx int, out *float32, ldo int)
//
// w, s: a q8_0 group of nb blocks (128 bytes of quants, 8 of scales
// each), x: nb activation blocks (136 bytes).
// out[i] = Σ_b d_w d_x Σ_j q_w[j] q_x[j], i < 4.
TEXT ·qdotQ8_0AVX2_4(SB), NOSPLIT, $0-56
	INTARGS
	TESTQ CX, CX
	JZ    q8done

q8loop:
	PREFETCHT0 1024(R8)
	PREFETCHT0 1088(R8)
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
#define Q4HALF(off, hoff) Q4HALFR(R8, off, hoff)

#define Q4HALFR(q, off, hoff) \
	VMOVDQU off(q), Y7             \
	VPAND Y15, Y7, Y6              \
	Q4CHUNKS(off)                  \
	VPSRLW $4, Y7, Y7              \
	VPAND Y15, Y7, Y6              \
	Q4CHUNKS(hoff)

// func qdotQ4_0AVX2_4(nb int, w, s *byte, x *byte, ldx int, out *float32, ldo int)
//
// w, s: a q4_0 group of nb blocks (64 bytes of nibbles, 8 of scales
// each), x: nb activation blocks. Σ n q_x - 8 Σ q_x is a row's sum: its
// two lanes start at -4 Σ q_x, which the activation block holds.
// out[i] = Σ_b d_w d_x Σ_j (n_w[j]-8) q_x[j], i < 4.
TEXT ·qdotQ4_0AVX2_4(SB), NOSPLIT, $0-56
	INTARGS
	VMOVDQU qdotconst<>+0(SB), Y15
	TESTQ CX, CX
	JZ    q4done

q4loop:
	PREFETCHT0 1024(R8)
	VPBROADCASTD 132(DI), Y12
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

// The 4-group kernels (one sequence's decoding): four groups gst bytes
// apart (scales sst apart) in lockstep, four memory streams; each group
// takes exactly the r4 kernel's instructions, so its results are r4's.
//
// func(nb int, w, s *byte, gst, sst int, x *byte, out *float32, ost int)

#define Q8G(q, s, acc) \
	PREFETCHT0 1024(q)             \
	PREFETCHT0 1088(q)             \
	VPXOR Y12, Y12, Y12            \
	Q8CHUNKSR(q, 0)                \
	Q8CHUNKSR(q, 32)               \
	Q8CHUNKSR(q, 64)               \
	Q8CHUNKSR(q, 96)               \
	QSCALER(s, acc)

TEXT ·qdotQ8_0AVX2_4g(SB), NOSPLIT, $0-64
	GROUPS4
	TESTQ CX, CX
	JZ    q8gdone

q8gloop:
	Q8G(R8, SI, Y0)
	Q8G(R9, R12, Y1)
	Q8G(R10, R13, Y2)
	Q8G(R11, DX, Y3)
	GNEXT($128)
	DECQ CX
	JNZ  q8gloop

q8gdone:
	GOUT
	RET

#define Q4G(q, s, acc) \
	PREFETCHT0 1024(q)             \
	VPBROADCASTD 132(DI), Y12      \
	Q4HALFR(q, 0, 64)              \
	Q4HALFR(q, 32, 96)             \
	QSCALER(s, acc)

TEXT ·qdotQ4_0AVX2_4g(SB), NOSPLIT, $0-64
	GROUPS4
	VMOVDQU qdotconst<>+0(SB), Y15
	TESTQ CX, CX
	JZ    q4gdone

q4gloop:
	Q4G(R8, SI, Y0)
	Q4G(R9, R12, Y1)
	Q4G(R10, R13, Y2)
	Q4G(R11, DX, Y3)
	GNEXT($64)
	DECQ CX
	JNZ  q4gloop

q4gdone:
	GOUT
	RET
