package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/gptgo/gptgo/train"
)

// clock is a test clock that advances a second at each reading.
func clock() func() time.Time {
	t := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	return func() time.Time { t = t.Add(time.Second); return t }
}

func step(n int) train.StepInfo {
	return train.StepInfo{Step: n, Epoch: float64(n) / 10, Loss: 4 - float64(n)/10, LR: 1e-3, TokPerS: 1234,
		Took: 25 * time.Millisecond, ETA: time.Duration(30-n) * time.Second}
}

// script tells r about a run of 30 steps from step 0 that evaluates and
// samples at step 10.
func script(r *Training, dir string) error {
	r.Start(train.StartInfo{OutDir: dir, Total: 30})
	for n := 1; n <= 30; n++ {
		r.Step(step(n))
		if n == 10 {
			r.Eval(train.EvalInfo{Step: 10, TrainLoss: 3, ValLoss: 3.25})
			r.Sample(10, "The fox")
			r.Saved(train.SavedInfo{Path: dir + "/latest.ckpt", Kind: "latest", Step: 10})
		}
	}
	return r.Finish(train.Result{Steps: 30})
}

// Without a terminal, a run prints the first step, a line every 10 s (the
// clock advances 1 s a step), the last step, and the messages.
func TestTrainingLogLines(t *testing.T) {
	var out bytes.Buffer
	r := NewTraining(&out, Auto)
	r.now = clock()
	if err := script(r, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	want := `step 1/30  epoch 0.10  loss 3.9000  1234 tok/s  lr 1.00e-03  eta 29s
step 1 took 25 ms: estimated time for 30 steps 29s
step 10: train loss 3.0000, val loss 3.2500
sample at step 10:
The fox

step 11/30  epoch 1.10  loss 2.9000  1234 tok/s  lr 1.00e-03  eta 19s
step 21/30  epoch 2.10  loss 1.9000  1234 tok/s  lr 1.00e-03  eta 9s
step 30/30  epoch 3.00  loss 1.0000  1234 tok/s  lr 1.00e-03  eta 0s
`
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}

// A resumed run prints its first step and the estimate for the steps left.
func TestTrainingLogLinesResumed(t *testing.T) {
	var out bytes.Buffer
	r := NewTraining(&out, Auto)
	r.now = clock()
	r.Start(train.StartInfo{OutDir: t.TempDir(), Step: 20, Total: 30})
	r.Step(step(21))
	r.Step(step(22))
	want := `step 21/30  epoch 2.10  loss 1.9000  1234 tok/s  lr 1.00e-03  eta 9s
step 1 took 25 ms: estimated time for 10 steps 9s
`
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}

// Off prints no step lines, but the estimate, the evaluation and the sample.
func TestTrainingOff(t *testing.T) {
	var out bytes.Buffer
	r := NewTraining(&out, Off)
	r.now = clock()
	if err := script(r, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	want := `step 1 took 25 ms: estimated time for 30 steps 29s
step 10: train loss 3.0000, val loss 3.2500
sample at step 10:
The fox

`
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}

// On draws a bar even into a buffer, and the messages are written whole
// after clearing it.
func TestTrainingOn(t *testing.T) {
	var out bytes.Buffer
	r := NewTraining(&out, On)
	if err := script(r, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	s := out.String()
	for _, want := range []string{"\r", "/30", "\rstep 10: train loss 3.0000, val loss 3.2500\n", "\rsample at step 10:\nThe fox\n\n"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%q", want, s)
		}
	}
	if strings.Contains(s, "step 11/30") {
		t.Errorf("log lines with a bar:\n%q", s)
	}
}

// A loss.png that cannot be drawn does not stop the reports; Finish
// returns the error.
func TestTrainingPlotError(t *testing.T) {
	var out bytes.Buffer
	r := NewTraining(&out, Off)
	err := script(r, t.TempDir()+"/missing")
	if err == nil || !strings.Contains(err.Error(), "loss.png") {
		t.Errorf("Finish returned %v, want an error about loss.png", err)
	}
	if !strings.Contains(out.String(), "sample at step 10") {
		t.Errorf("reports stopped after the error:\n%s", out.String())
	}
}
