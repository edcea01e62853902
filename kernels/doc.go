// Package kernels holds gptgo's fast math: the worker pool that every
// parallel loop runs on, the float32 GEMM installed behind gonum's blas32
// interface, and the small vector routines the layers share.
//
// Everything here is deterministic for a fixed thread count, and every
// kernel that the model uses gives bit-identical results for any thread
// count: work is split only along output rows or columns, never along a
// reduction, so each output element is always summed in the same order.
package kernels
