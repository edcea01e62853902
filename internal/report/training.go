package report

import (
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/gptgo/gptgo/train"
)

// Training is a train.Observer that shows a run as gpt train does: a live
// bar, or a log line every 10 s (Mode decides), the first step's time
// estimate, the losses of each evaluation and the samples; after each
// evaluation it redraws loss.png in the run folder, the points of earlier
// steps of a resumed run included.
type Training struct {
	w        io.Writer
	mode     Mode
	every    time.Duration    // between log lines
	now      func() time.Time // the clock of the log lines
	bar      *progressbar.ProgressBar
	lastLine time.Time
	start    int // steps done before this call of Train
	total    int
	plotPath string
	curves   lossCurves
	err      error // the first loss.png that could not be drawn
}

var _ train.Observer = (*Training)(nil)

// NewTraining returns a reporter that writes to w in mode m.
func NewTraining(w io.Writer, m Mode) *Training {
	return &Training{w: w, mode: m, every: 10 * time.Second, now: time.Now}
}

// Start draws the bar at the run's step and takes the earlier points of
// the loss curves.
func (t *Training) Start(s train.StartInfo) {
	t.start, t.total = s.Step, s.Total
	t.plotPath = filepath.Join(s.OutDir, "loss.png")
	if s.Torn > 0 {
		fmt.Fprintf(t.w, "note: dropped %d line(s) of metrics.jsonl that do not decode (torn by a crash); the others are kept\n", s.Torn)
	}
	for _, m := range s.Earlier {
		t.curves.addMetric(m)
	}
	if t.mode.bar(t.w) {
		t.bar = newBar(t.w, s.Total, "")
		_ = t.bar.Set(s.Step)
	}
}

// Step moves the bar or writes a log line (at the first and last steps
// and every 10 s); after this call's first step it prints the estimate of
// the time the run will take.
func (t *Training) Step(s train.StepInfo) {
	t.curves.addTrain(s.Step, s.Loss)
	desc := fmt.Sprintf("epoch %.2f  loss %.4f  %.0f tok/s  lr %.2e", s.Epoch, s.Loss, s.TokPerS, s.LR)
	switch {
	case t.bar != nil:
		t.bar.Describe(desc)
		_ = t.bar.Set(s.Step)
	case t.mode != Off:
		if now := t.now(); s.Step == 1 || s.Step == t.total || now.Sub(t.lastLine) >= t.every {
			t.lastLine = now
			fmt.Fprintf(t.w, "step %d/%d  %s  eta %s\n", s.Step, t.total, desc, s.ETA.Round(time.Second))
		}
	}
	if s.Step == t.start+1 {
		t.println("step 1 took %.0f ms: estimated time for %d steps %s", s.Took.Seconds()*1e3, t.total-t.start, s.ETA.Round(time.Second))
	}
}

// Eval prints the losses and redraws loss.png.
func (t *Training) Eval(e train.EvalInfo) {
	t.println("step %d: train loss %.4f, val loss %.4f", e.Step, e.TrainLoss, e.ValLoss)
	t.curves.addVal(e.Step, e.ValLoss)
	if err := t.curves.plot(t.plotPath); err != nil && t.err == nil {
		t.err = err
	}
}

// Sample prints the text.
func (t *Training) Sample(step int, text string) {
	t.println("sample at step %d:\n%s\n", step, text)
}

// Saved prints nothing: the command names the checkpoints at the end.
func (t *Training) Saved(train.SavedInfo) {}

// Finish clears the bar and returns the first error drawing loss.png.
func (t *Training) Finish(train.Result) error {
	if t.bar != nil {
		_ = t.bar.Finish()
	}
	return t.err
}

// println writes a line without tearing the bar.
func (t *Training) println(format string, a ...any) {
	if t.bar != nil {
		_ = t.bar.Clear()
	}
	fmt.Fprintf(t.w, format+"\n", a...)
	if t.bar != nil {
		_ = t.bar.RenderBlank()
	}
}
