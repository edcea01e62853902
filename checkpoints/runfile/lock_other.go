//go:build !unix

package runfile

import "os"

// LockName is the file in a run folder that Lock holds.
const LockName = ".lock"

// Lock creates dir; without flock(2) on this system it cannot keep a
// second run out, and says nothing.
func Lock(dir string) (unlock func(), err error) {
	return func() {}, os.MkdirAll(dir, 0o755)
}
