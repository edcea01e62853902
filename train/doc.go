// Package train holds what turns gradients into a trained model: the AdamW
// optimizer, global-norm gradient clipping, the learning-rate schedule, and
// the training loop with evaluation, metrics (metrics.jsonl) and
// checkpoints. A run reports its progress through an Observer and draws
// nothing itself; internal/report presents it.
package train
