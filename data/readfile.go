package data

import (
	"io"
	"os"
)

// readFile reads the first size bytes of f into memory (the fallback when
// the file cannot be memory-mapped).
func readFile(f *os.File, size int64) ([]byte, func() error, error) {
	b := make([]byte, size)
	if _, err := f.ReadAt(b, 0); err != nil && err != io.EOF {
		return nil, nil, err
	}
	return b, func() error { return nil }, nil
}
