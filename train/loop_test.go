package train

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/gptgo/gptgo/data"
	"github.com/gptgo/gptgo/model"
	"github.com/gptgo/gptgo/tokenizer"
)

func testCorpus(n, vocab int) data.Slice {
	ids := make([]int32, n)
	x := uint32(1)
	for i := range ids { // a repetitive sequence a model can learn
		x = x*1664525 + 1013904223
		ids[i] = int32((i%7)*3+int(x>>29)) % int32(vocab)
	}
	return data.Slice{Label: "synthetic", IDs: ids}
}

// testOptions are the options of every test run.
var testOptions = Options{Batch: 4, Context: 16, MaxSteps: 12, LR: 3e-3, MinLR: 3e-4, Warmup: 3, WeightDecay: 0.1,
	GradClip: 1, GradAccum: 2, EvalEvery: 4, EvalBatches: 2, Seed: 9, Beta1: 0.9, Beta2: 0.95, Eps: 1e-8}

// stores holds each test run folder's snapshots.
var stores = map[string]MemoryStore{}

func storeFor(dir string) MemoryStore {
	if stores[dir] == nil {
		stores[dir] = MemoryStore{}
	}
	return stores[dir]
}

func newTestRun(t *testing.T, dir string, stopAfter int, from *Snapshot) *Run {
	t.Helper()
	return newTestRunWith(t, dir, stopAfter, from, testOptions)
}

// newTestRunWith is newTestRun with options opt.
func newTestRunWith(t *testing.T, dir string, stopAfter int, from *Snapshot, opt Options) *Run {
	t.Helper()
	c := model.Config{VocabSize: 257, Context: 16, Layers: 2, Heads: 2, Embd: 16, Activation: model.GELU} // the byte tokenizer's vocabulary
	var m *model.Model
	var err error
	if from != nil {
		m = from.Model
		if from.Opt != opt {
			t.Fatalf("resumed options %+v, want %+v", from.Opt, opt)
		}
	} else {
		m, err = model.New(c, 3)
	}
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRun(&Run{Model: m, Tokenizer: tokenizer.Spec{Name: "byte"},
		TrainData: testCorpus(3000, 32), ValData: testCorpus(400, 32), OutDir: dir, StopAfter: stopAfter,
		Store: storeFor(dir), Opt: opt}, from)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func readLosses(t *testing.T, dir string) []float64 {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	var out []float64
	dec := json.NewDecoder(bytes.NewReader(b))
	for {
		var m Metric
		if dec.Decode(&m) != nil {
			return out
		}
		out = append(out, m.Loss)
	}
}

// Training 12 steps in one go, and 5 steps, stop, resume from the
// checkpoint, 7 more steps, give bit-identical losses and parameters.
func TestResumeIsExact(t *testing.T) {
	plain := resumeIsExact(t, testOptions)
	// With dropout, other betas and eps, and windows in file order too;
	// and those options change the run.
	opt := testOptions
	opt.Dropout, opt.Beta1, opt.Beta2, opt.Eps, opt.Sequential = 0.2, 0.8, 0.99, 1e-6, true
	other := resumeIsExact(t, opt)
	if plain[0] == other[0] || plain[11] == other[11] {
		t.Fatalf("dropout, betas and order left the losses %v ... %v unchanged", plain[0], plain[11])
	}
}

// resumeIsExact checks TestResumeIsExact's claim for opt and returns the
// losses of the run.
func resumeIsExact(t *testing.T, opt Options) []float64 {
	oneGo, split := t.TempDir(), t.TempDir()
	r := newTestRunWith(t, oneGo, 0, nil, opt)
	res, err := r.Train(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Steps != 12 || res.Interrupted {
		t.Fatalf("one-go run: %+v", res)
	}
	want := r.Model.Params

	r1 := newTestRunWith(t, split, 5, nil, opt)
	if res, err := r1.Train(context.Background()); err != nil || !res.Interrupted || res.Steps != 5 {
		t.Fatalf("first half: %+v, %v", res, err)
	}
	r2 := newTestRunWith(t, split, 0, storeFor(split)[Latest], opt)
	if r2.Step() != 5 {
		t.Fatalf("resumed at step %d, want 5", r2.Step())
	}
	if res, err := r2.Train(context.Background()); err != nil || res.Steps != 12 {
		t.Fatalf("second half: %+v, %v", res, err)
	}
	a, b := readLosses(t, oneGo), readLosses(t, split)
	if len(a) != 12 || len(b) != 12 {
		t.Fatalf("metrics hold %d and %d steps, want 12 each", len(a), len(b))
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			t.Fatalf("step %d: loss %v in one go, %v with a resume", i+1, a[i], b[i])
		}
	}
	for i := range want {
		if math.Float32bits(want[i]) != math.Float32bits(r2.Model.Params[i]) {
			t.Fatalf("parameter %d differs after resume: %v vs %v", i, want[i], r2.Model.Params[i])
		}
	}
	if a[11] >= a[0] {
		t.Errorf("loss did not fall: %v -> %v", a[0], a[11])
	}
	for _, k := range []string{Best, Latest} { // files: see checkpoints/runfile; loss.png: internal/report
		if storeFor(split)[k] == nil {
			t.Errorf("no %s snapshot", k)
		}
	}
	return a
}

// A cancelled context ends the run after the current step with a checkpoint.
func TestInterruptSaves(t *testing.T) {
	dir := t.TempDir()
	r := newTestRun(t, dir, 0, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := r.Train(ctx)
	if err != nil || !res.Interrupted {
		t.Fatalf("%+v, %v", res, err)
	}
	if s := storeFor(dir)[Latest]; s == nil || s.Step != res.Steps {
		t.Fatalf("no snapshot of step %d after an interrupt: %+v", res.Steps, s)
	}
}

// A non-finite loss stops training with an error naming the step and leaves
// the last good checkpoint as it was.
func TestNaNStopsTraining(t *testing.T) {
	dir := t.TempDir()
	r := newTestRun(t, dir, 4, nil)
	if _, err := r.Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	before := storeFor(dir)[Latest]
	r2 := newTestRun(t, dir, 0, before)
	r2.Model.Params[0] = float32(math.NaN())
	_, err := r2.Train(context.Background())
	if err == nil || !errors.Is(err, ErrNonFinite) {
		t.Fatalf("err = %v, want ErrNonFinite", err)
	}
	if want := "at step 5"; !bytes.Contains([]byte(err.Error()), []byte(want)) {
		t.Errorf("error %q does not name the step (%q)", err, want)
	}
	if after := storeFor(dir)[Latest]; after != before || after.Step != 4 {
		t.Error("the last good checkpoint changed")
	}
}
