package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/gptgo/gptgo/checkpoints"
	"github.com/gptgo/gptgo/internal/report"
	"github.com/gptgo/gptgo/kernels"
	"github.com/gptgo/gptgo/tokenizer"
)

// The flag helpers every command shares, so a flag means the same thing
// everywhere.

// listFlag collects a repeatable flag (--data A --data B).
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// addThreads registers --threads on fs: 0 (the default) uses every core.
func addThreads(fs *flag.FlagSet) *int {
	return fs.Int("threads", 0, "threads for the kernels (0: all cores)")
}

// setThreads applies a --threads value.
func setThreads(n int) error {
	if n < 0 {
		return errorf("--threads %d: want 0 (all cores) or more", n)
	}
	if n > 0 {
		kernels.SetThreads(n)
	}
	return nil
}

// openModel reads the model at path in any format (see checkpoints.Open),
// attaching the tokenizer tokName names when it is not empty, and prints
// the reader's notes on stderr.
func openModel(path, tokName string, keepTrain bool) (*checkpoints.Opened, error) {
	opt := checkpoints.OpenOptions{KeepTrain: keepTrain}
	if tokName != "" {
		tok, err := loadTokenizer(tokName)
		if err != nil {
			return nil, err
		}
		opt.Tokenizer = tok
	}
	o, err := checkpoints.Open(path, opt)
	if err != nil {
		return nil, errorf("%v", oneLineErr(err))
	}
	for _, n := range o.Notes {
		fmt.Fprintf(cmdStderr, "note: %s\n", n)
	}
	return o, nil
}

// dtypeFlag is --dtype: a weight dtype, or unset (the file's).
type dtypeFlag struct {
	dt  kernels.DType
	set bool
}

func (d *dtypeFlag) String() string {
	if d == nil || !d.set {
		return ""
	}
	return d.dt.String()
}

func (d *dtypeFlag) Set(s string) (err error) {
	d.dt, err = kernels.ParseDType(s)
	d.set = err == nil
	return err
}

// addDType adds --dtype, the precision of the weights in memory.
func addDType(fs *flag.FlagSet) *dtypeFlag {
	d := new(dtypeFlag)
	fs.Var(d, "dtype", "weights in memory: f32, bf16, q8_0 or q4_0 (default: as the file stores them)")
	return d
}

// convert converts o's model to the flag's dtype, if it was given and is
// not the file's own: unset, the model runs as the file stores it (a
// quantized file in its dtype, float32 otherwise). Quantized weights do
// not convert to another dtype.
func (d *dtypeFlag) convert(o *checkpoints.Opened) error {
	if !d.set || d.dt == o.Model.W.DType {
		return nil
	}
	if o.Model.Params == nil {
		return errorf("--dtype %v: %s holds %v weights; run the float32 checkpoint for %v", d.dt, o.Path, o.Model.W.DType, d.dt)
	}
	if err := o.Model.Quantize(d.dt); err != nil {
		return errorf("--dtype %v: %v", d.dt, err)
	}
	return nil
}

// loadTokenizer resolves a --tokenizer value that needs no training.
func loadTokenizer(name string) (tokenizer.Tokenizer, error) {
	tok, err := tokenizer.Open(name)
	if err != nil {
		return nil, errorf("--tokenizer: %v", err)
	}
	return tok, nil
}

// oneLineErr flattens an error message to one line.
func oneLineErr(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", " ")
}

// addProgress registers --progress on fs: auto (a bar on a terminal, log
// lines otherwise), on or off.
func addProgress(fs *flag.FlagSet) *report.Mode {
	m := new(report.Mode)
	fs.Var(m, "progress", "progress display: auto (a bar on a terminal, else log lines), on, off")
	return m
}

// fileMB returns the size of a file in MB, or "?" when it cannot be read.
func fileMB(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return "?"
	}
	return megabytes(fi.Size())
}

// megabytes formats n bytes in MB (10^6).
func megabytes(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }

// checkOutput refuses to write the file out (named by flag) when it is
// the file the model was read from (in), and, without force, when it
// exists at all: a convert or export never silently replaces a file.
func checkOutput(flag, out, in string, force bool) error {
	fo, err := os.Stat(out)
	if err != nil {
		return nil // nothing there (a bad folder fails at the write, naming it)
	}
	if fi, err := os.Stat(in); err == nil && os.SameFile(fi, fo) {
		return errorf("%s %s is the model being read; write to another file", flag, out)
	}
	if !force {
		return errorf("%s %s exists; pass --force to replace it", flag, out)
	}
	return nil
}
