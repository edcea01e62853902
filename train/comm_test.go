package train

import (
	"context"
	"testing"
)

// fakeTwo claims two ranks but is one process: enough to check what a run
// plans, not what it computes.
type fakeTwo struct{ solo }

func (fakeTwo) Size() int { return 2 }

// A run resumed on another number of ranks keeps its data position and,
// for an --epochs run, the number of steps it was planned with, so that
// its learning-rate schedule goes on where it was.
func TestRegroupedResume(t *testing.T) {
	dir := t.TempDir()
	opt := testOptions
	opt.MaxSteps, opt.Epochs = 0, 2
	r := newTestRunWith(t, dir, 3, nil, opt)
	total := r.Plan().TotalSteps
	if _, err := r.Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	from := storeFor(dir)[Latest]
	if from.Step != 3 {
		t.Fatalf("stopped at step %d", from.Step)
	}
	r2, err := NewRun(&Run{Model: from.Model, Tokenizer: from.Tokenizer, TrainData: testCorpus(3000, 32),
		OutDir: dir, Store: storeFor(dir), Opt: from.Opt, Comm: fakeTwo{}}, from)
	if err != nil {
		t.Fatal(err)
	}
	if r2.Regrouped != 1 || r2.Step() != 3 || r2.Opt.MaxSteps != total || r2.Plan().TotalSteps != total {
		t.Fatalf("regrouped %d, step %d, max steps %d, total %d; want 1, 3, %d, %d", r2.Regrouped, r2.Step(), r2.Opt.MaxSteps, r2.Plan().TotalSteps, total, total)
	}
	if got, want := r2.Plan().TokensPerStep, 2*r.Plan().TokensPerStep; got != want {
		t.Fatalf("tokens per step %d on 2 ranks, want %d", got, want)
	}
}
