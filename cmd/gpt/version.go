package main

import (
	"fmt"
	"runtime"

	"github.com/gptgo/gptgo/checkpoints"
	"github.com/gptgo/gptgo/kernels"
)

func init() {
	commands["version"] = command{summary: "print the version, the kernels in use and whether MPI is compiled in", run: runVersion}
}

func runVersion(args []string) error {
	fs := newFlagSet("version")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	fmt.Fprintf(cmdStdout, "gpt %s, %s, %s/%s, %d threads\n%s\n", checkpoints.Version(), runtime.Version(), runtime.GOOS, runtime.GOARCH, kernels.Threads(), mpiLine())
	return nil
}
