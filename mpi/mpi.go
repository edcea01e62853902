//go:build mpi

package mpi

/*
#cgo pkg-config: ompi-c
#include <mpi.h>
#include <stdlib.h>

// Go cannot use the MPI_* handle macros directly: Open MPI defines them
// as addresses of library globals.
static MPI_Comm world(void) { return MPI_COMM_WORLD; }
static MPI_Datatype f32(void) { return MPI_FLOAT; }
static MPI_Datatype f64(void) { return MPI_DOUBLE; }
static MPI_Op sum(void) { return MPI_SUM; }

// The in-place collectives are called through these wrappers so that
// MPI_IN_PLACE, which Open MPI defines as the address 1, never reaches Go:
// a value like that held as a Go pointer makes the garbage collector or a
// stack copy fail with "invalid pointer found on stack".
static int allreduce_inplace(void *buf, int n, MPI_Datatype t) {
	return MPI_Allreduce(MPI_IN_PLACE, buf, n, t, MPI_SUM, MPI_COMM_WORLD);
}
static int allgatherv_inplace(float *buf, const int *counts, const int *displs) {
	return MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_FLOAT, buf, counts, displs, MPI_FLOAT, MPI_COMM_WORLD);
}

static int version(char *buf, int *len) { return MPI_Get_library_version(buf, len); }
*/
import "C"

import (
	"fmt"
	"strings"
	"unsafe"
)

// Enabled reports whether MPI is compiled in.
const Enabled = true

var rank, size = 0, 1

// Init starts MPI (MPI_Init_thread with MPI_THREAD_FUNNELED: only the
// goroutine that calls the collectives talks to MPI, and gptgo calls them
// from one goroutine at a time) and reads the rank and size.
func Init() error {
	var provided C.int
	if rc := C.MPI_Init_thread(nil, nil, C.MPI_THREAD_FUNNELED, &provided); rc != C.MPI_SUCCESS {
		return fmt.Errorf("mpi: MPI_Init_thread failed (error %d)", int(rc))
	}
	var r, s C.int
	C.MPI_Comm_rank(C.world(), &r)
	C.MPI_Comm_size(C.world(), &s)
	rank, size = int(r), int(s)
	return nil
}

// Finalize ends MPI; call it once, after the last collective.
func Finalize() { C.MPI_Finalize() }

// Rank is this process's rank in the world, from 0.
func Rank() int { return rank }

// Size is the number of ranks.
func Size() int { return size }

// Library names the MPI library, e.g. "Open MPI v4.1.4".
func Library() string {
	buf := make([]byte, C.MPI_MAX_LIBRARY_VERSION_STRING)
	var n C.int
	C.version((*C.char)(unsafe.Pointer(&buf[0])), &n)
	s := string(buf[:n])
	if i := strings.IndexAny(s, ",\n"); i > 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

func check(op string, rc C.int) error {
	if rc != C.MPI_SUCCESS {
		return fmt.Errorf("mpi: %s failed (error %d)", op, int(rc))
	}
	return nil
}

// AllReduceSum replaces buf on every rank by the element-wise sum of
// every rank's buf.
func AllReduceSum(buf []float32) error {
	if len(buf) == 0 {
		return nil
	}
	return check("MPI_Allreduce", C.allreduce_inplace(unsafe.Pointer(&buf[0]), C.int(len(buf)), C.f32()))
}

// AllReduceSum64 is AllReduceSum for float64.
func AllReduceSum64(buf []float64) error {
	if len(buf) == 0 {
		return nil
	}
	return check("MPI_Allreduce", C.allreduce_inplace(unsafe.Pointer(&buf[0]), C.int(len(buf)), C.f64()))
}

// Broadcast copies root's buf to every rank's.
func Broadcast(buf []float32, root int) error {
	if len(buf) == 0 {
		return nil
	}
	return check("MPI_Bcast", C.MPI_Bcast(unsafe.Pointer(&buf[0]), C.int(len(buf)), C.f32(), C.int(root), C.world()))
}

// cints converts counts to C ints, with their displacements.
func cints(counts []int) (cnt, displ []C.int, total int) {
	cnt, displ = make([]C.int, len(counts)), make([]C.int, len(counts))
	for i, c := range counts {
		cnt[i], displ[i] = C.int(c), C.int(total)
		total += c
	}
	return cnt, displ, total
}

// ReduceScatterSumV sums buf over the ranks and leaves in out rank r's
// block of counts[r] values (the blocks in rank order, one after
// another); len(counts) must be Size() and len(out) counts[Rank()].
func ReduceScatterSumV(out, buf []float32, counts []int) error {
	cnt, _, total := cints(counts)
	if len(counts) != size || total != len(buf) || len(out) != counts[rank] {
		return fmt.Errorf("mpi: reduce-scatter of %d values into blocks %v for %d ranks", len(buf), counts, size)
	}
	var o unsafe.Pointer
	if len(out) > 0 {
		o = unsafe.Pointer(&out[0])
	}
	return check("MPI_Reduce_scatter", C.MPI_Reduce_scatter(unsafe.Pointer(&buf[0]), o, &cnt[0], C.f32(), C.sum(), C.world()))
}

// AllGatherV fills buf with every rank's block (counts[r] values of rank
// r, in rank order); this rank's block is in place.
func AllGatherV(buf []float32, counts []int) error {
	cnt, displ, total := cints(counts)
	if len(counts) != size || total != len(buf) {
		return fmt.Errorf("mpi: all-gather of blocks %v into %d values for %d ranks", counts, len(buf), size)
	}
	return check("MPI_Allgatherv", C.allgatherv_inplace((*C.float)(unsafe.Pointer(&buf[0])), &cnt[0], &displ[0]))
}

// Barrier waits until every rank reaches it.
func Barrier() error { return check("MPI_Barrier", C.MPI_Barrier(C.world())) }

// Abort ends every rank of the job with code.
func Abort(code int) { C.MPI_Abort(C.world(), C.int(code)) }
