package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/gptgo/gptgo/data"
	"github.com/gptgo/gptgo/internal/report"
	"github.com/gptgo/gptgo/model"
	"github.com/gptgo/gptgo/tokenizer"
	"github.com/gptgo/gptgo/train"
)

func init() {
	commands["eval"] = command{
		summary: "mean cross-entropy and perplexity of a model on a text or token file",
		run:     runEval,
	}
}

// evalResult is what gpt eval measures.
type evalResult struct {
	Tokens  int     // positions scored: batches × B × T
	Batches int     // batches evaluated
	B, T    int     // batch shape
	Loss    float64 // mean cross-entropy (nats per token)
	Seconds float64 // wall time of the forward passes
}

// evaluate scores m on toks with train.Evaluate and times it.
func evaluate(m *model.Model, toks data.Tokens, B, T, maxBatches int, progress func(done, total int)) (evalResult, error) {
	start := time.Now()
	loss, n, err := train.Evaluate(m, toks, B, T, maxBatches, progress)
	if err != nil {
		return evalResult{}, err
	}
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return evalResult{}, fmt.Errorf("the loss is %v: the model's output is not finite (its weights diverged or are corrupt)", loss)
	}
	return evalResult{Tokens: n * B * T, Batches: n, B: B, T: T, Loss: loss, Seconds: time.Since(start).Seconds()}, nil
}

// evalTokens opens the tokens of --data (see data.OpenEval), checking that
// a prepared folder was tokenized with tok and every id is below vocab.
func evalTokens(path string, tok tokenizer.Tokenizer, vocab int) (data.Tokens, func(), error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		if err := tokenizer.CheckSpecFile(filepath.Join(path, data.TokenizerFile), tok); err != nil {
			return nil, nil, errorf("--data: %v", err)
		}
	}
	toks, closer, err := data.OpenEval(path, vocab, tok.Encode)
	if err != nil {
		return nil, nil, errorf("--data %v", err)
	}
	return toks, closer, nil
}

func runEval(args []string) error {
	fs := newFlagSet("eval")
	ckPath := fs.String("checkpoint", "", "model: a .ckpt or run folder, a model.safetensors (or its folder) or an llm.c .bin")
	dataPath := fs.String("data", "", "text file (encoded with the model's tokenizer), token file (.bin), or a gpt prepare folder (its val.bin)")
	batch := fs.Int("batch", 4, "sequences per batch")
	context := fs.Int("context", 0, "tokens per sequence (0: the model's context)")
	maxBatches := fs.Int("max-batches", 0, "evaluate at most this many batches (0: all)")
	threads := addThreads(fs)
	progress := addProgress(fs)
	tokName := fs.String("tokenizer", "", "tokenizer for a model file that has none (llm.c, foreign safetensors)")
	dtype := addDType(fs)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: gpt eval --checkpoint MODEL --data FILE_OR_DIR [--dtype q8_0] [--batch 4] [--context N] [--max-batches N]\n\nMean cross-entropy and perplexity over consecutive windows of the data (deterministic).")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return errorf("unexpected arguments %q", fs.Args())
	case *ckPath == "":
		return errorf("--checkpoint is required")
	case *dataPath == "":
		return errorf("--data is required (a text file, a token file or a gpt prepare folder)")
	case *batch < 1:
		return errorf("--batch %d: want at least 1", *batch)
	case *context < 0:
		return errorf("--context %d: want 0 (the model's) or more", *context)
	case *maxBatches < 0:
		return errorf("--max-batches %d: want 0 (all) or more", *maxBatches)
	}
	if err := setThreads(*threads); err != nil {
		return err
	}
	o, err := openModel(*ckPath, *tokName, false)
	if err != nil {
		return err
	}
	if err := dtype.convert(o); err != nil {
		return err
	}
	m, tok := o.Model, o.Tokenizer
	T := *context
	if T > m.Config.Context {
		return errorf("--context %d exceeds the model's context %d", T, m.Config.Context)
	}
	toks, closeToks, err := evalTokens(*dataPath, tok, m.Config.VocabSize)
	if err != nil {
		return err
	}
	defer closeToks()
	B := *batch
	if T == 0 {
		B, T = train.EvalShape(toks.Len(), B, m.Config.Context)
	}
	if need, avail := model.ActivationBytes(m.Config, B, T), availableMemory(); avail > 0 && need > 0.9*avail {
		return errorf("--batch %d --context %d needs about %.3g GB of activations and %.3g GB is available: lower --batch or --context", B, T, need/1e9, avail/1e9)
	}
	bar := report.Bar(cmdStderr, *progress, "eval")
	r, err := evaluate(m, toks, B, T, *maxBatches, bar)
	if err != nil {
		return errorf("%v", oneLineErr(err))
	}
	fmt.Fprintf(cmdStdout, "eval %s (%v) on %s: %d tokens (%d batches of %dx%d), loss %.4f, perplexity %.2f, %.0f tok/s\n",
		*ckPath, m.W.DType, *dataPath, r.Tokens, r.Batches, r.B, r.T, r.Loss, math.Exp(r.Loss), float64(r.Tokens)/max(r.Seconds, 1e-9))
	return nil
}
