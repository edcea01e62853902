//go:build amd64 && !purego

#include "textflag.h"

// dropoutAVX512 computes dropoutGo eight elements at a time: the hashes of
// eight consecutive indices in the lanes of a ZMM register of uint64
// (their inputs key + (i+1)*golden advance by 8*golden per step, which is
// the same sum modulo 2^64), SplitMix64's finaliser with VPMULLQ, an
// unsigned compare with the threshold into a mask, and one masked
// multiply by the scale that zeroes the dropped lanes.

DATA droplanes<>+0(SB)/8, $0
DATA droplanes<>+8(SB)/8, $1
DATA droplanes<>+16(SB)/8, $2
DATA droplanes<>+24(SB)/8, $3
DATA droplanes<>+32(SB)/8, $4
DATA droplanes<>+40(SB)/8, $5
DATA droplanes<>+48(SB)/8, $6
DATA droplanes<>+56(SB)/8, $7
GLOBL droplanes<>(SB), RODATA|NOPTR, $64

// DROPHASH: out = finaliser(z), with Z8 and Z9 the two multipliers.
#define DROPHASH(z, out, tmp) \
	VPSRLQ  $30, z, tmp   \
	VPXORQ  tmp, z, out   \
	VPMULLQ Z8, out, out  \
	VPSRLQ  $27, out, tmp \
	VPXORQ  tmp, out, out \
	VPMULLQ Z9, out, out  \
	VPSRLQ  $31, out, tmp \
	VPXORQ  tmp, out, out

// func dropoutAVX512(out, inp *float32, n int, key, first, th uint64, s float32)
TEXT ·dropoutAVX512(SB), NOSPLIT, $0-52
	MOVQ out+0(FP), DI
	MOVQ inp+8(FP), SI
	MOVQ n+16(FP), CX
	MOVQ key+24(FP), AX
	MOVQ first+32(FP), BX
	MOVQ th+40(FP), DX
	VBROADCASTSS s+48(FP), Y6

	// Z0 = key + (first+1+lane)*golden; Z7 = 8*golden, the step.
	INCQ BX
	VPBROADCASTQ BX, Z0
	VPADDQ droplanes<>(SB), Z0, Z0
	MOVQ $0x9e3779b97f4a7c15, R8
	VPBROADCASTQ R8, Z7
	VPMULLQ Z7, Z0, Z0
	VPBROADCASTQ AX, Z1
	VPADDQ Z1, Z0, Z0
	SHLQ $3, R8
	VPBROADCASTQ R8, Z7
	MOVQ $0xbf58476d1ce4e5b9, R9
	VPBROADCASTQ R9, Z8
	MOVQ $0x94d049bb133111eb, R9
	VPBROADCASTQ R9, Z9
	VPBROADCASTQ DX, Z10

loop:
	CMPQ CX, $8
	JLT  tail
	DROPHASH(Z0, Z2, Z3)
	VPCMPUQ  $5, Z10, Z2, K1 // kept: hash >= th
	VMOVUPS  (SI), Y4
	VMULPS.Z Y6, Y4, K1, Y5
	VMOVUPS  Y5, (DI)
	VPADDQ   Z7, Z0, Z0
	ADDQ     $32, SI
	ADDQ     $32, DI
	SUBQ     $8, CX
	JMP      loop

tail:
	TESTQ CX, CX
	JZ    done
	MOVQ  $1, R10
	SHLQ  CX, R10
	DECQ  R10
	KMOVB R10, K2 // the last n lanes
	DROPHASH(Z0, Z2, Z3)
	VPCMPUQ  $5, Z10, Z2, K1
	KANDB    K2, K1, K1
	VMOVUPS.Z (SI), K2, Y4
	VMULPS.Z Y6, Y4, K1, Y5
	VMOVUPS  Y5, K2, (DI)

done:
	VZEROUPPER
	RET
