package main

import "github.com/gptgo/gptgo/model"

// checkMemory refuses a run whose training step would not fit in the
// memory this machine has available (model.TrainBytes against the
// kernel's MemAvailable), before anything is allocated.
func checkMemory(c model.Config, B, T int, dropout bool) error {
	return checkMemoryBeyond(c, B, T, dropout, 0)
}

// checkMemoryBeyond is checkMemory for a run of which resident bytes are
// allocated already (a resumed run's model and optimizer state).
func checkMemoryBeyond(c model.Config, B, T int, dropout bool, resident float64) error {
	need, avail := model.TrainBytes(c, B, T, dropout)-resident, availableMemory()
	if avail > 0 && need > 0.9*avail && resident > 0 {
		return errorf("the resumed run needs about %.3g GB more (activations at batch %d, context %d) and %.3g GB is available: free memory, or resume on a larger machine",
			need/1e9, B, T, avail/1e9)
	}
	if avail > 0 && need > 0.9*avail {
		return errorf("the run needs about %.3g GB (weights, gradients, AdamW moments and activations at batch %d, context %d) and %.3g GB is available: lower --batch or --context, or train a smaller model",
			need/1e9, B, T, avail/1e9)
	}
	return nil
}
