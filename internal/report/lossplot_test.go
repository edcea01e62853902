package report

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/gptgo/gptgo/checkpoints/runfile"
	"github.com/gptgo/gptgo/data"
	"github.com/gptgo/gptgo/model"
	"github.com/gptgo/gptgo/tokenizer"
	"github.com/gptgo/gptgo/train"
)

// checkPNG checks that dir holds a loss.png of 8x5 inches at 96 dpi and no
// temporary file.
func checkPNG(t *testing.T, dir string) {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "loss.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := png.DecodeConfig(f)
	if err != nil {
		t.Fatalf("loss.png: %v", err)
	}
	if c.Width != 768 || c.Height != 480 {
		t.Errorf("loss.png is %dx%d, want 768x480", c.Width, c.Height)
	}
	if _, err := os.Stat(filepath.Join(dir, "loss.png.tmp.png")); err == nil {
		t.Error("the temporary file was left behind")
	}
}

// The plot of a resumed run holds the points of the earlier steps.
func TestLossPlotKeepsEarlierPoints(t *testing.T) {
	dir := t.TempDir()
	var earlier []train.Metric
	for n := 1; n <= 5; n++ {
		m := train.Metric{Step: n, Loss: 5 - float64(n)/2}
		if n%2 == 0 {
			v := m.Loss + 0.1
			m.ValLoss = &v
		}
		earlier = append(earlier, m)
	}
	r := NewTraining(&bytes.Buffer{}, Off)
	r.Start(train.StartInfo{OutDir: dir, Earlier: earlier, Step: 5, Total: 8})
	for n := 6; n <= 8; n++ {
		r.Step(step(n))
	}
	r.Eval(train.EvalInfo{Step: 8, TrainLoss: 1, ValLoss: 1.5})
	if err := r.Finish(train.Result{}); err != nil {
		t.Fatal(err)
	}
	if c := r.curves; len(c.trainSteps) != 8 || len(c.valSteps) != 3 || c.valSteps[0] != 2 || c.valSteps[2] != 8 {
		t.Errorf("curves: train steps %v, val steps %v; want 1..8 and 2, 4, 8", c.trainSteps, c.valSteps)
	}
	checkPNG(t, dir)
}

func tinyRun(t *testing.T, dir string, stopAfter int, from *train.Snapshot, obs train.Observer) *train.Run {
	t.Helper()
	var m *model.Model
	var err error
	if from != nil {
		m = from.Model
	} else {
		m, err = model.New(model.Config{VocabSize: 257, Context: 8, Layers: 1, Heads: 1, Embd: 8, Activation: model.GELU}, 1)
	}
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int32, 600)
	for i := range ids {
		ids[i] = int32(i % 16)
	}
	r, err := train.NewRun(&train.Run{Model: m, Tokenizer: tokenizer.Spec{Name: "byte"}, OutDir: dir, Store: runfile.Store{Dir: dir}, Observer: obs,
		TrainData: data.Slice{Label: "t", IDs: ids}, ValData: data.Slice{Label: "v", IDs: ids[:200]}, StopAfter: stopAfter,
		Opt: train.Options{Batch: 2, Context: 8, MaxSteps: 8, LR: 1e-3, EvalEvery: 4, EvalBatches: 1}}, from)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// A run stopped at step 3 and resumed to 8 with the reporter draws all 8
// steps and the evaluations at 3, 4 and 8, the earlier ones read back by
// train from metrics.jsonl.
func TestLossPlotOfResumedRun(t *testing.T) {
	dir := t.TempDir()
	if _, err := tinyRun(t, dir, 3, nil, NewTraining(&bytes.Buffer{}, Off)).Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	from, _, _, err := runfile.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	rep := NewTraining(&bytes.Buffer{}, Off)
	if _, err := tinyRun(t, dir, 0, from, rep).Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c := rep.curves; len(c.trainSteps) != 8 || len(c.valSteps) != 3 || c.valSteps[0] != 3 {
		t.Errorf("curves: train steps %v, val steps %v; want 1..8 and 3, 4, 8", c.trainSteps, c.valSteps)
	}
	checkPNG(t, dir)
}
