package train

import "time"

// Observer receives what a training run reports as it goes. Train calls it
// from its own goroutine, in order: Start once before the first step; per
// step Step, then Eval if the step evaluated, Sample if it sampled and Saved
// for each checkpoint written; Finish once when Train returns. Run.Observer
// nil reports nothing.
type Observer interface {
	// Start is called after metrics.jsonl is opened, before the first step.
	Start(s StartInfo)
	// Step is called after each optimizer step.
	Step(s StepInfo)
	// Eval is called after each evaluation on the validation data.
	Eval(e EvalInfo)
	// Sample is called with the text Run.Sample returned at a step.
	Sample(step int, text string)
	// Saved is called after a checkpoint is written.
	Saved(c SavedInfo)
	// Finish is called once when Train returns, with the result so far,
	// also when training failed. Train returns its error (a report the
	// observer could not write) when training itself succeeded.
	Finish(res Result) error
}

// StartInfo describes a run as its first step begins.
type StartInfo struct {
	OutDir  string   // the run folder
	Earlier []Metric // metrics.jsonl lines kept from the steps already done (a resumed run's curve so far)
	Step    int      // steps already done: 0, or the step a resumed run continues from
	Total   int      // planned steps of the whole run
	Torn    int      // lines of metrics.jsonl dropped because they did not decode (a crash mid-write)
}

// StepInfo is one finished optimizer step.
type StepInfo struct {
	Step     int           // 1-based over the whole run (a resumed run continues the count)
	Epoch    float64       // fractional epochs done
	Loss     float64       // mean training loss of the step's micro-batches
	LR       float64       // learning rate of the step
	TokPerS  float64       // training tokens per second of the step
	GradNorm float64       // gradient norm before clipping
	Took     time.Duration // wall time of the step
	ETA      time.Duration // estimated time for the remaining steps, from this invocation's mean
}

// EvalInfo is the result of an evaluation at a step.
type EvalInfo struct {
	Step      int
	TrainLoss float64 // the training loss of the step
	ValLoss   float64 // mean loss on the validation batches
}

// SavedInfo is a checkpoint Train wrote.
type SavedInfo struct {
	Path string
	Kind string // "latest", "best" or "step-N"
	Step int    // steps done when it was saved
}

// silent is the Observer of a run without one.
type silent struct{}

func (silent) Start(StartInfo)         {}
func (silent) Step(StepInfo)           {}
func (silent) Eval(EvalInfo)           {}
func (silent) Sample(int, string)      {}
func (silent) Saved(SavedInfo)         {}
func (silent) Finish(res Result) error { return nil }
