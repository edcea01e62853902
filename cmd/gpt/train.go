package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/gptgo/gptgo/checkpoints"
	"github.com/gptgo/gptgo/data"
	"github.com/gptgo/gptgo/internal/report"
	"github.com/gptgo/gptgo/kernels"
	"github.com/gptgo/gptgo/model"
	"github.com/gptgo/gptgo/tokenizer"
	"github.com/gptgo/gptgo/train"
)

func init() {
	commands["train"] = command{summary: "train a model on text files (default: Newton's Opticks from GOROOT)", run: runTrain}
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

// autoBPEVocab picks a BPE vocabulary for a corpus of n bytes: about
// sqrt(n) rounded to a power of two, between 512 and 32768.
func autoBPEVocab(n int64) int {
	v := 512
	for v < 32768 && float64(v)*1.41 < math.Sqrt(float64(n)) {
		v *= 2
	}
	return v
}

func runTrain(args []string) error {
	fs := newFlagSet("train")
	var paths pathsFlag
	fs.Var(&paths, "data", "text files, folders or globs (repeatable), or a folder made by gpt prepare; default: Newton's Opticks from GOROOT")
	tokName := fs.String("tokenizer", "", "gpt2, cl100k, o200k, byte, bpe:VOCAB; default: a BPE trained on the data, vocabulary ~sqrt(bytes)")
	preset := fs.String("preset", "", "model preset: "+strings.Join(model.PresetNames(), ", ")+" (flags below override it)")
	layers := fs.Int("layers", 4, "transformer blocks")
	heads := fs.Int("heads", 4, "attention heads")
	embd := fs.Int("embd", 128, "embedding width")
	ctxLen := fs.Int("context", 128, "context length (tokens)")
	act := fs.String("activation", "gelu", "MLP activation: gelu, relu, tanh, sigmoid")
	batch := fs.Int("batch", 16, "sequences per micro-batch")
	epochs := fs.Float64("epochs", 0, "passes over the training data (given alone, it replaces the default --max-steps)")
	maxSteps := fs.Int("max-steps", 1000, "optimizer steps (0: use --epochs)")
	lr := fs.Float64("lr", 2e-3, "peak learning rate")
	minLR := fs.Float64("min-lr", 2e-4, "learning rate at the end of the cosine decay")
	warmup := fs.Int("warmup", 100, "linear warmup steps")
	wd := fs.Float64("weight-decay", 0.1, "AdamW weight decay (2-D weights only)")
	clip := fs.Float64("grad-clip", 1.0, "global gradient-norm clipping (0: off)")
	accum := fs.Int("grad-accum", 1, "micro-batches per optimizer step")
	evalEvery := fs.Int("eval-every", 200, "steps between validation evaluations (0: only at the end)")
	evalBatches := fs.Int("eval-batches", 20, "validation batches per evaluation")
	sampleEvery := fs.Int("sample-every", 0, "steps between samples (0: at each evaluation)")
	saveEvery := fs.Int("save-every", 0, "also keep a step-N checkpoint every N steps (0: never)")
	seed := fs.Uint64("seed", 1337, "seed for initialisation and data order")
	threads := fs.Int("threads", runtime.NumCPU(), "threads")
	out := fs.String("out", "runs/latest", "output folder for checkpoints, metrics.jsonl and loss.png")
	resume := fs.String("resume", "", "resume from a checkpoint file or run folder")
	valFrac := fs.Float64("val-fraction", 0.1, "share of each document kept for validation when preparing text")
	if err := fs.Parse(args); err != nil {
		return err
	}
	paths = append(paths, fs.Args()...)
	if *threads < 1 {
		return errorf("--threads %d: want at least 1", *threads)
	}
	kernels.SetThreads(*threads)
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	if set["epochs"] && !set["max-steps"] {
		*maxSteps = 0 // --epochs alone sets the length of the run
	}
	var ck *checkpoints.Checkpoint
	opt := train.Options{Batch: *batch, Context: *ctxLen, Epochs: *epochs, MaxSteps: *maxSteps, LR: *lr, MinLR: *minLR,
		Warmup: *warmup, WeightDecay: *wd, GradClip: *clip, GradAccum: *accum, EvalEvery: *evalEvery,
		EvalBatches: *evalBatches, SampleEvery: *sampleEvery, SaveEvery: *saveEvery, Seed: *seed}
	var dataDir string
	if *resume != "" {
		path, err := checkpoints.Resolve(*resume)
		if err != nil {
			return errorf("--resume: %v", err)
		}
		if ck, err = checkpoints.Load(path); err != nil {
			return errorf("--resume: %v", err)
		}
		if ck.Train == nil {
			return errorf("--resume %s: a weights-only checkpoint has no training state", path)
		}
		var saved runOptions
		if err := json.Unmarshal(ck.Train.Hyper, &saved); err != nil {
			return errorf("--resume %s: training options: %v", path, err)
		}
		opt, dataDir = saved.Options, saved.Data
		if set["max-steps"] || set["epochs"] { // extending a run is allowed
			opt.MaxSteps, opt.Epochs = *maxSteps, *epochs
		}
		if !set["out"] {
			*out = filepath.Dir(path)
		}
		fmt.Fprintf(cmdStdout, "resuming %s at step %d\n", path, ck.Train.Step)
	}

	if dataDir == "" {
		var err error
		if dataDir, err = prepareTrainingData(paths, *tokName, *valFrac, *out); err != nil {
			return err
		}
	}
	trainToks, err := data.OpenTokens(filepath.Join(dataDir, "train.bin"))
	if err != nil {
		return errorf("%v", err)
	}
	defer trainToks.Close()
	var valToks data.Tokens
	if vt, err := data.OpenTokens(filepath.Join(dataDir, "val.bin")); err == nil && vt.Len() > opt.Context {
		defer vt.Close()
		valToks = vt
	}
	tok, err := tokenizer.Load(filepath.Join(dataDir, "tokenizer.json"))
	if err != nil {
		return errorf("%v", err)
	}

	var m *model.Model
	if ck != nil {
		if m, err = ck.Model(); err != nil {
			return errorf("--resume: %v", err)
		}
	} else {
		cfg := model.Config{Layers: *layers, Heads: *heads, Embd: *embd, Context: *ctxLen, Activation: model.Activation(*act)}
		if *preset != "" {
			p, err := model.Preset(*preset, tok.VocabSize())
			if err != nil {
				return errorf("--preset: %v", err)
			}
			for name, v := range map[string]*int{"layers": &p.Layers, "heads": &p.Heads, "embd": &p.Embd, "context": &p.Context} {
				if set[name] {
					*v = *map[string]*int{"layers": layers, "heads": heads, "embd": embd, "context": ctxLen}[name]
				}
			}
			if set["activation"] {
				p.Activation = model.Activation(*act)
			}
			cfg = p
			if !set["context"] {
				opt.Context = min(cfg.Context, 256)
			}
		}
		cfg.VocabSize = tok.VocabSize()
		if m, err = model.New(cfg, *seed); err != nil {
			return errorf("model: %v", err)
		}
	}
	if trainToks.Len() < opt.Context+1 {
		return errorf("%s: %d tokens, fewer than context+1 = %d: use more text or a smaller --context",
			trainToks.Name(), trainToks.Len(), opt.Context+1)
	}
	hyper := runOptions{Options: opt, Data: dataDir}
	r, err := train.NewRun(&train.Run{Model: m, Tokenizer: tok.Spec(), TrainData: trainToks, ValData: valToks,
		Opt: opt, OutDir: *out, Observer: report.NewTraining(cmdStdout, report.Auto),
		Command: append([]string{"gpt", "train"}, args...), Hyper: hyper,
		Sample: trainSampler(tok)}, ck)
	if err != nil {
		return errorf("%v", err)
	}
	p := r.Plan()
	c := m.Config
	fmt.Fprintf(cmdStdout, "model: %d layers, %d heads, width %d, context %d, vocabulary %d, %s: %.2fM parameters\n",
		c.Layers, c.Heads, c.Embd, c.Context, c.VocabSize, c.Activation, float64(p.Params)/1e6)
	fmt.Fprintf(cmdStdout, "data: %d train tokens, %d val tokens; batch %d x %d x %d accum = %d tokens/step; %d iterations per epoch\n",
		p.TrainTokens, p.ValTokens, opt.Batch, opt.Context, opt.GradAccum, p.TokensPerStep, p.ItersPerEpoch)
	fmt.Fprintf(cmdStdout, "plan: %d steps (%.2f epochs) from step %d, lr %.1e -> %.1e, warmup %d, %d threads, %.1f GFLOP/step\n",
		p.TotalSteps, float64(p.TotalSteps*opt.GradAccum)/float64(max(p.ItersPerEpoch, 1)), r.Step(), opt.LR, opt.MinLR, opt.Warmup,
		kernels.Threads(), p.FlopsPerStep/1e9)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := r.Train(ctx)
	if err != nil {
		return errorf("%v", err)
	}
	if res.Interrupted {
		fmt.Fprintf(cmdStdout, "interrupted at step %d; checkpoint %s\nresume with: gpt train --resume %s\n", res.Steps, res.Latest, *out)
		return nil
	}
	fmt.Fprintf(cmdStdout, "done: %d steps in %s, train loss %.4f, val loss %.4f\ncheckpoint: %s\nsample with: gpt generate --checkpoint %s --prompt \"...\"\n",
		res.Steps, res.Elapsed.Round(time.Second), res.LastLoss, res.ValLoss, res.Latest, res.Latest)
	return nil
}

// runOptions are what a checkpoint records to resume a run: the training
// options and the token folder.
type runOptions struct {
	train.Options
	Data string `json:"data"`
}

// prepareTrainingData turns --data into a token folder: a folder made by
// gpt prepare is used as it is; text is prepared into OUT/data.
func prepareTrainingData(paths []string, tokName string, valFrac float64, out string) (string, error) {
	if len(paths) == 1 {
		if _, err := os.Stat(filepath.Join(paths[0], "train.bin")); err == nil {
			if tokName != "" {
				return "", errorf("--tokenizer: %s is already tokenized (by gpt prepare); drop --tokenizer", paths[0])
			}
			return paths[0], nil
		}
	}
	if len(paths) == 0 {
		p, err := defaultCorpus()
		if err != nil {
			return "", err
		}
		fmt.Fprintf(cmdStdout, "no --data given: training on the default corpus %s\n", p)
		paths = []string{p}
	}
	if tokName == "" {
		files, err := data.Collect(paths)
		if err != nil {
			return "", errorf("%v", err)
		}
		var n int64
		for _, f := range files {
			if st, err := os.Stat(f); err == nil {
				n += st.Size()
			}
		}
		tokName = fmt.Sprintf("bpe:%d", autoBPEVocab(n))
	}
	dir := filepath.Join(out, "data")
	args := []string{"--tokenizer", tokName, "--out", dir, "--val-fraction", fmt.Sprint(valFrac)}
	for _, p := range paths {
		args = append(args, "--data", p)
	}
	if err := runPrepare(args); err != nil {
		return "", err
	}
	return dir, nil
}
