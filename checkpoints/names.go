package checkpoints

import (
	"fmt"
	"os"
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

// Resolve returns the checkpoint file named by pathOrDir: the file itself,
// or a run folder's latest.ckpt.
func Resolve(pathOrDir string) (string, error) {
	fi, err := os.Stat(pathOrDir)
	if err != nil {
		return "", fmt.Errorf("no checkpoint at %s", pathOrDir)
	}
	if !fi.IsDir() {
		return pathOrDir, nil
	}
	p := Latest(pathOrDir)
	fi, err = os.Stat(p)
	if err != nil || fi.IsDir() {
		return "", fmt.Errorf("%s is a folder without a %s", pathOrDir, LatestName)
	}
	return p, nil
}
