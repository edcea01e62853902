package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/signal"
	"strings"

	"github.com/gptgo/gptgo/data"
	"github.com/gptgo/gptgo/infer"
)

func init() {
	commands["generate"] = command{
		summary: "sample text from a checkpoint (KV cache, top-k/top-p/min-p, streaming)",
		run:     runGenerate,
	}
}

// generateFlags are gpt generate's flags.
type generateFlags struct {
	ckPath, tokName, prompt, promptFile string
	dtype                               *dtypeFlag
	maxTokens, topK, repLast            int
	temp, topP, minP, repPen            float64
	seed                                int64
	stops                               listFlag
	ignoreEOS, noSlide, noEcho          bool
	interactive, stats                  bool
	threads                             *int
}

func parseGenerateFlags(args []string) (*generateFlags, error) {
	f := &generateFlags{}
	fs := newFlagSet("generate")
	fs.StringVar(&f.ckPath, "checkpoint", "", "model: a .ckpt or run folder (its latest.ckpt), a model.safetensors (or its folder) or an llm.c .bin")
	fs.StringVar(&f.tokName, "tokenizer", "", "tokenizer for a model file that has none (llm.c, foreign safetensors)")
	f.dtype = addDType(fs)
	fs.StringVar(&f.prompt, "prompt", "", "prompt text (default: --prompt-file, else stdin)")
	fs.StringVar(&f.promptFile, "prompt-file", "", "read the prompt from a file")
	fs.IntVar(&f.maxTokens, "max-tokens", 256, "tokens to generate at most (-1: until end-of-text or a stop string)")
	// The defaults are infer.DefaultSamplerOptions (llama.cpp's), written
	// as float64 literals so -h shows 0.8 rather than 0.800000011920929.
	fs.Float64Var(&f.temp, "temperature", 0.8, "sampling temperature (0: greedy)")
	fs.IntVar(&f.topK, "top-k", 40, "keep the k most likely tokens (0: off)")
	fs.Float64Var(&f.topP, "top-p", 0.95, "keep the most likely tokens up to this probability (1: off)")
	fs.Float64Var(&f.minP, "min-p", 0.05, "drop tokens below this fraction of the top probability (0: off)")
	fs.Float64Var(&f.repPen, "repeat-penalty", 1.0, "penalty for recently seen tokens (1: off)")
	fs.IntVar(&f.repLast, "repeat-last-n", 64, "how many recent tokens the penalty covers (-1: all)")
	fs.Int64Var(&f.seed, "seed", -1, "sampling seed (-1: random, printed with --stats)")
	fs.Var(&f.stops, "stop", "stop before this text (repeatable; not printed)")
	fs.BoolVar(&f.ignoreEOS, "ignore-eos", false, "do not stop at the end-of-text token")
	fs.BoolVar(&f.noSlide, "no-slide", false, "stop when the context is full instead of sliding the window")
	fs.BoolVar(&f.noEcho, "no-echo", false, "do not print the prompt before the generated text")
	f.threads = addThreads(fs)
	fs.BoolVar(&f.interactive, "interactive", false, "read prompts from stdin, one per line")
	fs.BoolVar(&f.stats, "stats", false, "print prompt and generation speed and time to first token on stderr")
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, errorf("unexpected argument %q (quote the prompt and pass it with --prompt)", fs.Arg(0))
	}
	if err := f.validate(); err != nil {
		return nil, err
	}
	return f, setThreads(*f.threads)
}

func (f *generateFlags) validate() error {
	switch {
	case f.ckPath == "":
		return errorf("missing --checkpoint (a .ckpt file, or the run folder gpt train wrote)")
	case f.prompt != "" && f.promptFile != "":
		return errorf("give --prompt or --prompt-file, not both")
	case f.interactive && (f.prompt != "" || f.promptFile != ""):
		return errorf("--interactive reads its prompts from stdin; drop --prompt/--prompt-file")
	case f.maxTokens == 0 || f.maxTokens < -1:
		return errorf("--max-tokens %d: want a positive number, or -1 for no limit", f.maxTokens)
	case !(f.temp >= 0) || math.IsInf(f.temp, 0): // NaN fails every comparison
		return errorf("--temperature %g: want 0 (greedy) or more, finite", f.temp)
	case f.topK < 0:
		return errorf("--top-k %d: want 0 (off) or more", f.topK)
	case !(f.topP > 0 && f.topP <= 1):
		return errorf("--top-p %g: want a value in (0, 1]", f.topP)
	case !(f.minP >= 0 && f.minP <= 1):
		return errorf("--min-p %g: want a value in [0, 1]", f.minP)
	case !(f.repPen > 0) || math.IsInf(f.repPen, 0):
		return errorf("--repeat-penalty %g: want a positive value (1: off)", f.repPen)
	case f.repLast < -1:
		return errorf("--repeat-last-n %d: want -1 (all), 0 (off) or more", f.repLast)
	}
	for _, s := range f.stops {
		if s == "" {
			return errorf("--stop: empty stop string")
		}
	}
	return nil
}

// options are the generation options the flags describe.
func (f *generateFlags) options() infer.Options {
	opts := infer.Options{
		Sampler: infer.SamplerOptions{
			Temperature: float32(f.temp), TopK: f.topK, TopP: float32(f.topP), MinP: float32(f.minP),
			RepeatPenalty: float32(f.repPen), RepeatLastN: f.repLast,
		},
		MaxTokens: max(f.maxTokens, 0), Stop: f.stops, IgnoreEOS: f.ignoreEOS, NoSlide: f.noSlide,
	}
	if f.seed >= 0 {
		opts.Sampler.Seed = uint64(f.seed)
	} else {
		opts.Sampler.Seed = rand.Uint64() >> 1 // fits --seed
	}
	return opts
}

func runGenerate(args []string) error {
	f, err := parseGenerateFlags(args)
	if err != nil {
		return err
	}
	o, err := openModel(f.ckPath, f.tokName, false)
	if err != nil {
		return err
	}
	if err := f.dtype.convert(o); err != nil {
		return err
	}
	g := infer.NewGenerator(o.Model, o.Tokenizer)
	opts := f.options()
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
		if f.stats {
			fmt.Fprintf(cmdStderr, "[%s | seed %d | %v weights, %s]\n", st, opts.Sampler.Seed, o.Model.W.DType, megabytes(int64(o.Model.W.Bytes())))
		}
		return nil
	}
	if f.interactive {
		return interact(ctx, one)
	}
	text, err := f.readPrompt()
	if err != nil {
		return err
	}
	return one(text, !f.noEcho)
}

// readPrompt returns the prompt of --prompt, --prompt-file or stdin.
func (f *generateFlags) readPrompt() (string, error) {
	switch {
	case f.promptFile != "":
		b, err := data.ReadFileAtMost(f.promptFile, data.MaxPromptBytes)
		if err != nil {
			return "", errorf("--prompt-file: %v", err)
		}
		return string(b), nil
	case f.prompt == "":
		b, err := data.ReadAtMost(cmdStdin, data.MaxPromptBytes, "the prompt on stdin")
		if err != nil {
			return "", errorf("%v", err)
		}
		return string(b), nil
	}
	return f.prompt, nil
}

// interact reads prompts from stdin, one per line, and answers each with
// one; an error is reported and the session goes on.
func interact(ctx context.Context, one func(text string, echo bool) error) error {
	sc := bufio.NewScanner(cmdStdin)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	fmt.Fprint(cmdStderr, "> ")
	for sc.Scan() && ctx.Err() == nil {
		if line := sc.Text(); strings.TrimSpace(line) != "" {
			if err := one(line, false); err != nil {
				fmt.Fprintf(cmdStderr, "gpt generate: %v\n", err)
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
