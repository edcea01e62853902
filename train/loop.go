package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/gptgo/gptgo/data"
	"github.com/gptgo/gptgo/kernels"
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
	Seed        uint64  `json:"seed"`         // data order and dropout masks
	Sequential  bool    `json:"sequential"`   // read windows in file order, no shuffling
	Dropout     float64 `json:"dropout"`      // rate of the dropout layers in training; 0: none
	Zero        int     `json:"zero"`         // 1: shard AdamW's moments over the ranks (ZeRO-1)
	// AdamW's β1, β2 and ε. All three zero (an Options that never set
	// them, or a checkpoint older than them) means 0.9, 0.95 and 1e-8.
	Beta1 float64 `json:"beta1"`
	Beta2 float64 `json:"beta2"`
	Eps   float64 `json:"eps"`
	// Init is the model file a fine-tuning run started from ("" for a run
	// from random weights): where its weights came from, kept in every
	// checkpoint.
	Init string `json:"init,omitempty"`
	// Data is the token folder the run reads (written by gpt prepare),
	// recorded so a resume finds it; Train itself reads TrainData/ValData.
	Data string `json:"data"`
}

// PresetContext is the training context for a preset model when none is
// given: the model's, at most 256 tokens (a step at GPT-2's 1024 costs
// more than four times as much on a CPU).
func PresetContext(c model.Config) int { return min(c.Context, 256) }

// Run is one training run: a model, its data and where it writes.
type Run struct {
	Model     *model.Model
	Tokenizer tokenizer.Spec // embedded in checkpoints
	TrainData data.Tokens
	ValData   data.Tokens // may be nil, or no longer than a context: no evaluation
	Opt       Options
	OutDir    string

	// Sample, if set, returns a short text from the model; it is shown at
	// evaluations. It must not change training state.
	Sample func(m *model.Model) string
	// Observer receives the run's steps, evaluations, samples and
	// checkpoints as they happen; nil: none are reported.
	Observer Observer
	// Store keeps the run's snapshots (checkpoints); it is required.
	Store Store
	// Command is recorded in the snapshots.
	Command []string
	// StopAfter, if > 0, ends the run after that step as an interrupt would
	// (a checkpoint is written), leaving the schedule of the full run intact.
	StopAfter int
	// Comm, if set with more than one rank, trains data-parallel: each
	// global batch of Batch x ranks windows is split between the ranks,
	// and only rank 0 writes metrics, checkpoints and reports (see comm.go).
	Comm Comm
	// Regrouped is set by NewRun to the number of ranks the resumed run
	// had, when it differs from Comm's (0 otherwise).
	Regrouped int

	stepper   *Stepper
	loader    *data.Loader
	step      int
	bestVal   float64
	obs       Observer // Observer, or silent; set by Train
	guard     lossGuard
	saved     string // the latest snapshot written, and its step
	savedStep int
	resumed   bool // from a snapshot (of step savedStep, when saved is "")

	global, globalT []int32 // with several ranks, the whole global batch
}

// Result summarises a finished (or interrupted) run.
type Result struct {
	Steps       int
	Interrupted bool
	LastLoss    float64
	ValLoss     float64 // NaN when there was no evaluation
	Latest      string  // where the latest snapshot is kept (Store.Path)
	Elapsed     time.Duration
	CommTime    time.Duration // in the gradient all-reduce (data-parallel runs)
}

// ErrNonFinite is wrapped by the error returned when a loss or gradient
// norm is NaN or Inf, the loss leaves the range of a working model, or
// the weights to be saved are not finite (see diverge.go).
var ErrNonFinite = errors.New("training diverged")

// Plan describes the run before it starts.
type Plan struct {
	Params, TrainTokens, ValTokens int
	ItersPerEpoch, TotalSteps      int
	TokensPerStep                  int
	Epochs                         float64 // TotalSteps in passes over the training data
	FlopsPerStep                   float64
}

// NewRun prepares a run: the stepper, the loader, and (if from is not nil)
// the state of the snapshot it continues.
func NewRun(r *Run, from *Snapshot) (*Run, error) {
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
	if r.ValData != nil && r.ValData.Len() <= o.Context {
		r.ValData = nil // not one window to evaluate
	}
	if r.Comm == nil {
		r.Comm = solo{}
	}
	// Every rank reads the same global batches in the same order and
	// takes its share of each (nextShare).
	loader, err := data.NewLoader(r.TrainData, o.Batch*r.Comm.Size(), o.Context, o.Seed, o.Sequential)
	if err != nil {
		return nil, err
	}
	r.loader = loader
	if !(o.Dropout >= 0 && o.Dropout < 1) {
		return nil, fmt.Errorf("dropout %v outside [0, 1)", o.Dropout)
	}
	r.stepper = NewStepper(r.Model, o.GradClip)
	r.stepper.Comm = r.Comm
	if o.Zero == 1 && r.Comm.Size() > 1 {
		counts := shards(len(r.Model.Params), r.Comm.Size())
		lo := 0
		for _, c := range counts[:r.Comm.Rank()] {
			lo += c
		}
		r.stepper.Opt.Shard(lo, lo+counts[r.Comm.Rank()])
		r.stepper.Zero = true
	}
	a := r.stepper.Opt
	if o.Beta1 == 0 && o.Beta2 == 0 && o.Eps == 0 {
		o.Beta1, o.Beta2, o.Eps = DefaultBeta1, DefaultBeta2, DefaultEps
	}
	a.Beta1, a.Beta2, a.Eps, a.WeightDecay = float32(o.Beta1), float32(o.Beta2), float32(o.Eps), float32(o.WeightDecay)
	r.bestVal = math.MaxFloat64 // JSON has no Inf
	if r.Store == nil {
		return nil, fmt.Errorf("a run needs a Store for its checkpoints")
	}
	if from != nil {
		if err := r.restore(from); err != nil {
			return nil, fmt.Errorf("resuming: %v", err)
		}
		r.resumed, r.savedStep = true, from.Step
	}
	if r.Comm.Size() > 1 { // start from rank 0's weights, whatever each rank loaded
		if err := r.Comm.Broadcast(r.Model.Params, 0); err != nil {
			return nil, err
		}
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
		TokensPerStep: o.Batch * o.Context * o.GradAccum * r.Comm.Size(),
	}
	p.Epochs = float64(p.TotalSteps*o.GradAccum) / float64(max(p.ItersPerEpoch, 1))
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
// It appends a line per step to metrics.jsonl in OutDir and reports to
// Observer.
func (r *Run) Train(ctx context.Context) (res Result, err error) {
	total := r.totalSteps()
	if err := os.MkdirAll(r.OutDir, 0o755); err != nil {
		return Result{}, err
	}
	var metrics *metricsLog // nil on the other ranks: they write nothing
	var earlier []Metric
	var torn int
	r.obs = silent{}
	if r.primary() {
		path := filepath.Join(r.OutDir, MetricsFile)
		earlier, torn = readMetrics(path, r.step)
		var err error
		if metrics, err = createMetrics(path, earlier); err != nil {
			return Result{}, err
		}
		defer metrics.close()
		if r.Observer != nil {
			r.obs = r.Observer
		}
	}
	r.obs.Start(StartInfo{OutDir: r.OutDir, Earlier: earlier, Step: r.step, Total: total, Torn: torn})
	defer func() {
		if ferr := r.obs.Finish(res); err == nil {
			err = ferr
		}
	}()
	return r.loop(ctx, metrics, total)
}

// loop trains from the current step to total (or StopAfter, or until ctx
// is cancelled), adding a line per step to metrics.
func (r *Run) loop(ctx context.Context, metrics *metricsLog, total int) (Result, error) {
	o := r.Opt
	sched := Schedule{Max: o.LR, Min: o.MinLR, Warmup: o.Warmup, Total: total}
	b := newBatches(o.Batch, o.Context, o.GradAccum)
	res := Result{ValLoss: math.NaN()}
	p := pace{start: time.Now(), startStep: r.step, total: total}
	for r.step < total {
		stop, err := r.agree(ctx.Err() != nil)
		if err != nil {
			return res, err
		}
		if stop {
			res.Interrupted = true
			if err := metrics.sync(); err != nil {
				return res, err
			}
			if err := r.save(Latest, r.step); err != nil {
				return res, err
			}
			break
		}
		met, err := r.trainStep(b, sched.At(r.step), p)
		if err != nil {
			return res, err
		}
		res.LastLoss = met.Loss
		err = r.afterStep(&met, total, metrics)
		if met.ValLoss != nil {
			res.ValLoss = *met.ValLoss
		}
		if err != nil {
			return res, err
		}
		if r.step == r.StopAfter {
			res.Interrupted = true
			break
		}
	}
	res.Steps = r.step
	res.Latest = r.Store.Path(Latest, r.step)
	res.Elapsed = time.Since(p.start)
	res.CommTime = r.stepper.CommTime
	return res, nil
}

// batches are the token and target buffers of the micro-batches of one
// optimizer step.
type batches struct{ tokens, targets [][]int32 }

func newBatches(B, T, accum int) batches {
	b := batches{make([][]int32, accum), make([][]int32, accum)}
	for i := range b.tokens {
		b.tokens[i], b.targets[i] = make([]int32, B*T), make([]int32, B*T)
	}
	return b
}

// pace times one call of Train: the estimate of the time left comes from
// its mean step time.
type pace struct {
	start            time.Time
	startStep, total int
}

// eta estimates the time for the steps after step.
func (p pace) eta(step int) time.Duration {
	return time.Duration(float64(time.Since(p.start)) / float64(step-p.startStep) * float64(p.total-step))
}

// trainStep does one optimizer step at learning rate lr on the next
// batches, reports it and returns its metrics line (without a validation
// loss).
func (r *Run) trainStep(b batches, lr float64, p pace) (Metric, error) {
	o := r.Opt
	t0 := time.Now()
	for i := range b.tokens {
		if err := r.nextShare(b.tokens[i], b.targets[i]); err != nil {
			return Metric{}, err
		}
	}
	loss, norm, err := r.stepper.Step(b.tokens, b.targets, o.Batch, o.Context, float32(lr), r.dropout())
	if err != nil {
		return Metric{}, err
	}
	if !finite(float64(loss)) || !finite(norm) {
		return Metric{}, fmt.Errorf("%w at step %d: loss %v, gradient norm %v; %s",
			ErrNonFinite, r.step+1, loss, norm, r.lastGood())
	}
	if bad, limit := r.guard.check(float64(loss), r.Model.Config.VocabSize); bad {
		return Metric{}, fmt.Errorf("%w at step %d: loss %.4g is above %.4g (twice a uniform guess's, or three times the running level %.4g); %s",
			ErrNonFinite, r.step+1, loss, limit, r.guard.level, r.lastGood())
	}
	r.step++
	took := time.Since(t0)
	tps := float64(o.Batch*o.Context*o.GradAccum*r.Comm.Size()) / took.Seconds()
	met := Metric{Step: r.step, Epoch: r.epoch(), LR: lr, Loss: float64(loss), GradNorm: norm,
		TokPerS: tps, Elapsed: time.Since(p.start).Seconds()}
	r.obs.Step(StepInfo{Step: r.step, Epoch: met.Epoch, Loss: met.Loss, LR: lr, TokPerS: tps, GradNorm: norm,
		Took: took, ETA: p.eta(r.step)})
	return met, nil
}

// dropout returns the dropout of the coming step: its masks depend only on
// the seed and the step, so a resumed run draws the ones it would have.
func (r *Run) dropout() kernels.Dropout {
	if r.Opt.Dropout == 0 {
		return kernels.Dropout{}
	}
	return kernels.Dropout{P: float32(r.Opt.Dropout), Key: r.Opt.Seed ^ 0x6a09e667f3bcc908}.Sub(uint64(r.step))
}

// afterStep evaluates, writes the step's metrics line, saves and samples
// where the options ask for it after a step, setting met's validation
// loss when it evaluated. The line is synced before a save of its step,
// so a crash can lose a checkpoint's work, never a saved step's line.
func (r *Run) afterStep(met *Metric, total int, metrics *metricsLog) error {
	o := r.Opt
	last := r.step == total || r.step == r.StopAfter
	eval := (o.EvalEvery > 0 && r.step%o.EvalEvery == 0) || last
	saveStep := o.SaveEvery > 0 && r.step%o.SaveEvery == 0
	improved := false
	if eval {
		var err error
		if improved, err = r.evaluateInto(met); err != nil {
			return err
		}
	}
	if err := metrics.add(*met); err != nil {
		return err
	}
	if eval || saveStep {
		if err := metrics.sync(); err != nil {
			return err
		}
	}
	if eval {
		if err := r.saveEval(improved); err != nil {
			return err
		}
	}
	if r.Sample != nil && ((o.SampleEvery > 0 && r.step%o.SampleEvery == 0) || (o.SampleEvery == 0 && met.ValLoss != nil)) {
		r.obs.Sample(r.step, r.Sample(r.Model))
	}
	if saveStep {
		return r.save(Steps, r.step)
	}
	return nil
}

// evaluateInto evaluates on the validation data, if there is enough of
// it, setting met's validation loss, and reports whether it is a new best
// (which becomes the run's best).
func (r *Run) evaluateInto(met *Metric) (best bool, err error) {
	v, ok := r.evaluate()
	if !ok {
		return false, nil
	}
	if !finite(v) {
		return false, fmt.Errorf("%w at step %d: validation loss %v; %s", ErrNonFinite, r.step, v, r.lastGood())
	}
	met.ValLoss = &v
	r.obs.Eval(EvalInfo{Step: r.step, TrainLoss: met.Loss, ValLoss: v})
	if v >= r.bestVal {
		return false, nil
	}
	r.bestVal = v // recorded in the snapshots saved next
	return true, nil
}

// saveEval keeps the best checkpoint when the evaluation improved on it,
// then writes the latest.
func (r *Run) saveEval(improved bool) error {
	if improved {
		if err := r.save(Best, r.step); err != nil {
			return err
		}
	}
	return r.save(Latest, r.step)
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

// save keeps a snapshot of kind in the Store and reports where. Weights
// that are not finite are not saved.
func (r *Run) save(kind string, step int) error {
	path := r.Store.Path(kind, step)
	if i := firstNonFinite(r.Model.Params); i >= 0 {
		return fmt.Errorf("%w at step %d: parameter %d is %v, so %s is not written; %s",
			ErrNonFinite, step, i, r.Model.Params[i], path, r.lastGood())
	}
	snap := r.snapshot()
	if r.stepper.Zero { // every rank takes part in gathering the moments
		full, err := r.gatherMoments()
		if err != nil {
			return err
		}
		snap.AdamW = full
	}
	if !r.primary() { // the ranks hold the same weights: rank 0 writes them
		if kind == Latest {
			r.saved, r.savedStep = path, step
		}
		return nil
	}
	if err := r.Store.Save(path, snap); err != nil {
		return fmt.Errorf("saving checkpoint %s: %w", path, err)
	}
	if kind == Latest {
		r.saved, r.savedStep = path, step
	}
	name := kind
	if kind == Steps {
		name = fmt.Sprintf("step-%d", step)
	}
	r.obs.Saved(SavedInfo{Path: path, Kind: name, Step: step})
	return nil
}
