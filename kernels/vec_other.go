//go:build !amd64 || purego

package kernels

// Without the assembly routines vecImpl stays vecGeneric and these are
// never called; they exist so that vec.go compiles everywhere.

func maxAsm(x []float32) float32                             { return maxGo(x) }
func expSubSumAsm(dst, src []float32, shift float32) float32 { return expSubSumGo(dst, src, shift) }
func scaleAsm(dst, src []float32, s float32)                 { scaleGo(dst, src, s) }
func dotAsm(a, b []float32) float32                          { return dotGo(a, b) }
func subMulAsm(d, p []float32, c float32)                    { subMulGo(d, p, c) }
func geluAsm(out, x []float32)                               { geluGo(out, x) }
func geluBackwardAsm(dx, dy, x []float32)                    { geluBackwardGo(dx, dy, x) }
func adamwAsm(p, g, m, v []float32, c AdamWParams)           { adamwGo(p, g, m, v, c) }
