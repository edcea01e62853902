// Package train holds what turns gradients into a trained model: the AdamW
// optimizer, global-norm gradient clipping, the learning-rate schedule, and
// the training loop with evaluation, metrics and checkpoints.
package train
