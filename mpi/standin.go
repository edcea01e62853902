//go:build !mpi

package mpi

import "fmt"

// Enabled reports whether MPI is compiled in: not in this build.
const Enabled = false

// Init does nothing: one process is rank 0 of 1.
func Init() error { return nil }

// Finalize does nothing.
func Finalize() {}

// Rank is 0.
func Rank() int { return 0 }

// Size is 1.
func Size() int { return 1 }

// Library says that MPI is not compiled in.
func Library() string { return "none (built without -tags mpi)" }

// AllReduceSum leaves buf as it is: the sum over one rank.
func AllReduceSum(buf []float32) error { return nil }

// AllReduceSum64 leaves buf as it is.
func AllReduceSum64(buf []float64) error { return nil }

// Broadcast leaves buf as it is.
func Broadcast(buf []float32, root int) error { return nil }

// ReduceScatterSumV copies buf to out: one rank's block is everything.
func ReduceScatterSumV(out, buf []float32, counts []int) error {
	if len(counts) != 1 || counts[0] != len(buf) || len(out) != len(buf) {
		return fmt.Errorf("mpi: reduce-scatter of %d values into blocks %v for 1 rank", len(buf), counts)
	}
	copy(out, buf)
	return nil
}

// AllGatherV leaves buf as it is.
func AllGatherV(buf []float32, counts []int) error {
	if len(counts) != 1 || counts[0] != len(buf) {
		return fmt.Errorf("mpi: all-gather of blocks %v into %d values for 1 rank", counts, len(buf))
	}
	return nil
}

// Barrier returns at once.
func Barrier() error { return nil }

// Abort is not needed without MPI: the caller exits on its own.
func Abort(code int) {}
