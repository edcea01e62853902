package checkpoints

import (
	"fmt"
	"path/filepath"
)

// The file names of a run folder's checkpoints.
const (
	LatestName = "latest.ckpt" // the most recent save
	BestName   = "best.ckpt"   // the lowest validation loss so far
)

// Latest returns dir/latest.ckpt.
func Latest(dir string) string { return filepath.Join(dir, LatestName) }

// Best returns dir/best.ckpt.
func Best(dir string) string { return filepath.Join(dir, BestName) }

// Step returns dir/step-NNNNNN.ckpt for a step (at least six digits).
func Step(dir string, step int) string {
	return filepath.Join(dir, fmt.Sprintf("step-%06d.ckpt", step))
}
