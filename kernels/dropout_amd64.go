//go:build amd64 && !purego

package kernels

import "golang.org/x/sys/cpu"

// dropoutAVX512 is dropoutGo for AVX-512F+DQ (64-bit lane multiplies):
// eight hashes at a time, the tail masked (dropout_amd64.s).
//
//go:noescape
func dropoutAVX512(out, inp *float32, n int, key, first, th uint64, s float32)

func dropoutAsm(out, inp []float32, key, first, th uint64, s float32) {
	if len(inp) == 0 {
		return
	}
	out = out[:len(inp)]
	dropoutAVX512(&out[0], &inp[0], len(inp), key, first, th, s)
}

func init() {
	if cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ && cpu.X86.HasAVX512VL {
		dropoutImpl = dropoutAsm
	}
}
