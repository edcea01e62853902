//go:build amd64 && !purego

#include "textflag.h"

// Vector routines of vec.go for AVX-512F (16 lanes, masked tails) and for
// AVX2+FMA (8 lanes; these handle only whole vectors, n a multiple of 8,
// and vec_amd64.go runs the tail through them in a padded 8-element buffer).
//
// The exponential (EXP512 / EXP256) is Expf's method, vectorised: clamp the
// argument at 88.8 (e^88.8 overflows, so +Inf gives +Inf), n = round(x
// log2 e), r = x - n ln2 in two parts (so n*ln2hi is exact), e^r by the
// degree-7 Taylor polynomial in Horner form with fused multiply-adds, then
// 2^n: VSCALEFPS on AVX-512, exponent bits on AVX2 (in two factors
// 2^(n>>1) 2^(n-(n>>1)) so that n = 128 works). Lanes with x < -87.33654
// (below the smallest normal result) and -Inf give 0, as in Expf; NaN gives
// NaN (the clamp keeps NaN and the zeroing compare is true for it).

// vecconst holds each constant 8 times so that AVX2 code can use a 32-byte
// memory operand; AVX-512 code broadcasts the first copy.
#define C_LOG2E 0
#define C_LN2HI 32
#define C_LN2LO 64
#define C_HI 96
#define C_LO 128
#define C_P7 160
#define C_P6 192
#define C_P5 224
#define C_P4 256
#define C_P3 288
#define C_HALF 320
#define C_ONE 352
#define C_G0 384
#define C_G1 416
#define C_GD1 448
#define C_XMAX 480
#define C_M2 512
#define C_XMIN 544
#define C_BIAS 576

DATA vecconst<>+0(SB)/4, $0x3fb8aa3b
DATA vecconst<>+4(SB)/4, $0x3fb8aa3b
DATA vecconst<>+8(SB)/4, $0x3fb8aa3b
DATA vecconst<>+12(SB)/4, $0x3fb8aa3b
DATA vecconst<>+16(SB)/4, $0x3fb8aa3b
DATA vecconst<>+20(SB)/4, $0x3fb8aa3b
DATA vecconst<>+24(SB)/4, $0x3fb8aa3b
DATA vecconst<>+28(SB)/4, $0x3fb8aa3b
DATA vecconst<>+32(SB)/4, $0x3f318000
DATA vecconst<>+36(SB)/4, $0x3f318000
DATA vecconst<>+40(SB)/4, $0x3f318000
DATA vecconst<>+44(SB)/4, $0x3f318000
DATA vecconst<>+48(SB)/4, $0x3f318000
DATA vecconst<>+52(SB)/4, $0x3f318000
DATA vecconst<>+56(SB)/4, $0x3f318000
DATA vecconst<>+60(SB)/4, $0x3f318000
DATA vecconst<>+64(SB)/4, $0xb95e8083
DATA vecconst<>+68(SB)/4, $0xb95e8083
DATA vecconst<>+72(SB)/4, $0xb95e8083
DATA vecconst<>+76(SB)/4, $0xb95e8083
DATA vecconst<>+80(SB)/4, $0xb95e8083
DATA vecconst<>+84(SB)/4, $0xb95e8083
DATA vecconst<>+88(SB)/4, $0xb95e8083
DATA vecconst<>+92(SB)/4, $0xb95e8083
DATA vecconst<>+96(SB)/4, $0x42b1999a
DATA vecconst<>+100(SB)/4, $0x42b1999a
DATA vecconst<>+104(SB)/4, $0x42b1999a
DATA vecconst<>+108(SB)/4, $0x42b1999a
DATA vecconst<>+112(SB)/4, $0x42b1999a
DATA vecconst<>+116(SB)/4, $0x42b1999a
DATA vecconst<>+120(SB)/4, $0x42b1999a
DATA vecconst<>+124(SB)/4, $0x42b1999a
DATA vecconst<>+128(SB)/4, $0xc2aeac4f
DATA vecconst<>+132(SB)/4, $0xc2aeac4f
DATA vecconst<>+136(SB)/4, $0xc2aeac4f
DATA vecconst<>+140(SB)/4, $0xc2aeac4f
DATA vecconst<>+144(SB)/4, $0xc2aeac4f
DATA vecconst<>+148(SB)/4, $0xc2aeac4f
DATA vecconst<>+152(SB)/4, $0xc2aeac4f
DATA vecconst<>+156(SB)/4, $0xc2aeac4f
DATA vecconst<>+160(SB)/4, $0x39500d01
DATA vecconst<>+164(SB)/4, $0x39500d01
DATA vecconst<>+168(SB)/4, $0x39500d01
DATA vecconst<>+172(SB)/4, $0x39500d01
DATA vecconst<>+176(SB)/4, $0x39500d01
DATA vecconst<>+180(SB)/4, $0x39500d01
DATA vecconst<>+184(SB)/4, $0x39500d01
DATA vecconst<>+188(SB)/4, $0x39500d01
DATA vecconst<>+192(SB)/4, $0x3ab60b61
DATA vecconst<>+196(SB)/4, $0x3ab60b61
DATA vecconst<>+200(SB)/4, $0x3ab60b61
DATA vecconst<>+204(SB)/4, $0x3ab60b61
DATA vecconst<>+208(SB)/4, $0x3ab60b61
DATA vecconst<>+212(SB)/4, $0x3ab60b61
DATA vecconst<>+216(SB)/4, $0x3ab60b61
DATA vecconst<>+220(SB)/4, $0x3ab60b61
DATA vecconst<>+224(SB)/4, $0x3c088889
DATA vecconst<>+228(SB)/4, $0x3c088889
DATA vecconst<>+232(SB)/4, $0x3c088889
DATA vecconst<>+236(SB)/4, $0x3c088889
DATA vecconst<>+240(SB)/4, $0x3c088889
DATA vecconst<>+244(SB)/4, $0x3c088889
DATA vecconst<>+248(SB)/4, $0x3c088889
DATA vecconst<>+252(SB)/4, $0x3c088889
DATA vecconst<>+256(SB)/4, $0x3d2aaaab
DATA vecconst<>+260(SB)/4, $0x3d2aaaab
DATA vecconst<>+264(SB)/4, $0x3d2aaaab
DATA vecconst<>+268(SB)/4, $0x3d2aaaab
DATA vecconst<>+272(SB)/4, $0x3d2aaaab
DATA vecconst<>+276(SB)/4, $0x3d2aaaab
DATA vecconst<>+280(SB)/4, $0x3d2aaaab
DATA vecconst<>+284(SB)/4, $0x3d2aaaab
DATA vecconst<>+288(SB)/4, $0x3e2aaaab
DATA vecconst<>+292(SB)/4, $0x3e2aaaab
DATA vecconst<>+296(SB)/4, $0x3e2aaaab
DATA vecconst<>+300(SB)/4, $0x3e2aaaab
DATA vecconst<>+304(SB)/4, $0x3e2aaaab
DATA vecconst<>+308(SB)/4, $0x3e2aaaab
DATA vecconst<>+312(SB)/4, $0x3e2aaaab
DATA vecconst<>+316(SB)/4, $0x3e2aaaab
DATA vecconst<>+320(SB)/4, $0x3f000000
DATA vecconst<>+324(SB)/4, $0x3f000000
DATA vecconst<>+328(SB)/4, $0x3f000000
DATA vecconst<>+332(SB)/4, $0x3f000000
DATA vecconst<>+336(SB)/4, $0x3f000000
DATA vecconst<>+340(SB)/4, $0x3f000000
DATA vecconst<>+344(SB)/4, $0x3f000000
DATA vecconst<>+348(SB)/4, $0x3f000000
DATA vecconst<>+352(SB)/4, $0x3f800000
DATA vecconst<>+356(SB)/4, $0x3f800000
DATA vecconst<>+360(SB)/4, $0x3f800000
DATA vecconst<>+364(SB)/4, $0x3f800000
DATA vecconst<>+368(SB)/4, $0x3f800000
DATA vecconst<>+372(SB)/4, $0x3f800000
DATA vecconst<>+376(SB)/4, $0x3f800000
DATA vecconst<>+380(SB)/4, $0x3f800000
DATA vecconst<>+384(SB)/4, $0x3f4c422a
DATA vecconst<>+388(SB)/4, $0x3f4c422a
DATA vecconst<>+392(SB)/4, $0x3f4c422a
DATA vecconst<>+396(SB)/4, $0x3f4c422a
DATA vecconst<>+400(SB)/4, $0x3f4c422a
DATA vecconst<>+404(SB)/4, $0x3f4c422a
DATA vecconst<>+408(SB)/4, $0x3f4c422a
DATA vecconst<>+412(SB)/4, $0x3f4c422a
DATA vecconst<>+416(SB)/4, $0x3d122279
DATA vecconst<>+420(SB)/4, $0x3d122279
DATA vecconst<>+424(SB)/4, $0x3d122279
DATA vecconst<>+428(SB)/4, $0x3d122279
DATA vecconst<>+432(SB)/4, $0x3d122279
DATA vecconst<>+436(SB)/4, $0x3d122279
DATA vecconst<>+440(SB)/4, $0x3d122279
DATA vecconst<>+444(SB)/4, $0x3d122279
DATA vecconst<>+448(SB)/4, $0x3ddb33b6
DATA vecconst<>+452(SB)/4, $0x3ddb33b6
DATA vecconst<>+456(SB)/4, $0x3ddb33b6
DATA vecconst<>+460(SB)/4, $0x3ddb33b6
DATA vecconst<>+464(SB)/4, $0x3ddb33b6
DATA vecconst<>+468(SB)/4, $0x3ddb33b6
DATA vecconst<>+472(SB)/4, $0x3ddb33b6
DATA vecconst<>+476(SB)/4, $0x3ddb33b6
DATA vecconst<>+480(SB)/4, $0x41100000
DATA vecconst<>+484(SB)/4, $0x41100000
DATA vecconst<>+488(SB)/4, $0x41100000
DATA vecconst<>+492(SB)/4, $0x41100000
DATA vecconst<>+496(SB)/4, $0x41100000
DATA vecconst<>+500(SB)/4, $0x41100000
DATA vecconst<>+504(SB)/4, $0x41100000
DATA vecconst<>+508(SB)/4, $0x41100000
DATA vecconst<>+512(SB)/4, $0xc0000000
DATA vecconst<>+516(SB)/4, $0xc0000000
DATA vecconst<>+520(SB)/4, $0xc0000000
DATA vecconst<>+524(SB)/4, $0xc0000000
DATA vecconst<>+528(SB)/4, $0xc0000000
DATA vecconst<>+532(SB)/4, $0xc0000000
DATA vecconst<>+536(SB)/4, $0xc0000000
DATA vecconst<>+540(SB)/4, $0xc0000000
DATA vecconst<>+544(SB)/4, $0xc1100000
DATA vecconst<>+548(SB)/4, $0xc1100000
DATA vecconst<>+552(SB)/4, $0xc1100000
DATA vecconst<>+556(SB)/4, $0xc1100000
DATA vecconst<>+560(SB)/4, $0xc1100000
DATA vecconst<>+564(SB)/4, $0xc1100000
DATA vecconst<>+568(SB)/4, $0xc1100000
DATA vecconst<>+572(SB)/4, $0xc1100000
DATA vecconst<>+576(SB)/4, $0x0000007f
DATA vecconst<>+580(SB)/4, $0x0000007f
DATA vecconst<>+584(SB)/4, $0x0000007f
DATA vecconst<>+588(SB)/4, $0x0000007f
DATA vecconst<>+592(SB)/4, $0x0000007f
DATA vecconst<>+596(SB)/4, $0x0000007f
DATA vecconst<>+600(SB)/4, $0x0000007f
DATA vecconst<>+604(SB)/4, $0x0000007f
GLOBL vecconst<>(SB), RODATA|NOPTR, $608

// ---------------------------------------------------------------- AVX-512

// EXPCONST512 loads the exponential's constants into Z16-Z27.
#define EXPCONST512 \
	VBROADCASTSS vecconst<>+C_LOG2E(SB), Z16; \
	VBROADCASTSS vecconst<>+C_LN2HI(SB), Z17; \
	VBROADCASTSS vecconst<>+C_LN2LO(SB), Z18; \
	VBROADCASTSS vecconst<>+C_HI(SB), Z19; \
	VBROADCASTSS vecconst<>+C_LO(SB), Z20; \
	VBROADCASTSS vecconst<>+C_P7(SB), Z21; \
	VBROADCASTSS vecconst<>+C_P6(SB), Z22; \
	VBROADCASTSS vecconst<>+C_P5(SB), Z23; \
	VBROADCASTSS vecconst<>+C_P4(SB), Z24; \
	VBROADCASTSS vecconst<>+C_P3(SB), Z25; \
	VBROADCASTSS vecconst<>+C_HALF(SB), Z26; \
	VBROADCASTSS vecconst<>+C_ONE(SB), Z27

// EXP512 replaces x by e^x; n and p are scratch. Uses K1 and Z16-Z27.
#define EXP512(x, n, p) \
	VMINPS x, Z19, x; \
	VCMPPS $0x15, Z20, x, K1; \
	VMULPS Z16, x, n; \
	VRNDSCALEPS $0, n, n; \
	VFNMADD231PS Z17, n, x; \
	VFNMADD231PS Z18, n, x; \
	VMOVAPS Z21, p; \
	VFMADD213PS Z22, x, p; \
	VFMADD213PS Z23, x, p; \
	VFMADD213PS Z24, x, p; \
	VFMADD213PS Z25, x, p; \
	VFMADD213PS Z26, x, p; \
	VFMADD213PS Z27, x, p; \
	VFMADD213PS Z27, x, p; \
	VSCALEFPS.Z n, p, K1, x

// TAILMASK sets K2 to the low CX bits (1 <= CX <= 15).
#define TAILMASK \
	MOVL $1, AX; \
	SHLL CX, AX; \
	DECL AX; \
	KMOVW AX, K2

// HADD512 and HMAX512 reduce Z0 to its lane 0 (X0), in a fixed tree.
#define HADD512 \
	VEXTRACTF64X4 $1, Z0, Y1; \
	VADDPS Y1, Y0, Y0; \
	VEXTRACTF128 $1, Y0, X1; \
	VADDPS X1, X0, X0; \
	VPERMILPS $0x4e, X0, X1; \
	VADDPS X1, X0, X0; \
	VPERMILPS $0xb1, X0, X1; \
	VADDPS X1, X0, X0

#define HMAX512 \
	VEXTRACTF64X4 $1, Z0, Y1; \
	VMAXPS Y1, Y0, Y0; \
	VEXTRACTF128 $1, Y0, X1; \
	VMAXPS X1, X0, X0; \
	VPERMILPS $0x4e, X0, X1; \
	VMAXPS X1, X0, X0; \
	VPERMILPS $0xb1, X0, X1; \
	VMAXPS X1, X0, X0

// func maxAVX512(x *float32, n int) float32
// n >= 1. Lanes start at x[0]; K3 collects NaN lanes.
TEXT ·maxAVX512(SB), NOSPLIT, $0-20
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VBROADCASTSS (SI), Z0
	VMOVAPS Z0, Z1
	KXORW K3, K3, K3

max512_loop:
	CMPQ CX, $32
	JB   max512_one
	VMOVUPS (SI), Z2
	VMOVUPS 64(SI), Z3
	VMAXPS Z2, Z0, Z0
	VMAXPS Z3, Z1, Z1
	VCMPPS $3, Z2, Z2, K1
	KORW K1, K3, K3
	VCMPPS $3, Z3, Z3, K1
	KORW K1, K3, K3
	ADDQ $128, SI
	SUBQ $32, CX
	JMP  max512_loop

max512_one:
	CMPQ CX, $16
	JB   max512_tail
	VMOVUPS (SI), Z2
	VMAXPS Z2, Z0, Z0
	VCMPPS $3, Z2, Z2, K1
	KORW K1, K3, K3
	ADDQ $64, SI
	SUBQ $16, CX

max512_tail:
	TESTQ CX, CX
	JZ    max512_done
	TAILMASK
	VMOVUPS.Z (SI), K2, Z2
	VMAXPS Z2, Z1, K2, Z1
	VCMPPS $3, Z2, Z2, K2, K1
	KORW K1, K3, K3

max512_done:
	VMAXPS Z1, Z0, Z0
	HMAX512
	KORTESTW K3, K3
	JNZ      max512_nan
	VZEROUPPER
	MOVSS X0, ret+16(FP)
	RET

max512_nan:
	VZEROUPPER
	MOVL $0x7fc00000, AX
	MOVL AX, ret+16(FP)
	RET

// func expSubSumAVX512(dst, src *float32, n int, shift float32) float32
TEXT ·expSubSumAVX512(SB), NOSPLIT, $0-36
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS shift+24(FP), Z15
	EXPCONST512
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1

ess512_loop:
	CMPQ CX, $32
	JB   ess512_one
	VMOVUPS (SI), Z2
	VMOVUPS 64(SI), Z3
	VSUBPS Z15, Z2, Z2
	VSUBPS Z15, Z3, Z3
	EXP512(Z2, Z4, Z5)
	EXP512(Z3, Z6, Z7)
	VMOVUPS Z2, (DI)
	VMOVUPS Z3, 64(DI)
	VADDPS Z2, Z0, Z0
	VADDPS Z3, Z1, Z1
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  ess512_loop

ess512_one:
	CMPQ CX, $16
	JB   ess512_tail
	VMOVUPS (SI), Z2
	VSUBPS Z15, Z2, Z2
	EXP512(Z2, Z4, Z5)
	VMOVUPS Z2, (DI)
	VADDPS Z2, Z0, Z0
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX

ess512_tail:
	TESTQ CX, CX
	JZ    ess512_done
	TAILMASK
	VMOVUPS.Z (SI), K2, Z2
	VSUBPS Z15, Z2, Z2
	EXP512(Z2, Z4, Z5)
	VMOVUPS Z2, K2, (DI)
	VADDPS Z2, Z1, K2, Z1

ess512_done:
	VADDPS Z1, Z0, Z0
	HADD512
	VZEROUPPER
	MOVSS X0, ret+32(FP)
	RET

// func scaleAVX512(dst, src *float32, n int, s float32)
TEXT ·scaleAVX512(SB), NOSPLIT, $0-28
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS s+24(FP), Z15

scale512_loop:
	CMPQ CX, $32
	JB   scale512_one
	VMULPS (SI), Z15, Z2
	VMULPS 64(SI), Z15, Z3
	VMOVUPS Z2, (DI)
	VMOVUPS Z3, 64(DI)
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  scale512_loop

scale512_one:
	CMPQ CX, $16
	JB   scale512_tail
	VMULPS (SI), Z15, Z2
	VMOVUPS Z2, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX

scale512_tail:
	TESTQ CX, CX
	JZ    scale512_done
	TAILMASK
	VMOVUPS.Z (SI), K2, Z2
	VMULPS Z2, Z15, Z2
	VMOVUPS Z2, K2, (DI)

scale512_done:
	VZEROUPPER
	RET

// func dotAVX512(a, b *float32, n int) float32
TEXT ·dotAVX512(SB), NOSPLIT, $0-28
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DI
	MOVQ n+16(FP), CX
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1

dot512_loop:
	CMPQ CX, $32
	JB   dot512_one
	VMOVUPS (SI), Z2
	VMOVUPS 64(SI), Z3
	VFMADD231PS (DI), Z2, Z0
	VFMADD231PS 64(DI), Z3, Z1
	ADDQ $128, SI
	ADDQ $128, DI
	SUBQ $32, CX
	JMP  dot512_loop

dot512_one:
	CMPQ CX, $16
	JB   dot512_tail
	VMOVUPS (SI), Z2
	VFMADD231PS (DI), Z2, Z0
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX

dot512_tail:
	TESTQ CX, CX
	JZ    dot512_done
	TAILMASK
	VMOVUPS.Z (SI), K2, Z2
	VMOVUPS.Z (DI), K2, Z3
	VFMADD231PS Z3, Z2, Z1

dot512_done:
	VADDPS Z1, Z0, Z0
	HADD512
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// func subMulAVX512(d, p *float32, n int, c float32)
// d[i] = p[i] * (d[i] - c)
TEXT ·subMulAVX512(SB), NOSPLIT, $0-28
	MOVQ d+0(FP), DI
	MOVQ p+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS c+24(FP), Z15

submul512_loop:
	CMPQ CX, $16
	JB   submul512_tail
	VMOVUPS (DI), Z2
	VSUBPS Z15, Z2, Z2
	VMULPS (SI), Z2, Z2
	VMOVUPS Z2, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  submul512_loop

submul512_tail:
	TESTQ CX, CX
	JZ    submul512_done
	TAILMASK
	VMOVUPS.Z (DI), K2, Z2
	VMOVUPS.Z (SI), K2, Z3
	VSUBPS Z15, Z2, Z2
	VMULPS Z3, Z2, Z2
	VMOVUPS Z2, K2, (DI)

submul512_done:
	VZEROUPPER
	RET

// GELUCONST512 loads GELU's constants: Z28 c0, Z29 c1, Z30 9, Z13 -9,
// Z31 -2, Z14 3*c1.
#define GELUCONST512 \
	VBROADCASTSS vecconst<>+C_G0(SB), Z28; \
	VBROADCASTSS vecconst<>+C_G1(SB), Z29; \
	VBROADCASTSS vecconst<>+C_XMAX(SB), Z30; \
	VBROADCASTSS vecconst<>+C_XMIN(SB), Z13; \
	VBROADCASTSS vecconst<>+C_M2(SB), Z31; \
	VBROADCASTSS vecconst<>+C_GD1(SB), Z14

// GELUS512 computes from x: v2 = x², s = 1/(1 + e), e = e^(-2u),
// u = x (c0 + c1 x²). x is kept.
#define GELUS512(x, v2, s, e, n, p) \
	VMULPS x, x, v2; \
	VMOVAPS Z28, s; \
	VFMADD231PS Z29, v2, s; \
	VMULPS x, s, e; \
	VMULPS Z31, e, e; \
	EXP512(e, n, p); \
	VADDPS Z27, e, s; \
	VDIVPS s, Z27, s

// func geluAVX512(out, x *float32, n int)
TEXT ·geluAVX512(SB), NOSPLIT, $0-24
	MOVQ out+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	EXPCONST512
	GELUCONST512

gelu512_loop:
	CMPQ CX, $16
	JB   gelu512_tail
	VMOVUPS (SI), Z0
	GELUS512(Z0, Z1, Z2, Z3, Z4, Z5)
	VMULPS Z2, Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  gelu512_loop

gelu512_tail:
	TESTQ CX, CX
	JZ    gelu512_done
	TAILMASK
	VMOVUPS.Z (SI), K2, Z0
	GELUS512(Z0, Z1, Z2, Z3, Z4, Z5)
	VMULPS Z2, Z0, Z0
	VMOVUPS Z0, K2, (DI)

gelu512_done:
	VZEROUPPER
	RET

// GELUGRAD512 turns s (with x, v2, e from GELUS512; x already clamped to
// [-9, 9]) into gelu'(x) in s:
// s (1 + 2x (e s) (c0 + 3 c1 x²)). t and du are scratch.
#define GELUGRAD512(x, v2, s, e, t, du) \
	VMULPS s, e, t; \
	VMOVAPS Z28, du; \
	VFMADD231PS Z14, v2, du; \
	VADDPS x, x, e; \
	VMULPS t, e, e; \
	VMULPS du, e, e; \
	VADDPS Z27, e, e; \
	VMULPS e, s, s

// func geluBackwardAVX512(dx, dy, x *float32, n int)
TEXT ·geluBackwardAVX512(SB), NOSPLIT, $0-32
	MOVQ dx+0(FP), DI
	MOVQ dy+8(FP), DX
	MOVQ x+16(FP), SI
	MOVQ n+24(FP), CX
	EXPCONST512
	GELUCONST512

gelub512_loop:
	CMPQ CX, $16
	JB   gelub512_tail
	VMOVUPS (SI), Z0
	VMINPS Z0, Z30, Z0
	VMAXPS Z0, Z13, Z0
	GELUS512(Z0, Z1, Z2, Z3, Z4, Z5)
	GELUGRAD512(Z0, Z1, Z2, Z3, Z4, Z5)
	VMULPS (DX), Z2, Z2
	VMOVUPS Z2, (DI)
	ADDQ $64, SI
	ADDQ $64, DX
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  gelub512_loop

gelub512_tail:
	TESTQ CX, CX
	JZ    gelub512_done
	TAILMASK
	VMOVUPS.Z (SI), K2, Z0
	VMOVUPS.Z (DX), K2, Z6
	VMINPS Z0, Z30, Z0
	VMAXPS Z0, Z13, Z0
	GELUS512(Z0, Z1, Z2, Z3, Z4, Z5)
	GELUGRAD512(Z0, Z1, Z2, Z3, Z4, Z5)
	VMULPS Z6, Z2, Z2
	VMOVUPS Z2, K2, (DI)

gelub512_done:
	VZEROUPPER
	RET

// ADAMW512 updates the vectors g, m, v, p in place (see adamwGo); t, q are
// scratch. Constants: Z16 b1, Z17 1-b1, Z18 b2, Z19 1-b2, Z20 wd,
// Z21 stepSize, Z22 rbc2, Z23 eps.
#define ADAMW512(g, m, v, p, t, q) \
	VMULPS Z17, g, t; \
	VFMADD231PS Z16, m, t; \
	VMOVAPS t, m; \
	VMULPS g, g, q; \
	VMULPS Z19, q, q; \
	VFMADD231PS Z18, v, q; \
	VMOVAPS q, v; \
	VSQRTPS q, q; \
	VFMADD213PS Z23, Z22, q; \
	VDIVPS q, t, q; \
	VFNMADD231PS Z20, p, p; \
	VFNMADD231PS Z21, q, p

// func adamwAVX512(p, gr, m, v *float32, n int, b1, omb1, b2, omb2, wd, step, rbc2, eps float32)
TEXT ·adamwAVX512(SB), NOSPLIT, $0-72
	MOVQ p+0(FP), DI
	MOVQ gr+8(FP), SI
	MOVQ m+16(FP), R8
	MOVQ v+24(FP), R9
	MOVQ n+32(FP), CX
	VBROADCASTSS b1+40(FP), Z16
	VBROADCASTSS omb1+44(FP), Z17
	VBROADCASTSS b2+48(FP), Z18
	VBROADCASTSS omb2+52(FP), Z19
	VBROADCASTSS wd+56(FP), Z20
	VBROADCASTSS step+60(FP), Z21
	VBROADCASTSS rbc2+64(FP), Z22
	VBROADCASTSS eps+68(FP), Z23

adamw512_loop:
	CMPQ CX, $16
	JB   adamw512_tail
	VMOVUPS (SI), Z0
	VMOVUPS (R8), Z1
	VMOVUPS (R9), Z2
	VMOVUPS (DI), Z3
	ADAMW512(Z0, Z1, Z2, Z3, Z4, Z5)
	VMOVUPS Z1, (R8)
	VMOVUPS Z2, (R9)
	VMOVUPS Z3, (DI)
	ADDQ $64, SI
	ADDQ $64, R8
	ADDQ $64, R9
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  adamw512_loop

adamw512_tail:
	TESTQ CX, CX
	JZ    adamw512_done
	TAILMASK
	VMOVUPS.Z (SI), K2, Z0
	VMOVUPS.Z (R8), K2, Z1
	VMOVUPS.Z (R9), K2, Z2
	VMOVUPS.Z (DI), K2, Z3
	ADAMW512(Z0, Z1, Z2, Z3, Z4, Z5)
	VMOVUPS Z1, K2, (R8)
	VMOVUPS Z2, K2, (R9)
	VMOVUPS Z3, K2, (DI)

adamw512_done:
	VZEROUPPER
	RET

// ------------------------------------------------------------------- AVX2
// Constants come from memory operands; n is a multiple of 8.

#define K(off) vecconst<>+off(SB)

// EXP256 replaces x by e^x; n, p, t, m are scratch.
#define EXP256(x, n, p, t, m) \
	VMOVUPS K(C_HI), t; \
	VMINPS x, t, x; \
	VCMPPS $0x15, K(C_LO), x, m; \
	VMULPS K(C_LOG2E), x, n; \
	VROUNDPS $0, n, n; \
	VFNMADD231PS K(C_LN2HI), n, x; \
	VFNMADD231PS K(C_LN2LO), n, x; \
	VMOVUPS K(C_P7), p; \
	VFMADD213PS K(C_P6), x, p; \
	VFMADD213PS K(C_P5), x, p; \
	VFMADD213PS K(C_P4), x, p; \
	VFMADD213PS K(C_P3), x, p; \
	VFMADD213PS K(C_HALF), x, p; \
	VFMADD213PS K(C_ONE), x, p; \
	VFMADD213PS K(C_ONE), x, p; \
	VCVTPS2DQ n, n; \
	VPSRAD $1, n, t; \
	VPSUBD t, n, n; \
	VPADDD K(C_BIAS), t, t; \
	VPADDD K(C_BIAS), n, n; \
	VPSLLD $23, t, t; \
	VPSLLD $23, n, n; \
	VMULPS t, p, p; \
	VMULPS n, p, p; \
	VANDPS m, p, x

#define HADD256 \
	VEXTRACTF128 $1, Y0, X1; \
	VADDPS X1, X0, X0; \
	VPERMILPS $0x4e, X0, X1; \
	VADDPS X1, X0, X0; \
	VPERMILPS $0xb1, X0, X1; \
	VADDPS X1, X0, X0

// func maxAVX2(x *float32, n int) float32
// n >= 8. Y5 collects NaN lanes.
TEXT ·maxAVX2(SB), NOSPLIT, $0-20
	MOVQ x+0(FP), SI
	MOVQ n+8(FP), CX
	VBROADCASTSS (SI), Y0
	VXORPS Y5, Y5, Y5

max256_loop:
	VMOVUPS (SI), Y2
	VMAXPS Y2, Y0, Y0
	VCMPPS $3, Y2, Y2, Y3
	VORPS Y3, Y5, Y5
	ADDQ $32, SI
	SUBQ $8, CX
	JNZ  max256_loop

	VEXTRACTF128 $1, Y0, X1
	VMAXPS X1, X0, X0
	VPERMILPS $0x4e, X0, X1
	VMAXPS X1, X0, X0
	VPERMILPS $0xb1, X0, X1
	VMAXPS X1, X0, X0
	VMOVMSKPS Y5, AX
	TESTL AX, AX
	JNZ   max256_nan
	VZEROUPPER
	MOVSS X0, ret+16(FP)
	RET

max256_nan:
	VZEROUPPER
	MOVL $0x7fc00000, AX
	MOVL AX, ret+16(FP)
	RET

// func expSubSumAVX2(dst, src *float32, n int, shift float32) float32
TEXT ·expSubSumAVX2(SB), NOSPLIT, $0-36
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS shift+24(FP), Y15
	VXORPS Y0, Y0, Y0
	TESTQ CX, CX
	JZ    ess256_done

ess256_loop:
	VMOVUPS (SI), Y2
	VSUBPS Y15, Y2, Y2
	EXP256(Y2, Y3, Y4, Y5, Y6)
	VMOVUPS Y2, (DI)
	VADDPS Y2, Y0, Y0
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ  ess256_loop

ess256_done:
	HADD256
	VZEROUPPER
	MOVSS X0, ret+32(FP)
	RET

// func scaleAVX2(dst, src *float32, n int, s float32)
TEXT ·scaleAVX2(SB), NOSPLIT, $0-28
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS s+24(FP), Y15
	TESTQ CX, CX
	JZ    scale256_done

scale256_loop:
	VMULPS (SI), Y15, Y2
	VMOVUPS Y2, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ  scale256_loop

scale256_done:
	VZEROUPPER
	RET

// func dotAVX2(a, b *float32, n int) float32
TEXT ·dotAVX2(SB), NOSPLIT, $0-28
	MOVQ a+0(FP), SI
	MOVQ b+8(FP), DI
	MOVQ n+16(FP), CX
	VXORPS Y0, Y0, Y0
	TESTQ CX, CX
	JZ    dot256_done

dot256_loop:
	VMOVUPS (SI), Y2
	VFMADD231PS (DI), Y2, Y0
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ  dot256_loop

dot256_done:
	HADD256
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// func subMulAVX2(d, p *float32, n int, c float32)
TEXT ·subMulAVX2(SB), NOSPLIT, $0-28
	MOVQ d+0(FP), DI
	MOVQ p+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS c+24(FP), Y15
	TESTQ CX, CX
	JZ    submul256_done

submul256_loop:
	VMOVUPS (DI), Y2
	VSUBPS Y15, Y2, Y2
	VMULPS (SI), Y2, Y2
	VMOVUPS Y2, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ  submul256_loop

submul256_done:
	VZEROUPPER
	RET

// GELUS256: as GELUS512. Y15 holds 1.
#define GELUS256(x, v2, s, e, n, p, t, m) \
	VMULPS x, x, v2; \
	VMOVUPS K(C_G0), s; \
	VFMADD231PS K(C_G1), v2, s; \
	VMULPS x, s, e; \
	VMULPS K(C_M2), e, e; \
	EXP256(e, n, p, t, m); \
	VADDPS Y15, e, s; \
	VDIVPS s, Y15, s

// func geluAVX2(out, x *float32, n int)
TEXT ·geluAVX2(SB), NOSPLIT, $0-24
	MOVQ out+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VMOVUPS K(C_ONE), Y15
	TESTQ CX, CX
	JZ    gelu256_done

gelu256_loop:
	VMOVUPS (SI), Y0
	GELUS256(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7)
	VMULPS Y2, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ  gelu256_loop

gelu256_done:
	VZEROUPPER
	RET

// func geluBackwardAVX2(dx, dy, x *float32, n int)
TEXT ·geluBackwardAVX2(SB), NOSPLIT, $0-32
	MOVQ dx+0(FP), DI
	MOVQ dy+8(FP), DX
	MOVQ x+16(FP), SI
	MOVQ n+24(FP), CX
	VMOVUPS K(C_ONE), Y15
	TESTQ CX, CX
	JZ    gelub256_done

gelub256_loop:
	VMOVUPS (SI), Y0
	VMOVUPS K(C_XMAX), Y6
	VMINPS Y0, Y6, Y0
	VMOVUPS K(C_XMIN), Y6
	VMAXPS Y0, Y6, Y0
	GELUS256(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7)
	VMULPS Y2, Y3, Y4
	VMOVUPS K(C_G0), Y5
	VFMADD231PS K(C_GD1), Y1, Y5
	VADDPS Y0, Y0, Y3
	VMULPS Y4, Y3, Y3
	VMULPS Y5, Y3, Y3
	VADDPS Y15, Y3, Y3
	VMULPS Y3, Y2, Y2
	VMULPS (DX), Y2, Y2
	VMOVUPS Y2, (DI)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ  gelub256_loop

gelub256_done:
	VZEROUPPER
	RET

// func adamwAVX2(p, gr, m, v *float32, n int, b1, omb1, b2, omb2, wd, step, rbc2, eps float32)
TEXT ·adamwAVX2(SB), NOSPLIT, $0-72
	MOVQ p+0(FP), DI
	MOVQ gr+8(FP), SI
	MOVQ m+16(FP), R8
	MOVQ v+24(FP), R9
	MOVQ n+32(FP), CX
	VBROADCASTSS b1+40(FP), Y8
	VBROADCASTSS omb1+44(FP), Y9
	VBROADCASTSS b2+48(FP), Y10
	VBROADCASTSS omb2+52(FP), Y11
	VBROADCASTSS wd+56(FP), Y12
	VBROADCASTSS step+60(FP), Y13
	VBROADCASTSS rbc2+64(FP), Y14
	VBROADCASTSS eps+68(FP), Y15
	TESTQ CX, CX
	JZ    adamw256_done

adamw256_loop:
	VMOVUPS (SI), Y0
	VMOVUPS (R8), Y1
	VMOVUPS (R9), Y2
	VMOVUPS (DI), Y3
	VMULPS Y9, Y0, Y4
	VFMADD231PS Y8, Y1, Y4
	VMULPS Y0, Y0, Y5
	VMULPS Y11, Y5, Y5
	VFMADD231PS Y10, Y2, Y5
	VMOVUPS Y4, (R8)
	VMOVUPS Y5, (R9)
	VSQRTPS Y5, Y5
	VFMADD213PS Y15, Y14, Y5
	VDIVPS Y5, Y4, Y5
	VFNMADD231PS Y12, Y3, Y3
	VFNMADD231PS Y13, Y5, Y3
	VMOVUPS Y3, (DI)
	ADDQ $32, SI
	ADDQ $32, R8
	ADDQ $32, R9
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ  adamw256_loop

adamw256_done:
	VZEROUPPER
	RET
