// Command gpt trains GPT-2-style models on your own text, samples from
// them and measures their speed. Run `gpt help` for the subcommands.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
)

// A command is one subcommand of gpt. Each lives in its own file and adds
// itself to commands in an init function.
type command struct {
	summary string
	run     func(args []string) error
}

var commands = map[string]command{}

// The streams every command reads and writes; tests replace them.
var (
	cmdStdin  io.Reader = os.Stdin
	cmdStdout io.Writer = os.Stdout
	cmdStderr io.Writer = os.Stderr
)

// usageError marks an error caused by how gpt was called (exit code 2 is
// reserved for flag parsing; every user mistake exits 1 with one line).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// errorf returns a one-line user-facing error.
func errorf(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

func run(args []string, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printUsage(stderr)
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "gpt: unknown command %q (run 'gpt help')\n", args[0])
		return 1
	}
	if err := cmd.run(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "gpt %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "gpt: train, sample and benchmark GPT-2-style models\n\nusage: gpt <command> [flags]\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'gpt <command> -h' for a command's flags.")
}

// newFlagSet returns a flag set that reports errors instead of exiting, so
// a bad flag gives a one-line error and exit code 1 (see parseFlags).
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("gpt "+name, flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	return fs
}

// parseFlags parses args into fs. -h prints the flags; any other flag
// error is one line pointing there, not the whole usage.
func parseFlags(fs *flag.FlagSet, args []string) error {
	out := fs.Output()
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.SetOutput(out)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.Usage()
		return err
	case err != nil:
		return errorf("%v (see '%s -h')", err, fs.Name())
	}
	return nil
}
