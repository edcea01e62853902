package train

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/gptgo/gptgo/checkpoints"
	"github.com/gptgo/gptgo/data"
	"github.com/gptgo/gptgo/model"
	"github.com/gptgo/gptgo/tokenizer"
)

// Options are the training hyper-parameters. They are saved in every
// checkpoint and restored on resume.
type Options struct {
	Batch       int     `json:"batch"`        // sequences per micro-batch
	Context     int     `json:"context"`      // tokens per sequence (T)
	Epochs      float64 `json:"epochs"`       // used when MaxSteps is 0
	MaxSteps    int     `json:"max_steps"`    // optimizer steps; 0: from Epochs
	LR          float64 `json:"lr"`           // peak learning rate
	MinLR       float64 `json:"min_lr"`       // end of the cosine decay
	Warmup      int     `json:"warmup"`       // linear warmup steps
	WeightDecay float64 `json:"weight_decay"` // AdamW decay of 2-D tensors
	GradClip    float64 `json:"grad_clip"`    // global-norm limit; 0 disables
	GradAccum   int     `json:"grad_accum"`   // micro-batches per optimizer step
	EvalEvery   int     `json:"eval_every"`   // steps between evaluations; 0: only at the end
	EvalBatches int     `json:"eval_batches"` // validation batches per evaluation
	SampleEvery int     `json:"sample_every"` // steps between samples; 0: only at evaluations
	SaveEvery   int     `json:"save_every"`   // also keep step-N checkpoints every N steps; 0: never
	Seed        uint64  `json:"seed"`         // data order
	Sequential  bool    `json:"sequential"`   // read windows in file order, no shuffling
}

// Run is one training run: a model, its data and where it writes.
type Run struct {
	Model     *model.Model
	Tokenizer tokenizer.Spec // embedded in checkpoints
	TrainData data.Tokens
	ValData   data.Tokens // may be nil: no evaluation
	Opt       Options
	OutDir    string

	// Sample, if set, returns a short text from the model; it is shown at
	// evaluations. It must not change training state.
	Sample func(m *model.Model) string
	// Log receives progress and messages; Terminal selects a live bar.
	Log      io.Writer
	Terminal bool
	// Command is recorded in checkpoints.
	Command []string
	// Hyper is saved as the checkpoint's training options (JSON); nil saves Opt.
	Hyper any
	// StopAfter, if > 0, ends the run after that step as an interrupt would
	// (a checkpoint is written), leaving the schedule of the full run intact.
	StopAfter int

	stepper *Stepper
	loader  *data.Loader
	step    int
	bestVal float64
}

// Result summarises a finished (or interrupted) run.
type Result struct {
	Steps       int
	Interrupted bool
	LastLoss    float64
	ValLoss     float64 // NaN when there was no evaluation
	Latest      string  // path of the latest checkpoint
	Elapsed     time.Duration
}

// ErrNonFinite is wrapped by the error returned when a loss or gradient
// norm is NaN or Inf.
var ErrNonFinite = errors.New("training diverged")

// Plan describes the run before it starts.
type Plan struct {
	Params, TrainTokens, ValTokens int
	ItersPerEpoch, TotalSteps      int
	TokensPerStep                  int
	FlopsPerStep                   float64
}

// NewRun prepares a run: the stepper, the loader, and (if ck is not nil) the
// state of a checkpoint to resume from.
func NewRun(r *Run, ck *checkpoints.Checkpoint) (*Run, error) {
	o := &r.Opt
	if o.Batch <= 0 || o.Context <= 0 {
		return nil, fmt.Errorf("batch and context must be positive")
	}
	if o.Context > r.Model.Config.Context {
		return nil, fmt.Errorf("context %d exceeds the model's %d", o.Context, r.Model.Config.Context)
	}
	if o.GradAccum <= 0 {
		o.GradAccum = 1
	}
	loader, err := data.NewLoader(r.TrainData, o.Batch, o.Context, o.Seed, o.Sequential)
	if err != nil {
		return nil, err
	}
	r.loader = loader
	r.stepper = NewStepper(r.Model, o.GradClip)
	r.stepper.Opt.WeightDecay = float32(o.WeightDecay)
	r.bestVal = math.MaxFloat64 // JSON has no Inf
	if ck != nil && ck.Train != nil {
		st := ck.Train
		var ls data.LoaderState
		if err := json.Unmarshal(st.Loader, &ls); err != nil {
			return nil, fmt.Errorf("checkpoint loader state: %w", err)
		}
		if err := loader.Restore(ls); err != nil {
			return nil, err
		}
		a := st.AdamW
		opt := r.stepper.Opt
		if len(a.M) != len(opt.M) || len(a.V) != len(opt.V) {
			return nil, fmt.Errorf("checkpoint optimizer state has %d values, model has %d", len(a.M), len(opt.M))
		}
		opt.Beta1, opt.Beta2, opt.Eps, opt.WeightDecay, opt.Step = a.Beta1, a.Beta2, a.Eps, a.WeightDecay, a.Step
		copy(opt.M, a.M)
		copy(opt.V, a.V)
		r.step = st.Step
		r.bestVal = st.BestValLoss
	}
	return r, nil
}

// Plan returns the run's sizes.
func (r *Run) Plan() Plan {
	o := r.Opt
	p := Plan{
		Params:        model.NumParams(r.Model.Config),
		TrainTokens:   r.TrainData.Len(),
		ItersPerEpoch: r.loader.ItersPerEpoch(),
		TotalSteps:    r.totalSteps(),
		TokensPerStep: o.Batch * o.Context * o.GradAccum,
	}
	if r.ValData != nil {
		p.ValTokens = r.ValData.Len()
	}
	p.FlopsPerStep = model.TrainFlopsPerToken(r.Model.Config, o.Context) * float64(p.TokensPerStep)
	return p
}

func (r *Run) totalSteps() int {
	if r.Opt.MaxSteps > 0 {
		return r.Opt.MaxSteps
	}
	return max(1, int(r.Opt.Epochs*float64(r.loader.ItersPerEpoch())/float64(r.Opt.GradAccum)))
}

// Step returns the number of optimizer steps done.
func (r *Run) Step() int { return r.step }

// Train runs until the planned number of steps, ctx is cancelled (then it
// finishes the current step and saves), or a loss or gradient norm stops
// being finite (then it returns an error and leaves the checkpoints alone).
func (r *Run) Train(ctx context.Context) (Result, error) {
	o, m := r.Opt, r.Model
	total := r.totalSteps()
	sched := Schedule{Max: o.LR, Min: o.MinLR, Warmup: o.Warmup, Total: total}
	if err := os.MkdirAll(r.OutDir, 0o755); err != nil {
		return Result{}, err
	}
	metrics, err := openMetrics(filepath.Join(r.OutDir, "metrics.jsonl"), r.step)
	if err != nil {
		return Result{}, err
	}
	defer metrics.close()

	B, T, A := o.Batch, o.Context, o.GradAccum
	tokens, targets := make([][]int32, A), make([][]int32, A)
	for i := range tokens {
		tokens[i], targets[i] = make([]int32, B*T), make([]int32, B*T)
	}
	res := Result{ValLoss: math.NaN()}
	start := time.Now()
	startStep := r.step
	prog := newProgress(r.Log, r.Terminal, total, r.step)
	defer prog.finish()
	for r.step < total {
		if ctx.Err() != nil {
			res.Interrupted = true
			if err := r.save(checkpoints.Latest(r.OutDir)); err != nil {
				return res, err
			}
			break
		}
		t0 := time.Now()
		for i := range tokens {
			if err := r.loader.Next(tokens[i], targets[i]); err != nil {
				return res, err
			}
		}
		lr := sched.At(r.step)
		loss, norm, err := r.stepper.Step(tokens, targets, B, T, float32(lr))
		if err != nil {
			return res, err
		}
		if !finite(float64(loss)) || !finite(norm) {
			return res, fmt.Errorf("%w at step %d: loss %v, gradient norm %v; the last good checkpoint in %s is unchanged",
				ErrNonFinite, r.step+1, loss, norm, r.OutDir)
		}
		r.step++
		res.LastLoss = float64(loss)
		dt := time.Since(t0).Seconds()
		tps := float64(B*T*A) / dt
		epoch := r.epoch()
		met := Metric{Step: r.step, Epoch: epoch, LR: lr, Loss: float64(loss), GradNorm: norm,
			TokPerS: tps, Elapsed: time.Since(start).Seconds()}
		done := r.step - startStep
		eta := time.Duration(float64(time.Since(start)) / float64(done) * float64(total-r.step))
		prog.step(r.step, epoch, float64(loss), tps, lr, eta)
		if done == 1 {
			prog.println("step 1 took %.0f ms: estimated time for %d steps %s", dt*1e3, total-startStep, eta.Round(time.Second))
		}

		last := r.step == total || r.step == r.StopAfter
		if (o.EvalEvery > 0 && r.step%o.EvalEvery == 0) || last {
			if v, ok := r.evaluate(); ok {
				met.ValLoss = &v
				res.ValLoss = v
				prog.println("step %d: train loss %.4f, val loss %.4f", r.step, loss, v)
				if v < r.bestVal {
					r.bestVal = v
					if err := r.save(checkpoints.Best(r.OutDir)); err != nil {
						return res, err
					}
				}
			}
			if err := r.save(checkpoints.Latest(r.OutDir)); err != nil {
				return res, err
			}
		}
		if r.Sample != nil && ((o.SampleEvery > 0 && r.step%o.SampleEvery == 0) || (o.SampleEvery == 0 && met.ValLoss != nil)) {
			prog.println("sample at step %d:\n%s\n", r.step, r.Sample(m))
		}
		if o.SaveEvery > 0 && r.step%o.SaveEvery == 0 {
			if err := r.save(checkpoints.Step(r.OutDir, r.step)); err != nil {
				return res, err
			}
		}
		if err := metrics.add(met); err != nil {
			return res, err
		}
		if met.ValLoss != nil {
			if err := metrics.plot(filepath.Join(r.OutDir, "loss.png")); err != nil {
				return res, err
			}
		}
		if r.step == r.StopAfter {
			res.Interrupted = true
			break
		}
	}
	res.Steps = r.step
	res.Latest = checkpoints.Latest(r.OutDir)
	res.Elapsed = time.Since(start)
	return res, nil
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// epoch is the fractional number of epochs done.
func (r *Run) epoch() float64 {
	ipe := r.loader.ItersPerEpoch()
	return float64(r.loader.Epoch()) + float64(r.loader.Iter())/float64(max(ipe, 1))
}

// evaluate returns the mean loss over the first EvalBatches batches of the
// validation tokens, read in order (the same batches every time), and false
// when there is no validation data or too little of it for one batch.
func (r *Run) evaluate() (float64, bool) {
	if r.ValData == nil {
		return 0, false
	}
	loss, _, err := Evaluate(r.Model, r.ValData, r.Opt.Batch, r.Opt.Context, max(r.Opt.EvalBatches, 1), nil)
	return loss, err == nil
}

// Evaluate returns the mean loss of m over up to maxBatches (0: all)
// batches of B×T tokens read in order from toks, and how many batches that
// was; it is what Train reports as the validation loss and what gpt eval
// prints. progress, if set, is called after each batch.
func Evaluate(m *model.Model, toks data.Tokens, B, T, maxBatches int, progress func(done, total int)) (loss float64, batches int, err error) {
	l, err := data.NewLoader(toks, B, T, 0, true)
	if err != nil {
		return 0, 0, err
	}
	n := l.ItersPerEpoch()
	if maxBatches > 0 {
		n = min(n, maxBatches)
	}
	if n == 0 {
		return 0, 0, fmt.Errorf("%s: fewer than %d windows of %d tokens, nothing to evaluate", toks.Name(), B, T+1)
	}
	in, tg := make([]int32, B*T), make([]int32, B*T)
	var sum float64
	for i := range n {
		if err := l.Next(in, tg); err != nil {
			return 0, 0, err
		}
		l, err := m.Forward(in, tg, B, T)
		if err != nil {
			return 0, 0, fmt.Errorf("%s: %v", toks.Name(), err)
		}
		sum += float64(l)
		if progress != nil {
			progress(i+1, n)
		}
	}
	return sum / float64(n), n, nil
}

// save writes a resumable checkpoint to path.
func (r *Run) save(path string) error {
	ls, err := json.Marshal(r.loader.State())
	if err != nil {
		return err
	}
	var h any = r.Opt
	if r.Hyper != nil {
		h = r.Hyper
	}
	hyper, err := json.Marshal(h)
	if err != nil {
		return err
	}
	opt := r.stepper.Opt
	ck := &checkpoints.Checkpoint{
		Config:    r.Model.Config,
		Tokenizer: r.Tokenizer,
		Params:    r.Model.Params,
		Train: &checkpoints.TrainState{
			Step: r.step, Epoch: r.loader.Epoch(), Loader: ls, Hyper: hyper, BestValLoss: r.bestVal,
			AdamW: checkpoints.AdamWState{Beta1: opt.Beta1, Beta2: opt.Beta2, Eps: opt.Eps,
				WeightDecay: opt.WeightDecay, Step: opt.Step, M: opt.M, V: opt.V},
		},
		Provenance: r.provenance(),
	}
	if err := checkpoints.Save(path, ck, checkpoints.SaveOptions{}); err != nil {
		return fmt.Errorf("saving checkpoint %s: %w", path, err)
	}
	return nil
}

func (r *Run) provenance() checkpoints.Provenance {
	p := checkpoints.NewProvenance()
	if r.Command != nil {
		p.Command = r.Command
	}
	return p
}
