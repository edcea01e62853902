package train

import (
	"fmt"

	"github.com/gptgo/gptgo/data"
	"github.com/gptgo/gptgo/model"
	"github.com/gptgo/gptgo/tokenizer"
)

// Snapshot is a run at the end of a step: everything needed to continue it
// exactly as if it had not stopped. A Store writes it (gpt train: as a
// checkpoint file); NewRun continues from one read back.
type Snapshot struct {
	Model       *model.Model
	Tokenizer   tokenizer.Spec
	Opt         Options
	Step        int // optimizer steps done
	Epoch       int // epochs the loader has started
	Loader      data.LoaderState
	AdamW       *AdamW // the optimizer's hyper-parameters, step and moments (all NewRun reads)
	BestValLoss float64
	Command     []string // the command line that started the run
}

// The kinds of snapshot a run saves.
// MetricsFile is the file in OutDir that gets a JSON line per step.
const MetricsFile = "metrics.jsonl"

const (
	Latest = "latest" // after each evaluation, at the end and on interrupt
	Best   = "best"   // at each new best validation loss
	Steps  = "step"   // every Options.SaveEvery steps, kept
)

// A Store keeps a run's snapshots. Train names each by its kind (and step,
// for Steps) and never reads them back; the caller opens one to resume.
type Store interface {
	// Path is where the snapshot of kind at step is kept.
	Path(kind string, step int) string
	// Save writes s to path; a failure must leave the previous snapshot at
	// path whole (write elsewhere, then rename).
	Save(path string, s *Snapshot) error
}

// snapshot returns the run's current state; its slices are the run's.
func (r *Run) snapshot() *Snapshot {
	return &Snapshot{Model: r.Model, Tokenizer: r.Tokenizer, Opt: r.Opt, Step: r.step, Epoch: r.loader.Epoch(),
		Loader: r.loader.State(), AdamW: r.stepper.Opt, BestValLoss: r.bestVal, Command: r.Command}
}

// restore puts a snapshot's data position, optimizer state, step and best
// validation loss into r.
func (r *Run) restore(s *Snapshot) error {
	st := s.Loader
	if global := r.Opt.Batch * r.Comm.Size(); st.B != global && st.B%r.Opt.Batch == 0 {
		// Another number of ranks: the position in the epoch's order of
		// windows stays valid; only the windows per step change.
		r.Regrouped, st.B = st.B/r.Opt.Batch, global
		if o := &r.Opt; o.MaxSteps == 0 {
			// An --epochs run keeps the length it was planned with, in
			// steps, so that its schedule goes on where it was.
			o.MaxSteps = max(1, int(o.Epochs*float64(r.loader.Windows()/(o.Batch*r.Regrouped))/float64(o.GradAccum)))
		}
	}
	if err := r.loader.Restore(st); err != nil {
		return err
	}
	a, opt := s.AdamW, r.stepper.Opt
	n := len(r.Model.Params)
	if a == nil || len(a.M) != n || len(a.V) != n {
		return fmt.Errorf("the optimizer state does not fit a model of %d parameters", n)
	}
	opt.Beta1, opt.Beta2, opt.Eps, opt.WeightDecay, opt.Step = a.Beta1, a.Beta2, a.Eps, a.WeightDecay, a.Step
	copy(opt.M, a.M[opt.Lo:]) // with ZeRO-1, this rank's block
	copy(opt.V, a.V[opt.Lo:])
	r.step = s.Step
	r.bestVal = s.BestValLoss
	return nil
}

// MemoryStore keeps snapshots in memory as deep copies, for tests and for
// callers that decide later what to write.
type MemoryStore map[string]*Snapshot

// Path is kind, or "step-N" for Steps.
func (m MemoryStore) Path(kind string, step int) string {
	if kind == Steps {
		return fmt.Sprintf("step-%d", step)
	}
	return kind
}

// Save stores a copy of s that later steps do not change.
func (m MemoryStore) Save(path string, s *Snapshot) error {
	c := *s
	mc, err := model.NewEmpty(s.Model.Config)
	if err != nil {
		return err
	}
	copy(mc.Params, s.Model.Params)
	c.Model = mc
	a := *s.AdamW
	a.M, a.V = append([]float32(nil), a.M...), append([]float32(nil), a.V...)
	c.AdamW = &a
	m[path] = &c
	return nil
}
