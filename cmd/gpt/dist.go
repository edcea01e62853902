package main

import (
	"fmt"
	"io"

	"github.com/gptgo/gptgo/mpi"
)

// world is package mpi's world as a train.Comm.
type world struct{}

func (world) Rank() int                               { return mpi.Rank() }
func (world) Size() int                               { return mpi.Size() }
func (world) AllReduceSum(buf []float32) error        { return mpi.AllReduceSum(buf) }
func (world) AllReduceSum64(buf []float64) error      { return mpi.AllReduceSum64(buf) }
func (world) Broadcast(buf []float32, root int) error { return mpi.Broadcast(buf, root) }
func (world) ReduceScatterSumV(out, buf []float32, counts []int) error {
	return mpi.ReduceScatterSumV(out, buf, counts)
}
func (world) AllGatherV(buf []float32, counts []int) error { return mpi.AllGatherV(buf, counts) }

// startMPI starts MPI for a data-parallel gpt train (a no-op in a build
// without it) and returns the function that ends it. Ranks other than 0
// print nothing but their errors.
func startMPI() (func(), error) {
	if err := mpi.Init(); err != nil {
		return nil, errorf("%v", err)
	}
	if mpi.Rank() > 0 {
		cmdStdout = io.Discard
	}
	return mpi.Finalize, nil
}

// abortOnError ends every rank of an MPI job when this one failed, so that
// none is left waiting in a collective; the error is printed first, with
// the rank.
func abortOnError(err error) error {
	if err == nil || mpi.Size() == 1 {
		return err
	}
	fmt.Fprintf(cmdStderr, "gpt train (rank %d of %d): %v\n", mpi.Rank(), mpi.Size(), err)
	mpi.Abort(1)
	return err
}

// mpiLine says whether MPI is compiled in, and the job's size.
func mpiLine() string {
	if !mpi.Enabled {
		return "MPI: not compiled in (build with -tags mpi for mpirun -np N gpt train)"
	}
	return fmt.Sprintf("MPI: %s, rank %d of %d", mpi.Library(), mpi.Rank(), mpi.Size())
}
