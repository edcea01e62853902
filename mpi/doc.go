// Package mpi is gptgo's own small binding to MPI (Open MPI's C library,
// through cgo), for data-parallel training across processes and machines:
// start-up, the rank and the number of ranks, and the collectives a
// training step needs (all-reduce, broadcast, barrier, reduce-scatter,
// all-gather) on float32 and float64 buffers, in place where MPI allows.
//
// It is compiled in only with the build tag mpi (go build -tags mpi,
// which needs cgo and Debian's libopenmpi-dev: #cgo pkg-config: ompi-c).
// Without the tag the package is a single-process stand-in in pure Go:
// rank 0 of 1, and every collective leaves its buffer as it is, which is
// what it would do with one rank. Enabled says which one was built.
package mpi
