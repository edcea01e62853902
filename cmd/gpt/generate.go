package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"strings"

	"github.com/gptgo/gptgo/checkpoints"
	"github.com/gptgo/gptgo/infer"
	"github.com/gptgo/gptgo/kernels"
	"github.com/gptgo/gptgo/model"
	"github.com/gptgo/gptgo/tokenizer"
)

func init() {
	commands["generate"] = command{
		summary: "sample text from a checkpoint (KV cache, top-k/top-p/min-p, streaming)",
		run:     runGenerate,
	}
}

// stringsFlag collects a repeated string flag.
type stringsFlag []string

func (s *stringsFlag) String() string     { return strings.Join(*s, ",") }
func (s *stringsFlag) Set(v string) error { *s = append(*s, v); return nil }

func runGenerate(args []string) error {
	fs := newFlagSet("generate")
	ckPath := fs.String("checkpoint", "", "checkpoint file or run folder (its latest.ckpt)")
	prompt := fs.String("prompt", "", "prompt text (default: --prompt-file, else stdin)")
	promptFile := fs.String("prompt-file", "", "read the prompt from a file")
	maxTokens := fs.Int("max-tokens", 256, "tokens to generate at most (-1: until end-of-text or a stop string)")
	// The defaults are infer.DefaultSamplerOptions (llama.cpp's), written
	// as float64 literals so -h shows 0.8 rather than 0.800000011920929.
	temp := fs.Float64("temperature", 0.8, "sampling temperature (0: greedy)")
	topK := fs.Int("top-k", 40, "keep the k most likely tokens (0: off)")
	topP := fs.Float64("top-p", 0.95, "keep the most likely tokens up to this probability (1: off)")
	minP := fs.Float64("min-p", 0.05, "drop tokens below this fraction of the top probability (0: off)")
	repPen := fs.Float64("repeat-penalty", 1.0, "penalty for recently seen tokens (1: off)")
	repLast := fs.Int("repeat-last-n", 64, "how many recent tokens the penalty covers (-1: all)")
	seed := fs.Int64("seed", -1, "sampling seed (-1: random, printed with --stats)")
	var stops stringsFlag
	fs.Var(&stops, "stop", "stop before this text (repeatable; not printed)")
	ignoreEOS := fs.Bool("ignore-eos", false, "do not stop at the end-of-text token")
	noSlide := fs.Bool("no-slide", false, "stop when the context is full instead of sliding the window")
	noEcho := fs.Bool("no-echo", false, "do not print the prompt before the generated text")
	threads := fs.Int("threads", 0, "threads (0: all cores)")
	interactive := fs.Bool("interactive", false, "read prompts from stdin, one per line")
	stats := fs.Bool("stats", false, "print prompt and generation speed and time to first token on stderr")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return errorf("unexpected argument %q (quote the prompt and pass it with --prompt)", fs.Arg(0))
	}
	switch {
	case *ckPath == "":
		return errorf("missing --checkpoint (a .ckpt file, or the run folder gpt train wrote)")
	case *prompt != "" && *promptFile != "":
		return errorf("give --prompt or --prompt-file, not both")
	case *interactive && (*prompt != "" || *promptFile != ""):
		return errorf("--interactive reads its prompts from stdin; drop --prompt/--prompt-file")
	case *maxTokens == 0 || *maxTokens < -1:
		return errorf("--max-tokens %d: want a positive number, or -1 for no limit", *maxTokens)
	case *temp < 0:
		return errorf("--temperature %g: want 0 (greedy) or more", *temp)
	case *topK < 0:
		return errorf("--top-k %d: want 0 (off) or more", *topK)
	case *topP <= 0 || *topP > 1:
		return errorf("--top-p %g: want a value in (0, 1]", *topP)
	case *minP < 0 || *minP > 1:
		return errorf("--min-p %g: want a value in [0, 1]", *minP)
	case *repPen <= 0:
		return errorf("--repeat-penalty %g: want a positive value (1: off)", *repPen)
	case *repLast < -1:
		return errorf("--repeat-last-n %d: want -1 (all), 0 (off) or more", *repLast)
	case *threads < 0:
		return errorf("--threads %d: want 0 (all cores) or more", *threads)
	}
	for _, s := range stops {
		if s == "" {
			return errorf("--stop: empty stop string")
		}
	}
	if *threads > 0 {
		kernels.SetThreads(*threads)
	}

	m, tok, err := loadCheckpoint(*ckPath)
	if err != nil {
		return err
	}
	g := infer.NewGenerator(m, tok)
	opts := infer.Options{
		Sampler: infer.SamplerOptions{
			Temperature: float32(*temp), TopK: *topK, TopP: float32(*topP), MinP: float32(*minP),
			RepeatPenalty: float32(*repPen), RepeatLastN: *repLast,
		},
		MaxTokens: max(*maxTokens, 0), Stop: stops, IgnoreEOS: *ignoreEOS, NoSlide: *noSlide,
	}
	if *seed >= 0 {
		opts.Sampler.Seed = uint64(*seed)
	} else {
		opts.Sampler.Seed = rand.Uint64() >> 1 // fits --seed
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	one := func(text string, echo bool) error {
		ids, err := encodePrompt(g, text)
		if err != nil {
			return err
		}
		if echo {
			io.WriteString(cmdStdout, text)
		}
		st, err := g.GenerateTo(ctx, cmdStdout, ids, opts)
		if errors.Is(err, context.Canceled) {
			err = nil // Ctrl-C: stop this generation quietly
		}
		fmt.Fprintln(cmdStdout)
		if err != nil {
			return errorf("%v", err)
		}
		if *stats {
			fmt.Fprintf(cmdStderr, "[%s | seed %d]\n", st, opts.Sampler.Seed)
		}
		return nil
	}

	if !*interactive {
		text := *prompt
		switch {
		case *promptFile != "":
			b, err := os.ReadFile(*promptFile)
			if err != nil {
				return errorf("--prompt-file: %v", err)
			}
			text = string(b)
		case text == "":
			b, err := io.ReadAll(cmdStdin)
			if err != nil {
				return errorf("reading the prompt from stdin: %v", err)
			}
			text = string(b)
		}
		return one(text, !*noEcho)
	}
	sc := bufio.NewScanner(cmdStdin)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	fmt.Fprint(cmdStderr, "> ")
	for sc.Scan() && ctx.Err() == nil {
		if line := sc.Text(); strings.TrimSpace(line) != "" {
			if err := one(line, false); err != nil {
				fmt.Fprintf(cmdStderr, "gpt generate: %v\n", err) // keep the session going
			}
		}
		fmt.Fprint(cmdStderr, "> ")
	}
	fmt.Fprintln(cmdStderr)
	if err := sc.Err(); err != nil {
		return errorf("reading stdin: %v", err)
	}
	return nil
}

// loadCheckpoint loads the model and tokenizer of a checkpoint file or run
// folder, with one-line errors.
func loadCheckpoint(pathOrDir string) (*model.Model, tokenizer.Tokenizer, error) {
	path, err := checkpoints.Resolve(pathOrDir)
	if err != nil {
		return nil, nil, errorf("%v", err)
	}
	ck, err := checkpoints.Load(path)
	if err != nil {
		return nil, nil, errorf("%v", err)
	}
	tok, err := tokenizer.FromSpec(ck.Tokenizer)
	if err != nil {
		return nil, nil, errorf("checkpoint %s: tokenizer: %v", path, err)
	}
	if tok.VocabSize() > ck.Config.VocabSize {
		return nil, nil, errorf("checkpoint %s: its tokenizer has %d ids, the model only %d", path, tok.VocabSize(), ck.Config.VocabSize)
	}
	ck.Train = nil // the optimizer state is not needed: let it be collected
	m, err := ck.Model()
	if err != nil {
		return nil, nil, errorf("checkpoint %s: %v", path, err)
	}
	return m, tok, nil
}

// encodePrompt tokenizes a prompt and checks that it fits the model: an
// empty prompt starts from the end-of-text token.
func encodePrompt(g *infer.Generator, text string) ([]int, error) {
	ids := g.Encode(text)
	c := g.Engine.Model.Config
	for _, id := range ids {
		if id < 0 || id >= c.VocabSize {
			return nil, errorf("the prompt has token %d (%q), outside the model's vocabulary of %d", id, g.Tok.Decode([]int{id}), c.VocabSize)
		}
	}
	if len(ids) > c.Context {
		return nil, errorf("the prompt is %d tokens, longer than the model's context of %d", len(ids), c.Context)
	}
	return ids, nil
}
