package train

import (
	"fmt"
	"math"
)

// The divergence guard. Besides a NaN or infinite loss or gradient norm,
// a run stops when its loss leaves the range a working model can be in:
//
//	loss > max(2 ln V, 3 × level)
//
// where V is the vocabulary and level the running mean of the loss (an
// exponential average, weight 0.1 per step, starting at the first step's
// loss; the 3× term applies once 10 steps have fed it). A model that
// guesses uniformly scores ln V, so twice that is worse than knowing
// nothing by a wide margin, and a loss three times its recent level is a
// blow-up, not noise. A save also refuses weights that are not finite. In
// both cases nothing of the bad state is written, and the error names the
// step and the checkpoint that is still good.

// lossGuard tracks the running level of the loss.
type lossGuard struct {
	level float64
	seen  int
}

// check reports whether loss at this step is a divergence for a vocabulary
// of V tokens, then feeds it into the level.
func (g *lossGuard) check(loss float64, V int) (diverged bool, limit float64) {
	limit = 2 * math.Log(float64(V))
	if g.seen >= 10 {
		limit = max(limit, 3*g.level)
	}
	if loss > limit {
		return true, limit
	}
	if g.seen == 0 {
		g.level = loss
	}
	g.level = 0.9*g.level + 0.1*loss
	g.seen++
	return false, limit
}

// lastGood names the checkpoint a diverged run leaves as it was.
func (r *Run) lastGood() string {
	switch {
	case r.saved == "" && r.resumed:
		return fmt.Sprintf("the checkpoint the run resumed from (step %d) is unchanged", r.savedStep)
	case r.saved == "":
		return "no checkpoint was written"
	}
	return fmt.Sprintf("the last good checkpoint, %s (step %d), is unchanged", r.saved, r.savedStep)
}

// firstNonFinite is the index of the first NaN or infinite value of x, or
// -1.
func firstNonFinite(x []float32) int {
	for i, v := range x {
		if v-v != 0 { // NaN - NaN and Inf - Inf are NaN
			return i
		}
	}
	return -1
}
