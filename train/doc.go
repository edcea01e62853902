// Package train holds what turns gradients into a trained model: the AdamW
// optimizer, global-norm gradient clipping, the learning-rate schedule, and
// the training loop with evaluation and metrics (metrics.jsonl). A run keeps
// its state as Snapshots through a Store (checkpoints/runfile writes them as
// checkpoint files) and reports its progress through an Observer; it draws
// nothing itself (internal/report presents it) and imports neither the
// file formats nor the inference engine.
package train
