package main

import (
	"bufio"
	"fmt"

	"github.com/gptgo/gptgo/data"
	"github.com/gptgo/gptgo/internal/report"
)

func init() {
	commands["tokenize"] = command{
		summary: "show how a tokenizer splits stdin (token ids or colored boundaries) and count tokens",
		run:     runTokenize,
	}
}

func runTokenize(args []string) error {
	fs := newFlagSet("tokenize")
	name := fs.String("tokenizer", "gpt2", "gpt2, cl100k, o200k, byte, or a tokenizer.json, .bpe file or prepared folder")
	ids := fs.Bool("ids", false, "print token ids instead of colored text")
	color := fs.String("color", "auto", "color token boundaries: auto (if stdout is a terminal), always, never (then tokens are separated by |)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: gpt tokenize [--tokenizer NAME] [--ids] < text\n\nReads stdin, prints its tokens, and the token count on stderr.")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return errorf("unexpected argument %q (the text comes on stdin)", fs.Arg(0))
	}
	useColor := false
	switch *color {
	case "auto":
		useColor = report.IsTerminal(cmdStdout)
	case "always":
		useColor = true
	case "never":
	default:
		return errorf("--color %q: want auto, always or never", *color)
	}
	tok, err := loadTokenizer(*name)
	if err != nil {
		return err
	}
	text, err := data.ReadAtMost(cmdStdin, data.MaxTextBytes, "stdin")
	if err != nil {
		return errorf("%v", err)
	}
	toks := tok.Encode(string(text))
	w := bufio.NewWriter(cmdStdout)
	if *ids {
		report.WriteIDs(w, toks)
	} else {
		report.WriteTokens(w, tok, toks, useColor)
		if len(text) > 0 && text[len(text)-1] != '\n' {
			w.WriteString("\n")
		}
	}
	if err := w.Flush(); err != nil {
		return errorf("writing output: %v", err)
	}
	ratio := 0.0
	if len(toks) > 0 {
		ratio = float64(len(text)) / float64(len(toks))
	}
	fmt.Fprintf(cmdStderr, "%d tokens, %d bytes, %.2f bytes/token (%s, vocabulary %d)\n", len(toks), len(text), ratio, tok.Spec().Name, tok.VocabSize())
	return nil
}
