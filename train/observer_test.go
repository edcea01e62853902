package train

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/gptgo/gptgo/model"
)

// recorder is an Observer that writes down what it is told.
type recorder struct {
	events []string
	steps  []int
	start  StartInfo
	evals  []EvalInfo
	saved  []SavedInfo
}

func (r *recorder) Start(s StartInfo) { r.start = s; r.events = append(r.events, "start") }
func (r *recorder) Step(s StepInfo) {
	r.steps = append(r.steps, s.Step)
	r.events = append(r.events, fmt.Sprintf("step %d", s.Step))
}
func (r *recorder) Eval(e EvalInfo) {
	r.evals = append(r.evals, e)
	r.events = append(r.events, fmt.Sprintf("eval %d", e.Step))
}
func (r *recorder) Sample(step int, text string) {
	r.events = append(r.events, fmt.Sprintf("sample %d %s", step, text))
}
func (r *recorder) Saved(c SavedInfo) {
	r.saved = append(r.saved, c)
	r.events = append(r.events, fmt.Sprintf("saved %s %d", c.Kind, c.Step))
}
func (r *recorder) Finish(res Result) error {
	r.events = append(r.events, fmt.Sprintf("finish %d", res.Steps))
	return nil
}

// A run tells its observer: start, steps 1..N in order, an evaluation and
// a latest checkpoint every EvalEvery steps and at the end, then finish.
func TestObserverSeesTheRun(t *testing.T) {
	dir := t.TempDir()
	r := newTestRun(t, dir, 0, nil)
	r.Opt.SaveEvery = 6
	r.Sample = func(*model.Model) string { return "text" }
	rec := &recorder{}
	r.Observer = rec
	if _, err := r.Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	if rec.events[0] != "start" || rec.start.Step != 0 || rec.start.Total != 12 || rec.start.OutDir != dir || len(rec.start.Earlier) != 0 {
		t.Errorf("start %+v (first event %q)", rec.start, rec.events[0])
	}
	for i, s := range rec.steps {
		if s != i+1 {
			t.Fatalf("steps reported %v, want 1..12", rec.steps)
		}
	}
	if len(rec.steps) != 12 {
		t.Fatalf("%d steps reported, want 12", len(rec.steps))
	}
	if n := len(rec.evals); n != 3 || rec.evals[n-1].Step != 12 {
		t.Errorf("evaluations %+v, want at steps 4, 8, 12", rec.evals)
	}
	if last := rec.events[len(rec.events)-1]; last != "finish 12" {
		t.Errorf("last event %q, want finish 12", last)
	}
	got := strings.Join(rec.events, "\n")
	for _, want := range []string{"step 4\neval 4\n", "sample 4 text\n", "saved latest 4\n", "saved step-6 6\n", "step 12\neval 12\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("events lack %q:\n%s", want, got)
		}
	}
	for _, c := range rec.saved {
		if c.Kind == "latest" && c.Path != Latest || c.Kind == "step-6" && c.Path != "step-6" {
			t.Errorf("saved %+v", c)
		}
	}
}

// A resumed run starts at its step with the metrics lines of the steps
// before, and reports the steps after it.
func TestObserverOnResume(t *testing.T) {
	dir := t.TempDir()
	if _, err := newTestRun(t, dir, 5, nil).Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	r := newTestRun(t, dir, 0, storeFor(dir)[Latest])
	rec := &recorder{}
	r.Observer = rec
	if _, err := r.Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	if rec.start.Step != 5 || len(rec.start.Earlier) != 5 || rec.start.Earlier[4].Step != 5 || rec.start.Earlier[4].ValLoss == nil {
		t.Errorf("start %+v", rec.start)
	}
	if len(rec.steps) != 7 || rec.steps[0] != 6 || rec.steps[6] != 12 {
		t.Errorf("steps %v, want 6..12", rec.steps)
	}
}
