package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gptgo/gptgo/checkpoints"
	"github.com/gptgo/gptgo/kernels"
	"github.com/gptgo/gptgo/serve"
)

func init() {
	commands["serve"] = command{
		summary: "serve a model over HTTP: OpenAI's completions and chat APIs, streaming, a web page",
		run:     runServe,
	}
}

// serveFlags are gpt serve's flags.
type serveFlags struct {
	ckPath, tokName, host, apiKey, cors string
	port, parallel, queue, maxTokens    int
	dtype                               *dtypeFlag
	threads                             *int
}

func parseServeFlags(args []string) (*serveFlags, error) {
	f := &serveFlags{}
	fs := newFlagSet("serve")
	fs.StringVar(&f.ckPath, "checkpoint", "", "model: a .ckpt or run folder (its latest.ckpt), a model.safetensors (or its folder) or an llm.c .bin")
	fs.StringVar(&f.tokName, "tokenizer", "", "tokenizer for a model file that has none (llm.c, foreign safetensors)")
	f.dtype = addDType(fs)
	fs.StringVar(&f.host, "host", "127.0.0.1", "address to listen on (0.0.0.0: every interface)")
	fs.IntVar(&f.port, "port", 8080, "TCP port (0: any free port)")
	fs.IntVar(&f.parallel, "parallel", 4, "sequences decoded together (slots)")
	fs.IntVar(&f.queue, "queue", 0, "requests waiting for a slot before 503 (0: 4 x --parallel)")
	fs.IntVar(&f.maxTokens, "max-tokens", 512, "the most (and the default) tokens a request generates")
	fs.StringVar(&f.apiKey, "api-key", "", "require \"Authorization: Bearer KEY\" on the API (default: $GPTGO_API_KEY, else none)")
	fs.StringVar(&f.cors, "cors", "", "origin allowed to call the API from a browser page (e.g. https://example.com; default: none)")
	f.threads = addThreads(fs)
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, errorf("unexpected argument %q", fs.Arg(0))
	}
	switch {
	case f.ckPath == "":
		return nil, errorf("--checkpoint is required: the model to serve")
	case f.port < 0 || f.port > 65535:
		return nil, errorf("--port %d: want 0 to 65535", f.port)
	case f.parallel < 1:
		return nil, errorf("--parallel %d: want 1 or more", f.parallel)
	case f.queue < 0:
		return nil, errorf("--queue %d: want 0 or more", f.queue)
	case f.maxTokens < 1:
		return nil, errorf("--max-tokens %d: want 1 or more", f.maxTokens)
	}
	if f.apiKey == "" {
		f.apiKey = os.Getenv("GPTGO_API_KEY")
	}
	return f, setThreads(*f.threads)
}

func runServe(args []string) error {
	f, err := parseServeFlags(args)
	if err != nil {
		return err
	}
	if _, err := checkpoints.ModelFile(f.ckPath); err != nil {
		return errorf("--checkpoint: %v", err)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(f.host, strconv.Itoa(f.port)))
	if err != nil {
		return errorf("--host/--port: %v", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(cmdStdout, "listening on http://%s (loading %s; /health answers 503 until it is ready)\n", ln.Addr(), f.ckPath)
	load := func() (*serve.Server, error) {
		o, err := openModel(f.ckPath, f.tokName, false)
		if err != nil {
			return nil, err
		}
		if err := f.dtype.convert(o); err != nil {
			return nil, err
		}
		name := modelName(o.Path)
		s, err := serve.New(o.Model, o.Tokenizer, serve.Options{ModelName: name, Parallel: f.parallel, Queue: f.queue,
			MaxTokens: f.maxTokens, APIKey: f.apiKey, CORS: f.cors})
		if err != nil {
			return nil, errorf("%v", err)
		}
		c := o.Model.Config
		auth := "no API key"
		if f.apiKey != "" {
			auth = "API key required"
		}
		fmt.Fprintf(cmdStdout, "serving %q: %d layers, width %d, context %d, vocabulary %d, %v weights (%s), tokenizer %s; %d slots, %d threads, %s\n",
			name, c.Layers, c.Embd, c.Context, c.VocabSize, o.Model.W.DType, megabytes(int64(o.Model.W.Bytes())),
			o.Tokenizer.Spec().Name, f.parallel, kernels.Threads(), auth)
		fmt.Fprintf(cmdStdout, "web page: http://%s/   API: http://%s/v1   (Ctrl-C stops)\n", ln.Addr(), ln.Addr())
		return s, nil
	}
	if err := serve.Serve(ctx, ln, 30*time.Second, load); err != nil {
		return err
	}
	fmt.Fprintln(cmdStdout, "stopped")
	return nil
}

// modelName is what the API calls the model: its file name without the
// extension, or its folder's name for latest.ckpt and model.safetensors.
func modelName(path string) string {
	base := filepath.Base(path)
	if base == checkpoints.LatestName || base == "model.safetensors" {
		base = filepath.Base(filepath.Dir(path))
	}
	return strings.TrimSuffix(base, filepath.Ext(base))
}
