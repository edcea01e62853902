package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/gptgo/gptgo/checkpoints"
	"github.com/gptgo/gptgo/checkpoints/runfile"
	"github.com/gptgo/gptgo/data"
	"github.com/gptgo/gptgo/internal/report"
	"github.com/gptgo/gptgo/kernels"
	"github.com/gptgo/gptgo/model"
	"github.com/gptgo/gptgo/mpi"
	"github.com/gptgo/gptgo/tokenizer"
	"github.com/gptgo/gptgo/train"
)

func init() {
	commands["train"] = command{summary: "train a model on text files (default: Newton's Opticks from GOROOT)", run: runTrain}
}

// trainFlags are gpt train's flags.
type trainFlags struct {
	paths                     listFlag
	tokName, preset, act, out string
	resume, init              string
	base                      *checkpoints.Opened // the model --init starts from
	dataOrder                 string
	force                     bool
	layers, heads, embd, ctx  int
	threads                   *int
	progress                  *report.Mode
	valFrac                   float64
	opt                       train.Options
	set                       map[string]bool // the flags given on the command line
	args                      []string
}

func parseTrainFlags(args []string) (*trainFlags, error) {
	f := &trainFlags{args: args}
	fs := newFlagSet("train")
	o := &f.opt
	fs.Var(&f.paths, "data", "text files, folders or globs (repeatable), or a folder made by gpt prepare; default: Newton's Opticks from GOROOT")
	fs.StringVar(&f.tokName, "tokenizer", "", "gpt2, cl100k, o200k, byte, bpe:VOCAB; default: a BPE trained on the data, vocabulary ~sqrt(bytes)")
	fs.StringVar(&f.preset, "preset", "", "model preset: "+strings.Join(model.PresetNames(), ", ")+" (flags below override it)")
	fs.IntVar(&f.layers, "layers", 4, "transformer blocks")
	fs.IntVar(&f.heads, "heads", 4, "attention heads")
	fs.IntVar(&f.embd, "embd", 128, "embedding width")
	fs.IntVar(&f.ctx, "context", 128, "context length (tokens)")
	fs.StringVar(&f.act, "activation", "gelu", "MLP activation: gelu, relu, tanh, sigmoid")
	fs.IntVar(&o.Batch, "batch", 16, "sequences per micro-batch")
	fs.Float64Var(&o.Epochs, "epochs", 0, "passes over the training data (given alone, it replaces the default --max-steps)")
	fs.IntVar(&o.MaxSteps, "max-steps", 1000, "optimizer steps (0: use --epochs)")
	fs.Float64Var(&o.LR, "lr", 2e-3, "peak learning rate")
	fs.Float64Var(&o.MinLR, "min-lr", 2e-4, "learning rate at the end of the cosine decay")
	fs.IntVar(&o.Warmup, "warmup", 100, "linear warmup steps")
	fs.Float64Var(&o.WeightDecay, "weight-decay", 0.1, "AdamW weight decay (2-D weights only)")
	fs.Float64Var(&o.GradClip, "grad-clip", 1.0, "global gradient-norm clipping (0: off)")
	fs.IntVar(&o.GradAccum, "grad-accum", 1, "micro-batches per optimizer step")
	fs.IntVar(&o.EvalEvery, "eval-every", 200, "steps between validation evaluations (0: only at the end)")
	fs.IntVar(&o.EvalBatches, "eval-batches", 20, "validation batches per evaluation")
	fs.IntVar(&o.SampleEvery, "sample-every", 0, "steps between samples (0: at each evaluation)")
	fs.IntVar(&o.SaveEvery, "save-every", 0, "also keep a step-N checkpoint every N steps (0: never)")
	fs.Uint64Var(&o.Seed, "seed", 1337, "seed for initialisation, data order and dropout masks")
	fs.Float64Var(&o.Dropout, "dropout", 0, "dropout rate in training (embedding sum, attention probabilities, both projections; 0: none)")
	fs.Float64Var(&o.Beta1, "beta1", train.DefaultBeta1, "AdamW's first-moment decay β1")
	fs.Float64Var(&o.Beta2, "beta2", train.DefaultBeta2, "AdamW's second-moment decay β2")
	fs.Float64Var(&o.Eps, "eps", train.DefaultEps, "AdamW's ε")
	fs.IntVar(&o.Zero, "zero", 0, "1: with MPI ranks, shard AdamW's moments over them (ZeRO-1: 1/ranks of the optimizer memory each); 0: every rank keeps them all")
	fs.StringVar(&f.dataOrder, "data-order", "shuffled", "shuffled (windows in a new random order each epoch) or sequential (in file order from token 0)")
	f.threads = addThreads(fs)
	f.progress = addProgress(fs)
	fs.StringVar(&f.out, "out", "runs/latest", "output folder for checkpoints, metrics.jsonl and loss.png")
	fs.StringVar(&f.resume, "resume", "", "resume from a checkpoint file or run folder")
	fs.StringVar(&f.init, "init", "", "fine-tune: start a new run from the weights of a model (.ckpt, run folder, .safetensors, llm.c .bin)")
	fs.BoolVar(&f.force, "force", false, "start a new run in an --out that already holds one, replacing its checkpoints and metrics")
	fs.Float64Var(&f.valFrac, "val-fraction", 0.1, "share of each document kept for validation when preparing text")
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	f.paths = append(f.paths, fs.Args()...)
	f.set = map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { f.set[fl.Name] = true })
	if f.set["epochs"] && !f.set["max-steps"] {
		o.MaxSteps = 0 // --epochs alone sets the length of the run
	}
	o.Context = f.ctx
	switch f.dataOrder {
	case "shuffled", "sequential":
		o.Sequential = f.dataOrder == "sequential"
	default:
		return nil, errorf("--data-order %q: want shuffled or sequential", f.dataOrder)
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	return f, setThreads(*f.threads)
}

// check validates every numeric flag (sign, range, finite) and refuses
// flags that --resume would ignore, each naming the flag.
func (f *trainFlags) check() error {
	o := &f.opt
	for _, c := range []struct {
		name string
		v    float64
		lo   float64
		open bool // lo itself is out of range
	}{
		{"lr", o.LR, 0, true}, {"min-lr", o.MinLR, 0, false}, {"epochs", o.Epochs, 0, false},
		{"weight-decay", o.WeightDecay, 0, false}, {"grad-clip", o.GradClip, 0, false},
		{"val-fraction", f.valFrac, 0, false}, {"dropout", o.Dropout, 0, false},
		{"beta1", o.Beta1, 0, false}, {"beta2", o.Beta2, 0, false}, {"eps", o.Eps, 0, false},
	} {
		if !(c.v >= c.lo) || (c.open && c.v == c.lo) || math.IsInf(c.v, 0) {
			return errorf("--%s %g: want a finite value %s %g", c.name, c.v, map[bool]string{true: ">", false: ">="}[c.open], c.lo)
		}
	}
	for _, c := range []struct {
		name string
		v    float64
	}{{"val-fraction", f.valFrac}, {"dropout", o.Dropout}, {"beta1", o.Beta1}, {"beta2", o.Beta2}} {
		if c.v >= 1 {
			return errorf("--%s %g: want a value in [0, 1)", c.name, c.v)
		}
	}
	for _, c := range []struct {
		name   string
		v, min int
	}{
		{"layers", f.layers, 1}, {"heads", f.heads, 1}, {"embd", f.embd, 1}, {"context", f.ctx, 1},
		{"batch", o.Batch, 1}, {"max-steps", o.MaxSteps, 0}, {"warmup", o.Warmup, 0},
		{"grad-accum", o.GradAccum, 1}, {"eval-every", o.EvalEvery, 0}, {"eval-batches", o.EvalBatches, 1},
		{"sample-every", o.SampleEvery, 0}, {"save-every", o.SaveEvery, 0}, {"zero", o.Zero, 0},
	} {
		if c.v < c.min {
			return errorf("--%s %d: want %d or more", c.name, c.v, c.min)
		}
	}
	if o.Zero > 1 {
		return errorf("--zero %d: want 0 or 1 (ZeRO stage 1: the optimizer's moments sharded)", o.Zero)
	}
	if f.init != "" && f.resume != "" {
		return errorf("--init starts a new run and --resume continues one: give one of them")
	}
	if f.resume != "" {
		var ignored []string
		for name := range f.set {
			if !resumeFlags[name] {
				ignored = append(ignored, "--"+name)
			}
		}
		if len(ignored) > 0 {
			sort.Strings(ignored)
			return errorf("--resume continues the run with its own options; drop %s (only --max-steps or --epochs may extend it)", strings.Join(ignored, ", "))
		}
	}
	return nil
}

// resumeFlags are the flags --resume takes: the rest come from the run.
var resumeFlags = map[string]bool{"resume": true, "max-steps": true, "epochs": true, "threads": true, "progress": true, "out": true}

func runTrain(args []string) error {
	f, err := parseTrainFlags(args)
	if err != nil {
		return err
	}
	end, err := startMPI()
	if err != nil {
		return err
	}
	defer end()
	return abortOnError(f.train())
}

// train runs the run the flags describe, on this rank.
func (f *trainFlags) train() error {
	r, closeData, err := f.newRun()
	if err != nil {
		return err
	}
	defer closeData()
	printPlan(r)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	first := r.Step()
	res, err := r.Train(ctx)
	if err != nil {
		return errorf("%v", err)
	}
	if res.Interrupted {
		fmt.Fprintf(cmdStdout, "interrupted at step %d; checkpoint %s\nresume with: gpt train --resume %s\n", res.Steps, res.Latest, r.OutDir)
		return nil
	}
	fmt.Fprintf(cmdStdout, "done: %d steps in %s, train loss %.4f, val loss %.4f\ncheckpoint: %s\nsample with: gpt generate --checkpoint %s --prompt \"...\"\n",
		res.Steps, res.Elapsed.Round(time.Second), res.LastLoss, res.ValLoss, res.Latest, res.Latest)
	if n := mpi.Size(); n > 1 && res.Steps > first {
		steps := res.Steps - first
		bytes := 4 * float64(model.NumParams(r.Model.Config))
		fmt.Fprintf(cmdStdout, "all-reduce: %.1f ms per step (%.1f%% of the run), %.1f MB of gradients per step (%.1f MB sent per rank in a ring)\n",
			res.CommTime.Seconds()*1000/float64(steps), 100*res.CommTime.Seconds()/res.Elapsed.Seconds(), bytes/1e6, 2*float64(n-1)/float64(n)*bytes/1e6)
	}
	return nil
}

// newRun builds the run the flags describe: a resumed one, or a new model
// on prepared (or freshly tokenized) data, in a run folder it locks. The
// closer releases the data and the lock.
func (f *trainFlags) newRun() (*train.Run, func(), error) {
	opt := f.opt
	var from *train.Snapshot
	if f.resume != "" {
		var err error
		var path string
		if from, _, path, err = runfile.Open(f.resume); err != nil {
			return nil, nil, errorf("--resume: %v", oneLineErr(err))
		}
		opt = from.Opt
		if f.set["max-steps"] || f.set["epochs"] { // extending a run is allowed
			opt.MaxSteps, opt.Epochs = f.opt.MaxSteps, f.opt.Epochs
		}
		if !f.set["out"] {
			f.out = filepath.Dir(path)
		}
		fmt.Fprintf(cmdStdout, "resuming %s at step %d\n", path, from.Step)
	} else if old := runfile.Existing(f.out); old != "" && !f.force && mpi.Rank() == 0 {
		return nil, nil, errorf("--out %s already holds a run (%s): continue it with --resume %s, replace it with --force, or pick another --out",
			f.out, filepath.Base(old), f.out)
	} else if f.init != "" {
		if err := f.openInit(&opt); err != nil {
			return nil, nil, err
		}
	}
	unlock, err := f.lockOut()
	if err != nil {
		return nil, nil, err
	}
	r, closeData, err := f.openAndAssemble(opt, from)
	if err != nil {
		unlock()
		return nil, nil, err
	}
	return r, func() { closeData(); unlock() }, nil
}

// lockOut locks the run folder and removes what killed saves left there.
// With MPI only rank 0 does: it alone writes the folder.
func (f *trainFlags) lockOut() (func(), error) {
	if mpi.Rank() > 0 {
		return func() {}, nil
	}
	unlock, err := runfile.Lock(f.out)
	if err != nil {
		return nil, errorf("--out %v", err)
	}
	if removed, err := runfile.RemoveTemp(f.out); err != nil {
		unlock()
		return nil, errorf("--out %s: %v", f.out, err)
	} else if len(removed) > 0 {
		fmt.Fprintf(cmdStdout, "note: removed %s, left in %s by a save that did not finish\n", strings.Join(removed, ", "), f.out)
	}
	return unlock, nil
}

// openAndAssemble opens (or first prepares) the data and builds the run.
func (f *trainFlags) openAndAssemble(opt train.Options, from *train.Snapshot) (*train.Run, func(), error) {
	if opt.Data == "" {
		var err error
		if opt.Data, err = f.prepareShared(); err != nil {
			return nil, nil, err
		}
	}
	d, err := data.OpenPrepared(opt.Data)
	if err != nil {
		return nil, nil, errorf("%v", err)
	}
	r, err := f.assemble(d, opt, from)
	if err != nil {
		d.Close()
		return nil, nil, err
	}
	return r, func() { d.Close() }, nil
}

// assemble puts the model, the data and the options together into a run.
func (f *trainFlags) assemble(d *data.Prepared, opt train.Options, from *train.Snapshot) (*train.Run, error) {
	tok, err := tokenizer.Load(filepath.Join(d.Dir, data.TokenizerFile))
	if err != nil {
		return nil, errorf("%v", err)
	}
	var m *model.Model
	if from != nil {
		m = from.Model
		// The weights, gradients and moments are in memory already.
		if err := checkMemoryBeyond(m.Config, opt.Batch, opt.Context, opt.Dropout > 0, 16*float64(model.NumParams(m.Config))); err != nil {
			return nil, err
		}
	} else if f.base != nil {
		m = f.base.Model
	} else if m, err = f.newModel(tok.VocabSize(), &opt); err != nil {
		return nil, err
	}
	if err := d.Check(m.Config.VocabSize); err != nil {
		return nil, errorf("%v", err)
	}
	if d.Train.Len() < opt.Context+1 {
		return nil, errorf("%s: %d tokens, fewer than context+1 = %d: use more text or a smaller --context",
			d.Train.Name(), d.Train.Len(), opt.Context+1)
	}
	run := &train.Run{Model: m, Tokenizer: tok.Spec(), TrainData: d.Train, Opt: opt, OutDir: f.out, Comm: world{},
		Store: runfile.Store{Dir: f.out}, Observer: report.NewTraining(cmdStdout, *f.progress), Command: append([]string{"gpt", "train"}, f.args...),
		Sample: trainSampler(tok)}
	if d.Val != nil {
		run.ValData = d.Val
	}
	r, err := train.NewRun(run, from)
	if err != nil {
		return nil, errorf("%v", err)
	}
	return r, nil
}

// newModel initialises the model the shape flags (or --preset, adjusted by
// the shape flags given) describe. A preset also sets the training context
// unless --context is given.
func (f *trainFlags) newModel(vocab int, opt *train.Options) (*model.Model, error) {
	cfg := model.Config{Layers: f.layers, Heads: f.heads, Embd: f.embd, Context: f.ctx, Activation: model.Activation(f.act)}
	if f.preset != "" {
		p, err := model.Preset(f.preset, vocab)
		if err != nil {
			return nil, errorf("--preset: %v", err)
		}
		ifSet := func(name string, v int) int {
			if f.set[name] {
				return v
			}
			return 0
		}
		given := model.Config{Layers: ifSet("layers", f.layers), Heads: ifSet("heads", f.heads),
			Embd: ifSet("embd", f.embd), Context: ifSet("context", f.ctx)}
		if f.set["activation"] {
			given.Activation = model.Activation(f.act)
		}
		cfg = p.Override(given)
		if !f.set["context"] {
			opt.Context = train.PresetContext(cfg)
		}
	}
	cfg.VocabSize = vocab
	if err := checkMemory(cfg, opt.Batch, opt.Context, opt.Dropout > 0); err != nil {
		return nil, err
	}
	m, err := model.New(cfg, f.opt.Seed)
	if err != nil {
		return nil, errorf("model: %v", err)
	}
	return m, nil
}

// printPlan prints the model, the data and the schedule before training.
func printPlan(r *train.Run) {
	p, c, o := r.Plan(), r.Model.Config, r.Opt
	fmt.Fprintf(cmdStdout, "model: %d layers, %d heads, width %d, context %d, vocabulary %d, %s: %.2fM parameters\n",
		c.Layers, c.Heads, c.Embd, c.Context, c.VocabSize, c.Activation, float64(p.Params)/1e6)
	fmt.Fprintf(cmdStdout, "data: %d train tokens, %d val tokens; batch %d x %d x %d accum = %d tokens/step; %d iterations per epoch\n",
		p.TrainTokens, p.ValTokens, o.Batch, o.Context, o.GradAccum, p.TokensPerStep, p.ItersPerEpoch)
	fmt.Fprintf(cmdStdout, "plan: %d steps (%.2f epochs) from step %d, lr %.1e -> %.1e, warmup %d, %d threads, %.1f GFLOP/step\n",
		p.TotalSteps, p.Epochs, r.Step(), o.LR, o.MinLR, o.Warmup, kernels.Threads(), p.FlopsPerStep/1e9)
	if n := mpi.Size(); n > 1 {
		zero := ""
		if o.Zero == 1 {
			zero = fmt.Sprintf(", ZeRO-1: each rank keeps 1/%d of AdamW's moments", n)
		}
		fmt.Fprintf(cmdStdout, "%s: data-parallel, global batch %d = %d per rank x %d ranks, %d threads per rank%s\n",
			mpiLine(), o.Batch*n, o.Batch, n, kernels.Threads(), zero)
		if r.Regrouped > 0 {
			fmt.Fprintf(cmdStdout, "note: the run was trained on %d rank(s) and resumes on %d: the global batch goes from %d to %d windows, the data position and optimizer state carry over\n",
				r.Regrouped, n, o.Batch*r.Regrouped, o.Batch*n)
		}
	} else if r.Regrouped > 0 {
		fmt.Fprintf(cmdStdout, "note: the run was trained on %d ranks and resumes on 1: the global batch goes from %d to %d windows\n",
			r.Regrouped, o.Batch*r.Regrouped, o.Batch)
	}
}

// prepareShared is prepareData for every rank: rank 0 prepares text into
// OUT/data while the others wait, then they open the same folder (on one
// host, or a file system every host shares).
func (f *trainFlags) prepareShared() (string, error) {
	if mpi.Size() == 1 {
		return f.prepareData()
	}
	dir, err := "", error(nil)
	if mpi.Rank() == 0 {
		dir, err = f.prepareData()
	}
	if berr := mpi.Barrier(); err == nil {
		err = berr
	}
	if err != nil || mpi.Rank() == 0 {
		return dir, err
	}
	if len(f.paths) == 1 && data.IsPrepared(f.paths[0]) {
		return f.paths[0], nil
	}
	return filepath.Join(f.out, "data"), nil
}

// prepareData turns --data into a token folder: a folder made by gpt
// prepare is used as it is; text is tokenized into OUT/data.
func (f *trainFlags) prepareData() (string, error) {
	paths := f.paths
	if len(paths) == 1 && data.IsPrepared(paths[0]) && f.base != nil {
		tok, err := tokenizer.Load(filepath.Join(paths[0], data.TokenizerFile))
		if err != nil {
			return "", errorf("%v", err)
		}
		return paths[0], f.sameTokenizer(paths[0], tok)
	}
	if len(paths) == 1 && data.IsPrepared(paths[0]) {
		if f.tokName != "" {
			return "", errorf("--tokenizer: %s is already tokenized (by gpt prepare); drop --tokenizer", paths[0])
		}
		return paths[0], nil
	}
	if len(paths) == 0 {
		p, err := defaultCorpus()
		if err != nil {
			return "", err
		}
		fmt.Fprintf(cmdStdout, "no --data given: training on the default corpus %s\n", p)
		paths = []string{p}
	}
	files, err := data.Collect(paths)
	if err != nil {
		return "", errorf("%v", err)
	}
	dir := filepath.Join(f.out, "data")
	if f.base != nil {
		return dir, prepareWith(dir, files, f.base.Tokenizer, f.valFrac)
	}
	tokName := f.tokName
	if tokName == "" {
		tokName = fmt.Sprintf("bpe:%d", tokenizer.AutoBPEVocab(data.Size(files)))
	}
	return dir, prepareFiles(dir, files, tokName, f.valFrac)
}

// defaultCorpus is the text Go ships with every installation.
func defaultCorpus() (string, error) {
	root := runtime.GOROOT()
	if root == "" {
		if out, err := exec.Command("go", "env", "GOROOT").Output(); err == nil {
			root = strings.TrimSpace(string(out))
		}
	}
	p := filepath.Join(root, "src", "testdata", "Isaac.Newton-Opticks.txt")
	if _, err := os.Stat(p); err != nil || root == "" {
		return "", errorf("no --data given and the default corpus %s is missing: pass --data FILE_OR_FOLDER", p)
	}
	return p, nil
}
