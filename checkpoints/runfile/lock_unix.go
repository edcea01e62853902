//go:build unix

package runfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// LockName is the file in a run folder that Lock holds.
const LockName = ".lock"

// Lock takes the run folder dir (creating it) for this process: while it
// is held, another Lock of dir, from any process, fails at once naming the
// holder's pid. The lock is an flock(2) on dir/.lock, so the kernel drops
// it when the process ends, however it ends: a killed run leaves nothing
// to clean up. unlock releases it.
func Lock(dir string) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, LockName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			b := make([]byte, 32)
			n, _ := f.ReadAt(b, 0)
			pid := strings.TrimSpace(string(b[:n]))
			if _, e := strconv.Atoi(pid); e != nil {
				pid = "unknown"
			}
			return nil, fmt.Errorf("%s is in use by another gpt train (pid %s)", dir, pid)
		}
		return nil, fmt.Errorf("locking %s: %v", path, err)
	}
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
