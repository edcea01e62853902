//go:build amd64 && !purego

package kernels

import "golang.org/x/sys/cpu"

// Dot kernels from qdot_avx2_amd64.s: four weight rows with one
// activation row; r4x4 is four of them (sixteen YMM registers hold too
// few accumulators for a 4x4 grid).

//go:noescape
func qdotBF16AVX2_4(nb int, w, s *byte, x *byte, ldx int, out *float32, ldo int)

//go:noescape
func qdotQ8_0AVX2_4(nb int, w, s *byte, x *byte, ldx int, out *float32, ldo int)

//go:noescape
func qdotQ4_0AVX2_4(nb int, w, s *byte, x *byte, ldx int, out *float32, ldo int)

//go:noescape
func qdotQ8_0AVX2_4g(nb int, w, s *byte, gst, sst int, x *byte, out *float32, ost int)

//go:noescape
func qdotQ4_0AVX2_4g(nb int, w, s *byte, gst, sst int, x *byte, out *float32, ost int)

// avx2QKernel is the kernel set of an AVX2 r4 kernel (and its 4-group
// form, if any).
func avx2QKernel(r4 qDot, actsInt8 bool, corr int32, r4g func(nb int, w, s *byte, gst, sst int, x *byte, out *float32, ost int)) *qKernel {
	return &qKernel{name: "avx2", r4: r4, r4x4: r4x4ViaR4(r4), actsInt8: actsInt8, corr: corr, r4g: r4g}
}

func init() {
	// The kernels need AVX2 and FMA, and F16C for the fp16 scales (every
	// CPU with AVX2 has it; x/sys/cpu reports it as HasF16C, checked so
	// that an emulator or hypervisor masking it falls back to Go).
	if !cpu.X86.HasAVX2 || !cpu.X86.HasFMA || !cpu.X86.HasF16C {
		return
	}
	addQKernel(BF16, avx2QKernel(qdotBF16AVX2_4, false, 0, nil))
	addQKernel(Q8_0, avx2QKernel(qdotQ8_0AVX2_4, true, 0, qdotQ8_0AVX2_4g))
	addQKernel(Q4_0, avx2QKernel(qdotQ4_0AVX2_4, true, -4, qdotQ4_0AVX2_4g))
}
