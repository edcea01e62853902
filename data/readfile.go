package data

import (
	"fmt"
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

// The most text the commands read into memory at once: a prompt, and a
// text to tokenize or score (larger texts go through Prepare, which
// streams them to token files).
const (
	MaxPromptBytes = 16 << 20
	MaxTextBytes   = 1 << 30
)

// ReadAtMost reads r (named what in errors) to its end, refusing more than
// limit bytes: a stray /dev/zero or a huge pipe is a one-line error, not
// an out-of-memory crash.
func ReadAtMost(r io.Reader, limit int64, what string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", what, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: more than %d MiB, the most read into memory at once", what, limit>>20)
	}
	return b, nil
}

// ReadFileAtMost is ReadAtMost for the file at path.
func ReadFileAtMost(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadAtMost(f, limit, path)
}
