package train

import (
	"encoding/json"
	"fmt"

	"github.com/gptgo/gptgo/checkpoints"
	"github.com/gptgo/gptgo/data"
	"github.com/gptgo/gptgo/model"
	"github.com/gptgo/gptgo/tokenizer"
)

// Resume is a training run read back from a checkpoint: the model and
// tokenizer, the options it ran with and the state to continue from. Pass
// it to NewRun with the options (which the caller may extend: a longer
// run keeps the schedule's shape up to MaxSteps).
type Resume struct {
	Path      string // the checkpoint file read
	Model     *model.Model
	Tokenizer tokenizer.Tokenizer
	Opt       Options
	Step      int // optimizer steps done
	state     *checkpoints.TrainState
}

// OpenResume reads a resumable checkpoint (a file or a run folder): the
// model, the options and the training state together.
func OpenResume(path string) (*Resume, error) {
	o, err := checkpoints.Open(path, checkpoints.OpenOptions{KeepTrain: true})
	if err != nil {
		return nil, err
	}
	if o.Train == nil {
		return nil, fmt.Errorf("%s: a weights-only checkpoint has no training state", o.Path)
	}
	r := &Resume{Path: o.Path, Model: o.Model, Tokenizer: o.Tokenizer, Step: o.Train.Step, state: o.Train}
	if err := json.Unmarshal(o.Train.Hyper, &r.Opt); err != nil {
		return nil, fmt.Errorf("%s: training options: %v", o.Path, err)
	}
	return r, nil
}

// restore puts a checkpoint's data position, optimizer state, step and
// best validation loss into r.
func (r *Run) restore(st *checkpoints.TrainState) error {
	var ls data.LoaderState
	if err := json.Unmarshal(st.Loader, &ls); err != nil {
		return fmt.Errorf("loader state: %w", err)
	}
	if err := r.loader.Restore(ls); err != nil {
		return err
	}
	a, opt := st.AdamW, r.stepper.Opt
	if len(a.M) != len(opt.M) || len(a.V) != len(opt.V) {
		return fmt.Errorf("optimizer state has %d values, the model has %d", len(a.M), len(opt.M))
	}
	opt.Beta1, opt.Beta2, opt.Eps, opt.WeightDecay, opt.Step = a.Beta1, a.Beta2, a.Eps, a.WeightDecay, a.Step
	copy(opt.M, a.M)
	copy(opt.V, a.V)
	r.step = st.Step
	r.bestVal = st.BestValLoss
	return nil
}
