package train

import (
	"fmt"

	"github.com/gptgo/gptgo/data"
	"github.com/gptgo/gptgo/model"
)

// Evaluate returns the mean loss of m over up to maxBatches (0: all)
// batches of B×T tokens read in order from toks, and how many batches that
// was; it is what Train reports as the validation loss and what gpt eval
// prints. progress, if set, is called after each batch.
func Evaluate(m *model.Model, toks data.Tokens, B, T, maxBatches int, progress func(done, total int)) (loss float64, batches int, err error) {
	l, err := data.NewLoader(toks, B, T, 0, true)
	if err != nil {
		return 0, 0, err
	}
	n := l.ItersPerEpoch()
	if maxBatches > 0 {
		n = min(n, maxBatches)
	}
	if n == 0 {
		return 0, 0, fmt.Errorf("%s: fewer than %d windows of %d tokens, nothing to evaluate", toks.Name(), B, T+1)
	}
	in, tg := make([]int32, B*T), make([]int32, B*T)
	var sum float64
	for i := range n {
		if err := l.Next(in, tg); err != nil {
			return 0, 0, err
		}
		l, err := m.Forward(in, tg, B, T)
		if err != nil {
			return 0, 0, fmt.Errorf("%s: %v", toks.Name(), err)
		}
		sum += float64(l)
		if progress != nil {
			progress(i+1, n)
		}
	}
	return sum / float64(n), n, nil
}

// EvalShape is the batch shape Evaluate uses on n tokens when no context is
// given: the model's context, shortened to fit the data (and the batch
// shrunk to what the data holds) so that short texts can be scored too.
func EvalShape(n, B, modelContext int) (batch, T int) {
	T = min(modelContext, max(n-1, 1))
	return max(min(B, (n-1)/T), 1), T
}
