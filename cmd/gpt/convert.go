package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gptgo/gptgo/bench"
	"github.com/gptgo/gptgo/checkpoints"
)

func init() {
	commands["convert"] = command{
		summary: "convert a model between gptgo (.ckpt), Hugging Face GPT-2 (.safetensors) and llm.c (.bin)",
		run:     runConvert,
	}
}

func runConvert(args []string) error {
	fs := newFlagSet("convert")
	from := fs.String("from", "", "model to read: a .ckpt or run folder, a model.safetensors or its folder, or an llm.c .bin (detected from the content)")
	to := fs.String("to", "", "file to write; the extension picks the format: .ckpt, .safetensors (config.json is written beside it) or .bin (llm.c); a folder gets model.safetensors")
	tokName := fs.String("tokenizer", "", "tokenizer to attach (gpt2, byte, a tokenizer.json ...); default: the file's own, or gpt2 for a 50257-token vocabulary")
	force := fs.Bool("force", false, "replace --to if it exists (never the file being read)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: gpt convert --from FILE --to FILE [--tokenizer NAME] [--force]")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return errorf("unexpected arguments %q", fs.Args())
	case *from == "":
		return errorf("--from is required (the model to convert)")
	case *to == "":
		return errorf("--to is required (a .ckpt, .safetensors or .bin file)")
	}
	out := *to
	if fi, err := os.Stat(out); err == nil && fi.IsDir() {
		out = filepath.Join(out, "model.safetensors")
	}
	outFormat, err := checkpoints.FormatForPath(out)
	if err != nil {
		return errorf("--to %v", err)
	}

	start := time.Now()
	o, err := openModel(*from, *tokName, true)
	if err != nil {
		return err
	}
	read := time.Since(start)
	if err := checkOutput("--to", out, o.Path, *force); err != nil {
		return err
	}
	if o.Train != nil {
		fmt.Fprintln(cmdStderr, "note: the training state (optimizer moments, data position) is not converted: the output is weights only")
		o.Train = nil
	}
	ck, inFormat := o.Checkpoint(), o.Format
	switch {
	case outFormat == checkpoints.FormatLlmc && ck.Tokenizer.Name != "gpt2":
		fmt.Fprintf(cmdStderr, "note: llm.c model files carry no tokenizer: pass --tokenizer %s when converting it back\n", ck.Tokenizer.Name)
	case outFormat == checkpoints.FormatSafetensors && ck.Tokenizer.Name != "gpt2":
		fmt.Fprintf(cmdStderr, "note: the %s tokenizer is recorded in the safetensors metadata, which only gptgo reads\n", ck.Tokenizer.Name)
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return errorf("--to %v", err)
	}
	start = time.Now()
	if err := checkpoints.Export(out, ck, outFormat); err != nil {
		return errorf("%v", oneLineErr(err))
	}
	write := time.Since(start)
	c := ck.Config
	fmt.Fprintf(cmdStdout, "converted %s (%s, %s) -> %s (%s, %s): %s parameters, %d layers, %d heads, width %d, context %d, vocabulary %d, %s activation, tokenizer %s; read %.2fs, write %.2fs\n",
		*from, inFormat.Describe(), fileMB(o.Path), out, outFormat.Describe(), fileMB(out),
		bench.HumanCount(len(ck.Params)), c.Layers, c.Heads, c.Embd, c.Context, c.VocabSize, c.Activation, ck.Tokenizer.Name,
		read.Seconds(), write.Seconds())
	return nil
}
