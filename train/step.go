package train

import (
	"math"
	"time"

	"github.com/gptgo/gptgo/kernels"
	"github.com/gptgo/gptgo/model"
)

// Stepper runs optimizer steps on a model: forward, backward, clipping and
// AdamW. Its scratch is allocated once.
type Stepper struct {
	Model    *model.Model
	Opt      *AdamW
	GradClip float64 // global-norm limit; <= 0 disables clipping
	// Comm, if it has more than one rank, sums the gradients and losses
	// over the ranks before the update, which then uses their mean.
	Comm Comm
	// CommTime is the time spent in the gradient all-reduce so far.
	CommTime time.Duration
	// Zero shards the optimizer over Comm's ranks (ZeRO-1): Opt covers
	// this rank's block of the parameters only (AdamW.Shard), the
	// gradients are reduce-scattered, each rank updates its block, and the
	// parameters are all-gathered.
	Zero    bool
	partial []float64
	shard   []float32 // with Zero, this rank's block of the summed gradients
	counts  []int     // with Zero, every rank's block size
}

// NewStepper returns a stepper for m with a fresh AdamW, alone.
func NewStepper(m *model.Model, clip float64) *Stepper {
	return &Stepper{Model: m, Opt: NewAdamW(m.Config), GradClip: clip, Comm: solo{}}
}

// Step does one optimizer step over the given micro-batches, each of B*T
// tokens and targets, accumulating their gradients; the update uses their
// mean (the 1/n is applied inside AdamW.Update, with clipping's factor). It
// returns the mean loss and the norm of the mean gradient before clipping.
// With several ranks, each passes its share of the micro-batches and all
// get the mean over all of them, loss and gradient alike. Micro-batch i of
// rank r drops with drop.Sub(i*ranks + r) (see model.ForwardDropout); the
// zero Dropout trains without.
func (s *Stepper) Step(tokens, targets [][]int32, B, T int, lr float32, drop kernels.Dropout) (loss float32, norm float64, err error) {
	m := s.Model
	m.ZeroGrad()
	var sum float64
	ranks, rank := s.Comm.Size(), s.Comm.Rank()
	for i := range tokens {
		l, err := m.ForwardDropout(tokens[i], targets[i], B, T, drop.Sub(uint64(i*ranks+rank)))
		if err != nil {
			return 0, 0, err
		}
		sum += float64(l)
		if err := m.Backward(); err != nil {
			return 0, 0, err
		}
	}
	if s.partial == nil {
		s.partial = make([]float64, len(m.Grads)/normBlock+1)
	}
	if ranks > 1 && s.Zero {
		return s.stepZero(sum, lr, len(tokens)*ranks)
	}
	if ranks > 1 { // one all-reduce of the gradients per step, after the last micro-batch
		t0 := time.Now()
		if err := s.Comm.AllReduceSum(m.Grads); err != nil {
			return 0, 0, err
		}
		s.CommTime += time.Since(t0)
		total := []float64{sum}
		if err := s.Comm.AllReduceSum64(total); err != nil {
			return 0, 0, err
		}
		sum = total[0]
	}
	// The gradients hold the sum over the n micro-batches of every rank:
	// the mean's norm is 1/n of theirs, and clipping and the 1/n both go
	// into the update.
	n := float64(len(tokens) * ranks)
	norm = GradNorm(m.Grads, s.partial) / n
	s.Opt.Update(m.Params, m.Grads, lr, float32(ClipScale(norm, s.GradClip)/n))
	return float32(sum / n), norm, nil
}

// stepZero finishes a ZeRO-1 step: the gradients summed over the ranks
// arrive as this rank's block only, the gradient norm is the root of the
// blocks' summed squares, this rank updates its block of the parameters
// with its block of the moments, and every rank gathers the others'.
func (s *Stepper) stepZero(lossSum float64, lr float32, n int) (float32, float64, error) {
	m, o := s.Model, s.Opt
	if len(s.shard) != len(o.M) {
		s.shard, s.counts = make([]float32, len(o.M)), shards(len(m.Params), s.Comm.Size())
	}
	counts := s.counts
	t0 := time.Now()
	if err := s.Comm.ReduceScatterSumV(s.shard, m.Grads, counts); err != nil {
		return 0, 0, err
	}
	var sq float64
	for _, g := range s.shard {
		sq += float64(g) * float64(g)
	}
	sums := []float64{lossSum, sq}
	if err := s.Comm.AllReduceSum64(sums); err != nil {
		return 0, 0, err
	}
	norm := math.Sqrt(sums[1]) / float64(n)
	params := m.Params[o.Lo : o.Lo+len(o.M)]
	o.UpdateShard(params, s.shard, lr, float32(ClipScale(norm, s.GradClip)/float64(n)))
	if err := s.Comm.AllGatherV(m.Params, counts); err != nil {
		return 0, 0, err
	}
	s.CommTime += time.Since(t0)
	return float32(sums[0] / float64(n)), norm, nil
}
