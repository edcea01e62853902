//go:build amd64 && !purego

package kernels

import "golang.org/x/sys/cpu"

// AVX-512 dot kernels from qdot_avx512_amd64.s; each is a qDot.

//go:noescape
func qdotQ8_0AVX512_4(nb int, w, s *byte, x *byte, ldx int, out *float32, ldo int)

//go:noescape
func qdotQ8_0AVX512_4x4(nb int, w, s *byte, x *byte, ldx int, out *float32, ldo int)

//go:noescape
func qdotQ4_0AVX512_4(nb int, w, s *byte, x *byte, ldx int, out *float32, ldo int)

//go:noescape
func qdotQ4_0AVX512_4x4(nb int, w, s *byte, x *byte, ldx int, out *float32, ldo int)

//go:noescape
func qdotBF16AVX512_4(nb int, w, s *byte, x *byte, ldx int, out *float32, ldo int)

//go:noescape
func qdotBF16AVX512_4x4(nb int, w, s *byte, x *byte, ldx int, out *float32, ldo int)

//go:noescape
func qdotQ8_0AVX512_4g(nb int, w, s *byte, gst, sst int, x *byte, out *float32, ost int)

//go:noescape
func qdotBF16AVX512_4g(nb int, w, s *byte, gst, sst int, x *byte, out *float32, ost int)

//go:noescape
func qdotQ4_0AVX512_4g(nb int, w, s *byte, gst, sst int, x *byte, out *float32, ost int)

//go:noescape
func dequantQ8_0AVX512(nb int, q, s *byte, dst *float32, ldd int)

//go:noescape
func dequantQ4_0AVX512(nb int, q, s *byte, dst *float32, ldd int)

//go:noescape
func dequantBF16AVX512(nb int, q, s *byte, dst *float32, ldd int)

func init() {
	x := &cpu.X86
	if !x.HasAVX512F || !x.HasAVX512BW || !x.HasAVX512VL {
		return
	}
	addQKernel(BF16, &qKernel{name: "avx512", r4: qdotBF16AVX512_4, r4x4: qdotBF16AVX512_4x4,
		r4g: qdotBF16AVX512_4g, dequant: dequantBF16AVX512})
	if !x.HasAVX512VNNI {
		return
	}
	addQKernel(Q8_0, &qKernel{name: "avx512vnni", r4: qdotQ8_0AVX512_4, r4x4: qdotQ8_0AVX512_4x4, actsInt8: true, corr: -32,
		r4g: qdotQ8_0AVX512_4g, dequant: dequantQ8_0AVX512})
	addQKernel(Q4_0, &qKernel{name: "avx512vnni", r4: qdotQ4_0AVX512_4, r4x4: qdotQ4_0AVX512_4x4, actsInt8: true, corr: -2,
		r4g: qdotQ4_0AVX512_4g, dequant: dequantQ4_0AVX512})
}
