package train

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
)

// The loss guard's rule: above twice a uniform guess's loss at once, and
// above three times the running level once ten steps have set it.
func TestLossGuard(t *testing.T) {
	const V = 257 // 2 ln V = 11.10
	var g lossGuard
	if bad, _ := g.check(11.5, V); !bad {
		t.Fatal("a first loss above 2 ln V passed")
	}
	g = lossGuard{}
	for range 20 {
		if bad, _ := g.check(5.5, V); bad {
			t.Fatal("a steady loss tripped the guard")
		}
	}
	g2 := g
	if bad, limit := g.check(16, V); bad || math.Abs(limit-16.5) > 1e-9 {
		t.Fatalf("16 against a level of 5.5: diverged %v, limit %v (want 16.5)", bad, limit)
	}
	if bad, _ := g2.check(17, V); !bad {
		t.Fatal("17 against a level of 5.5 passed")
	}
}

// A finite loss far above its level stops the run before anything of the
// bad state is saved, naming the step and the checkpoint still good.
func TestLossBlowupStopsTraining(t *testing.T) {
	dir := t.TempDir()
	if _, err := newTestRun(t, dir, 4, nil).Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	before := storeFor(dir)[Latest]
	r := newTestRun(t, dir, 0, before)
	for i := range r.Model.P.WTE { // logits in the thousands: a finite, absurd loss
		r.Model.P.WTE[i] *= 1000
	}
	_, err := r.Train(context.Background())
	if !errors.Is(err, ErrNonFinite) || !strings.Contains(err.Error(), "at step 5: loss") ||
		!strings.Contains(err.Error(), "the checkpoint the run resumed from (step 4) is unchanged") {
		t.Fatalf("err = %v", err)
	}
	if after := storeFor(dir)[Latest]; after != before {
		t.Error("the last good checkpoint changed")
	}
}

// corrupter sets a parameter to NaN after a given step, as a bug or a bad
// kernel would, without touching the loss of that step.
type corrupter struct {
	silent
	r    *Run
	step int
}

func (c corrupter) Step(s StepInfo) {
	if s.Step == c.step {
		c.r.Model.Params[len(c.r.Model.Params)-1] = float32(math.NaN())
	}
}

// Weights that are not finite are never saved: the save refuses them and
// names the checkpoint still good.
func TestNonFiniteWeightsAreNotSaved(t *testing.T) {
	dir := t.TempDir()
	r := newTestRun(t, dir, 0, nil)
	r.ValData = nil                       // no evaluation to notice first
	r.Observer = corrupter{r: r, step: 8} // saves at 4, 8, ...
	_, err := r.Train(context.Background())
	if !errors.Is(err, ErrNonFinite) || !strings.Contains(err.Error(), "at step 8: parameter") ||
		!strings.Contains(err.Error(), "is NaN") || !strings.Contains(err.Error(), "(step 4), is unchanged") {
		t.Fatalf("err = %v", err)
	}
	if got := storeFor(dir)[Latest]; got == nil || got.Step != 4 {
		t.Fatalf("latest snapshot: %+v, want step 4's", got)
	}
}

// A validation loss that is not finite is an error, not a result.
func TestNonFiniteValLossStops(t *testing.T) {
	dir := t.TempDir()
	r := newTestRun(t, dir, 0, nil)
	r.Observer = corrupter{r: r, step: 8}
	_, err := r.Train(context.Background())
	if !errors.Is(err, ErrNonFinite) || !strings.Contains(err.Error(), "at step 8: validation loss NaN") {
		t.Fatalf("err = %v", err)
	}
	if got := storeFor(dir)[Latest]; got == nil || got.Step != 4 {
		t.Fatalf("latest snapshot: %+v, want step 4's", got)
	}
}
