package train

// Comm is the group of processes a data-parallel run trains in: every
// rank holds the whole model, trains on its share of each global batch,
// and takes the same optimizer step from gradients summed over the ranks
// (gpt train gives package mpi's world; nil is one process alone). Every
// rank calls the collectives in the same order, from one goroutine.
type Comm interface {
	Rank() int
	Size() int
	// AllReduceSum replaces buf on every rank by the element-wise sum of
	// every rank's buf.
	AllReduceSum(buf []float32) error
	AllReduceSum64(buf []float64) error
	// Broadcast copies root's buf to every rank's.
	Broadcast(buf []float32, root int) error
	// ReduceScatterSumV sums buf over the ranks and leaves in out this
	// rank's block (counts[r] values for rank r, in rank order).
	ReduceScatterSumV(out, buf []float32, counts []int) error
	// AllGatherV fills buf with every rank's block, this rank's in place.
	AllGatherV(buf []float32, counts []int) error
}

// solo is the Comm of a run without one: rank 0 of 1.
type solo struct{}

func (solo) Rank() int                      { return 0 }
func (solo) Size() int                      { return 1 }
func (solo) AllReduceSum([]float32) error   { return nil }
func (solo) AllReduceSum64([]float64) error { return nil }
func (solo) Broadcast([]float32, int) error { return nil }
func (solo) ReduceScatterSumV(out, buf []float32, _ []int) error {
	copy(out, buf)
	return nil
}
func (solo) AllGatherV([]float32, []int) error { return nil }

// shards are the blocks of n parameters ZeRO-1 gives the ranks, in rank
// order: rank r owns n*r/size .. n*(r+1)/size-1.
func shards(n, size int) []int {
	counts := make([]int, size)
	for r := range size {
		counts[r] = n*(r+1)/size - n*r/size
	}
	return counts
}

// primary reports whether this process writes the run's files and
// reports: rank 0, or the only one.
func (r *Run) primary() bool { return r.Comm.Rank() == 0 }

// agree returns whether any rank wants to stop (a Ctrl-C reached some of
// them): every rank then stops after the same step, saving consistently.
func (r *Run) agree(stop bool) (bool, error) {
	if r.Comm.Size() == 1 {
		return stop, nil
	}
	v := []float64{0}
	if stop {
		v[0] = 1
	}
	err := r.Comm.AllReduceSum64(v)
	return v[0] > 0, err
}

// nextShare reads the next global batch of Batch x ranks windows and keeps
// this rank's share: windows rank*Batch .. (rank+1)*Batch-1.
func (r *Run) nextShare(tokens, targets []int32) error {
	n := r.Comm.Size()
	if n == 1 {
		return r.loader.Next(tokens, targets)
	}
	if len(r.global) != len(tokens)*n {
		r.global, r.globalT = make([]int32, len(tokens)*n), make([]int32, len(tokens)*n)
	}
	if err := r.loader.Next(r.global, r.globalT); err != nil {
		return err
	}
	off := r.Comm.Rank() * len(tokens)
	copy(tokens, r.global[off:off+len(tokens)])
	copy(targets, r.globalT[off:off+len(targets)])
	return nil
}

// gatherMoments returns the optimizer state with the moments of every
// rank's block (ZeRO-1), for a checkpoint that does not depend on the
// number of ranks. Every rank must call it.
func (r *Run) gatherMoments() (*AdamW, error) {
	o := r.stepper.Opt
	n := len(r.Model.Params)
	counts := shards(n, r.Comm.Size())
	full := *o
	full.M, full.V, full.Lo = make([]float32, n), make([]float32, n), 0
	copy(full.M[o.Lo:], o.M)
	copy(full.V[o.Lo:], o.V)
	if err := r.Comm.AllGatherV(full.M, counts); err != nil {
		return nil, err
	}
	if err := r.Comm.AllGatherV(full.V, counts); err != nil {
		return nil, err
	}
	return &full, nil
}
