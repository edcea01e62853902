//go:build unix

package data

import (
	"os"
	"syscall"
)

// mapFile memory-maps the first size bytes of f read-only.
func mapFile(f *os.File, size int64) ([]byte, func() error, error) {
	b, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return readFile(f, size)
	}
	return b, func() error { return syscall.Munmap(b) }, nil
}
