package main

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
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

// bandwidthBytes is the buffer the bandwidth meter streams: far above the
// caches (this Xeon reports a 480 MiB L3).
const bandwidthBytes = 1 << 30

// benchModel is one model to benchmark.
type benchModel struct {
	name   string
	config model.Config
	load   func(kernels.DType) (*model.Model, error) // a model with weights in that dtype
	dtypes []kernels.DType                           // to benchmark
	batch  int                                       // default train batch
}

func runBench(args []string) error {
	fs := newFlagSet("bench")
	presets := fs.String("preset", "tiny,gpt2", "comma-separated presets to run with random weights (vocabulary 50257)")
	ckPath := fs.String("checkpoint", "", "benchmark a model instead of presets: a .ckpt or run folder, a model.safetensors (or its folder) or an llm.c .bin")
	tokName := fs.String("tokenizer", "", "tokenizer for a model file that has none (llm.c, foreign safetensors)")
	dtypeList := fs.String("dtype", "", "weight dtypes to benchmark, comma-separated: f32, bf16, q8_0, q4_0 (default: f32, or the checkpoint's own)")
	pp := fs.String("p", "128,512", "prompt-processing test sizes (comma-separated; empty: none)")
	tg := fs.String("n", "128", "generation test sizes, after a 16-token prompt (comma-separated; empty: none)")
	seqs := fs.String("b", "1", "sequences decoded together in each tg test (comma-separated, e.g. 1,8; tok/s is their aggregate)")
	trainB := fs.Int("train-batch", 0, "train test batch (default 8 for tiny, 4 otherwise)")
	trainT := fs.Int("train-context", 256, "train test context (at most the model's)")
	reps := fs.Int("r", 5, "repetitions of each test, after one warm-up")
	outFmt := fs.String("o", "table", "output: table or json (json includes every sample)")
	threadsFlag := addThreads(fs)
	peak := fs.Float64("peak-gflops", 0, "peak GFLOP/s of the machine, to report MFU (0: no MFU)")
	tests := fs.String("tests", "pp,tg,train", "tests to run: any of pp, tg, train")
	bw := fs.Bool("bandwidth", true, "interleave memory read-bandwidth passes with tg tests and report tg against that bound")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return errorf("unexpected argument %q", fs.Arg(0))
	}
	plan := bench.Plan{TrainBatch: *trainB, TrainContext: *trainT}
	var err error
	if plan.PP, err = parseSizes("-p", *pp); err != nil {
		return err
	}
	if plan.TG, err = parseSizes("-n", *tg); err != nil {
		return err
	}
	if plan.Seqs, err = parseSizes("-b", *seqs); err != nil {
		return err
	}
	if plan.Kinds, err = parseTests(*tests); err != nil {
		return err
	}
	switch {
	case *reps < 1:
		return errorf("-r %d: want at least 1 repetition", *reps)
	case *outFmt != "table" && *outFmt != "json":
		return errorf("-o %q: want table or json", *outFmt)
	case *trainB < 0 || *trainT < 1:
		return errorf("--train-batch and --train-context must be positive")
	case !(*peak >= 0) || math.IsInf(*peak, 0):
		return errorf("--peak-gflops %g: want a positive number", *peak)
	}
	if err := setThreads(*threadsFlag); err != nil {
		return err
	}
	threads := kernels.Threads()

	dtypes, err := parseDTypes(*dtypeList)
	if err != nil {
		return err
	}
	var models []benchModel
	if *ckPath != "" {
		o, err := openModel(*ckPath, *tokName, false)
		if err != nil {
			return err
		}
		bm := checkpointModel(*ckPath, o.Model)
		if dtypes != nil {
			bm.dtypes = dtypes
		}
		models = append(models, bm)
	} else if models, err = presetModels(*presets, dtypes); err != nil {
		return err
	}
	if *bw && plan.Kinds[bench.TG] && len(plan.TG) > 0 {
		plan.Meter = bench.NewReadMeter(bandwidthBytes)
	}
	return benchModels(models, plan, *outFmt == "json", threads, *reps, *peak)
}

// benchModels runs plan's tests on each model and writes the results to
// stdout: a Markdown table row as each is measured, or all as JSON at the
// end.
func benchModels(models []benchModel, plan bench.Plan, asJSON bool, threads, reps int, peak float64) error {
	var table *bench.Table // nil for JSON
	if !asJSON {
		table = bench.NewTable(cmdStdout, modelNames(models), peak > 0, plan.Meter != nil)
		if err := table.WriteHeader(); err != nil {
			return err
		}
	}
	var reports []bench.Report
	for _, bm := range models {
		for _, dt := range bm.dtypes {
			r, err := benchOne(table, bm, dt, plan, threads, reps, peak)
			if err != nil {
				return err
			}
			reports = append(reports, r)
		}
	}
	if !asJSON {
		return nil
	}
	enc := json.NewEncoder(cmdStdout)
	enc.SetIndent("", "  ")
	return enc.Encode(reports)
}

// benchOne runs plan's tests on one model in one dtype, reps repetitions
// each at threads threads with MFU against peak, and writes each result to
// table as it is measured unless table is nil. Tests beyond the model's
// context, and training with quantized weights, are skipped with a note on
// stderr.
func benchOne(table *bench.Table, bm benchModel, dt kernels.DType, plan bench.Plan, threads, reps int, peak float64) (bench.Report, error) {
	c := bm.config
	tests := plan.Tests(c, bm.batch)
	m, err := bm.load(dt)
	if err != nil {
		return bench.Report{}, errorf("%s: %v", bm.name, err)
	}
	out := bench.Report{Model: bm.name, Params: model.NumParams(c), DType: dt.String(), WeightBytes: m.W.Bytes(),
		Config: c, Threads: threads, Reps: reps}
	for _, test := range tests {
		if !test.Fits(c) {
			fmt.Fprintf(cmdStderr, "gpt bench: %s: skipping %s (the context is %d)\n", bm.name, test, c.Context)
			continue
		}
		if test.Kind == bench.Train && dt != kernels.F32 {
			fmt.Fprintf(cmdStderr, "gpt bench: %s %v: skipping %s (training needs f32 weights)\n", bm.name, dt, test)
			continue
		}
		r, err := bench.Run(m, test, reps, 1)
		if err != nil {
			return out, errorf("%s %s: %v", bm.name, test, err)
		}
		r.SetPeak(peak)
		out.Results = append(out.Results, r)
		if table != nil {
			if err := table.WriteRow(&out, r); err != nil {
				return out, err
			}
		}
	}
	return out, nil
}

// presetModels lists the comma-separated presets, with random weights and
// the GPT-2 vocabulary, each built (and quantized) when it is benchmarked,
// in dtypes (nil: f32).
func presetModels(presets string, dtypes []kernels.DType) ([]benchModel, error) {
	if dtypes == nil {
		dtypes = []kernels.DType{kernels.F32}
	}
	var models []benchModel
	for _, name := range strings.Split(presets, ",") {
		name = strings.TrimSpace(name)
		c, err := model.Preset(name, model.GPT2Vocab)
		if err != nil {
			return nil, errorf("--preset: %v", err)
		}
		if err := checkDTypes(c, dtypes); err != nil {
			return nil, err
		}
		load := func(dt kernels.DType) (*model.Model, error) {
			m, err := model.New(c, 1)
			if err != nil {
				return nil, err
			}
			return m, m.Quantize(dt)
		}
		models = append(models, benchModel{name: name, config: c, batch: bench.DefaultTrainBatch(name), load: load, dtypes: dtypes})
	}
	return models, nil
}

// checkpointModel benchmarks the opened model m in its own dtype or, from
// float32 weights, a quantized copy of them for each other dtype.
func checkpointModel(name string, m *model.Model) benchModel {
	load := func(dt kernels.DType) (*model.Model, error) {
		if dt == m.W.DType {
			return m, nil
		}
		if m.Params == nil {
			return nil, fmt.Errorf("--dtype %v: the file's weights are %v; benchmark the float32 checkpoint", dt, m.W.DType)
		}
		q, err := model.FromParams(m.Config, slices.Clone(m.Params))
		if err != nil {
			return nil, err
		}
		return q, q.Quantize(dt)
	}
	return benchModel{name: name, config: m.Config, batch: bench.DefaultTrainBatch(""), load: load,
		dtypes: []kernels.DType{m.W.DType}}
}

// parseDTypes parses --dtype's comma-separated list (nil for "").
func parseDTypes(s string) ([]kernels.DType, error) {
	var out []kernels.DType
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		dt, err := kernels.ParseDType(f)
		if err != nil {
			return nil, errorf("--dtype: %v", err)
		}
		out = append(out, dt)
	}
	return out, nil
}

// checkDTypes reports, naming --dtype, a quantized dtype that c cannot take.
func checkDTypes(c model.Config, dtypes []kernels.DType) error {
	for _, dt := range dtypes {
		if dt != kernels.F32 {
			if err := model.CanQuantize(c); err != nil {
				return errorf("--dtype %v: %v", dt, err)
			}
		}
	}
	return nil
}

func modelNames(ms []benchModel) []string {
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = m.name
	}
	return names
}

// parseTests parses a comma-separated list of test kinds (pp, tg, train).
func parseTests(s string) (map[string]bool, error) {
	want := map[string]bool{}
	for _, t := range strings.Split(s, ",") {
		switch t = strings.TrimSpace(t); t {
		case bench.PP, bench.TG, bench.Train:
			want[t] = true
		case "":
		default:
			return nil, errorf("--tests: unknown test %q (want pp, tg or train)", t)
		}
	}
	return want, nil
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
			return nil, errorf("%s %q: want positive numbers separated by commas", flagName, s)
		}
		out = append(out, n)
	}
	return out, nil
}
