//go:build amd64 && !purego

package kernels

import "golang.org/x/sys/cpu"

// sgemvT4x4AVX512 is in gemvrows_amd64.s.
//
//go:noescape
func sgemvT4x4AVX512(n int, a *float32, lda int, x *float32, ldx int, y *float32, ldy int)

// sgemvN4x4AVX512 is in gemvrows_amd64.s.
//
//go:noescape
func sgemvN4x4AVX512(n int, a *float32, lda int, x *float32, ldx int, out *float32, ldo int)

func init() {
	if cpu.X86.HasAVX512F && cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		rows4x4, rowsT4x4, rows4x4Width = sgemvT4x4AVX512, sgemvN4x4AVX512, 16
	}
}
