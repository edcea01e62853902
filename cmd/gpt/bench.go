package main

import (
	"encoding/json"
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"github.com/gptgo/gptgo/bench"
	"github.com/gptgo/gptgo/kernels"
	"github.com/gptgo/gptgo/model"
)

func init() {
	commands["bench"] = command{
		summary: "measure prompt processing, generation and training speed (like llama-bench)",
		run:     runBench,
	}
}

// bandwidthBytes is the buffer ReadBandwidth streams: far above any cache.
const bandwidthBytes = 256 << 20

// benchModel is one model to benchmark.
type benchModel struct {
	name   string
	config model.Config
	load   func() (*model.Model, error)
	batch  int // default train batch
}

// benchOutput is one model's results in -o json.
type benchOutput struct {
	Model   string         `json:"model"`
	Params  int            `json:"params"`
	Config  model.Config   `json:"config"`
	Threads int            `json:"threads"`
	Reps    int            `json:"reps"`
	Results []bench.Result `json:"results"`
}

func runBench(args []string) error {
	fs := newFlagSet("bench")
	presets := fs.String("preset", "tiny,gpt2", "comma-separated presets to run with random weights (vocabulary 50257)")
	ckPath := fs.String("checkpoint", "", "benchmark a checkpoint (file or run folder) instead of presets")
	pp := fs.String("p", "128,512", "prompt-processing test sizes (comma-separated; empty: none)")
	tg := fs.String("n", "128", "generation test sizes, after a 16-token prompt (comma-separated; empty: none)")
	trainB := fs.Int("train-batch", 0, "train test batch (default 8 for tiny, 4 otherwise)")
	trainT := fs.Int("train-context", 256, "train test context (at most the model's)")
	reps := fs.Int("r", 5, "repetitions of each test, after one warm-up")
	outFmt := fs.String("o", "table", "output: table or json (json includes every sample)")
	threads := fs.Int("threads", runtime.NumCPU(), "threads")
	peak := fs.Float64("peak-gflops", 0, "peak GFLOP/s of the machine, to report MFU (0: no MFU)")
	tests := fs.String("tests", "pp,tg,train", "tests to run: any of pp, tg, train")
	bw := fs.Bool("bandwidth", true, "interleave memory read-bandwidth passes with tg tests and report tg against that bound")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return errorf("unexpected argument %q", fs.Arg(0))
	}
	ppSizes, err := parseSizes("-p", *pp)
	if err != nil {
		return err
	}
	tgSizes, err := parseSizes("-n", *tg)
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for _, t := range strings.Split(*tests, ",") {
		switch t = strings.TrimSpace(t); t {
		case bench.PP, bench.TG, bench.Train:
			want[t] = true
		case "":
		default:
			return errorf("--tests: unknown test %q (want pp, tg or train)", t)
		}
	}
	switch {
	case *reps < 1:
		return errorf("-r %d: want at least 1 repetition", *reps)
	case *outFmt != "table" && *outFmt != "json":
		return errorf("-o %q: want table or json", *outFmt)
	case *threads < 1:
		return errorf("--threads %d: want at least 1", *threads)
	case *trainB < 0 || *trainT < 1:
		return errorf("--train-batch and --train-context must be positive")
	case *peak < 0:
		return errorf("--peak-gflops %g: want a positive number", *peak)
	}
	kernels.SetThreads(*threads)

	var models []benchModel
	if *ckPath != "" {
		m, _, err := loadCheckpoint(*ckPath)
		if err != nil {
			return err
		}
		models = append(models, benchModel{name: *ckPath, config: m.Config, batch: 4,
			load: func() (*model.Model, error) { return m, nil }})
	} else {
		for _, name := range strings.Split(*presets, ",") {
			name = strings.TrimSpace(name)
			c, err := model.Preset(name, model.GPT2Vocab)
			if err != nil {
				return errorf("--preset: %v", err)
			}
			b := 4
			if name == "tiny" {
				b = 8
			}
			models = append(models, benchModel{name: name, config: c, batch: b,
				load: func() (*model.Model, error) { return model.New(c, 1) }})
		}
	}

	var meter *bench.ReadMeter
	if *bw && want[bench.TG] && len(tgSizes) > 0 {
		meter = bench.NewReadMeter(bandwidthBytes)
	}
	measureBW := meter != nil
	var outputs []benchOutput
	var cols []benchCol // the table's columns
	if *outFmt == "table" {
		cols = []benchCol{{"model", -max(5, longestName(models))}, {"params", 7}, {"threads", 7}, {"test", -13}, {"t/s", 16}, {"GFLOP/s", 8}}
		if *peak > 0 {
			cols = append(cols, benchCol{"MFU", 6})
		}
		if measureBW {
			cols = append(cols, benchCol{"GB/s", 6}, benchCol{"read GB/s", 9}, benchCol{"of bound", 8})
		}
		printRow(cols, nil)
	}
	for _, bm := range models {
		c := bm.config
		var list []bench.Test
		if want[bench.PP] {
			for _, n := range ppSizes {
				list = append(list, bench.Test{Kind: bench.PP, N: n})
			}
		}
		if want[bench.TG] {
			for _, n := range tgSizes {
				list = append(list, bench.Test{Kind: bench.TG, N: n})
			}
		}
		if want[bench.Train] {
			B := bm.batch
			if *trainB > 0 {
				B = *trainB
			}
			list = append(list, bench.Test{Kind: bench.Train, B: B, T: min(*trainT, c.Context)})
		}
		m, err := bm.load()
		if err != nil {
			return errorf("%s: %v", bm.name, err)
		}
		out := benchOutput{Model: bm.name, Params: model.NumParams(c), Config: c, Threads: *threads, Reps: *reps}
		for _, test := range list {
			if (test.Kind == bench.PP && test.N > c.Context) || (test.Kind == bench.TG && test.N+bench.PromptTokens > c.Context) {
				fmt.Fprintf(cmdStderr, "gpt bench: %s: skipping %s (the context is %d)\n", bm.name, test, c.Context)
				continue
			}
			if test.Kind == bench.TG {
				test.Meter = meter // nil without --bandwidth
			}
			r, err := bench.Run(m, test, *reps, 1)
			if err != nil {
				return errorf("%s %s: %v", bm.name, test, err)
			}
			r.SetPeak(*peak)
			out.Results = append(out.Results, r)
			if *outFmt == "table" {
				row := []string{bm.name, humanCount(out.Params), strconv.Itoa(*threads), r.Test,
					fmt.Sprintf("%.2f ± %.2f", r.Mean, r.Stddev), fmt.Sprintf("%.1f", r.GFLOPS)}
				if *peak > 0 {
					row = append(row, fmt.Sprintf("%.1f%%", 100*r.MFU))
				}
				if measureBW {
					if r.BWFrac > 0 {
						row = append(row, fmt.Sprintf("%.1f", r.GBPerSec), fmt.Sprintf("%.1f", r.ReadGBs), fmt.Sprintf("%.0f%%", 100*r.BWFrac))
					} else {
						row = append(row, "", "", "")
					}
				}
				printRow(cols, row)
			}
		}
		outputs = append(outputs, out)
	}
	if *outFmt == "json" {
		enc := json.NewEncoder(cmdStdout)
		enc.SetIndent("", "  ")
		return enc.Encode(outputs)
	}
	return nil
}

// benchCol is a table column: its title and width (negative: left-aligned).
type benchCol struct {
	title string
	width int
}

// printRow prints one row of the Markdown table as it is measured (so
// long benchmarks show progress); nil cells print the header and its rule.
func printRow(cols []benchCol, cells []string) {
	var b strings.Builder
	rule := cells == nil
	for i, c := range cols {
		v := c.title
		if !rule {
			v = cells[i]
		}
		fmt.Fprintf(&b, "| %*s ", c.width, v)
	}
	fmt.Fprintln(cmdStdout, b.String()+"|")
	if rule {
		b.Reset()
		for _, c := range cols {
			w := max(c.width, -c.width)
			if c.width < 0 {
				b.WriteString("| " + strings.Repeat("-", w) + " ")
			} else {
				b.WriteString("| " + strings.Repeat("-", w-1) + ": ")
			}
		}
		fmt.Fprintln(cmdStdout, b.String()+"|")
	}
}

func longestName(ms []benchModel) int {
	n := 0
	for _, m := range ms {
		n = max(n, len(m.name))
	}
	return n
}

// parseSizes parses a comma-separated list of positive token counts.
func parseSizes(flagName, s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, errorf("%s %q: want positive token counts separated by commas", flagName, s)
		}
		out = append(out, n)
	}
	return out, nil
}

// humanCount writes a parameter count as 3.2M or 124.4M.
func humanCount(n int) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2fB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1fK", float64(n)/1e3)
	}
	return strconv.Itoa(n)
}
