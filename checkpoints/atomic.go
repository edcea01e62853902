package checkpoints

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
)

// createAtomic writes a file atomically: write fills a temp file in path's
// folder, which is then synced and renamed over path, and the folder is
// synced, so a crash leaves either the old file or the new one, never half
// of one. On failure path is untouched and the temp file is removed.
func createAtomic(path string, write func(f *os.File) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := write(f); err != nil {
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(dir)
}

// writeAtomic is createAtomic for a file written front to back through a
// buffer.
func writeAtomic(path string, fill func(w io.Writer) error) error {
	return createAtomic(path, func(f *os.File) error {
		bw := bufio.NewWriterSize(f, 1<<20)
		if err := fill(bw); err != nil {
			return err
		}
		return bw.Flush()
	})
}
