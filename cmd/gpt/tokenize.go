package main

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/gptgo/gptgo/tokenizer"
)

func init() {
	commands["tokenize"] = command{
		summary: "show how a tokenizer splits stdin (token ids or colored boundaries) and count tokens",
		run:     runTokenize,
	}
}

var tokenColors = []string{"\x1b[48;5;24m", "\x1b[48;5;94m", "\x1b[48;5;28m", "\x1b[48;5;90m", "\x1b[48;5;130m", "\x1b[48;5;30m"}

const colorReset = "\x1b[0m"

func runTokenize(args []string) error {
	fs := newFlagSet("tokenize")
	name := fs.String("tokenizer", "gpt2", "gpt2, cl100k, o200k, byte, or a tokenizer.json, .bpe file or prepared folder")
	ids := fs.Bool("ids", false, "print token ids instead of colored text")
	color := fs.String("color", "auto", "color token boundaries: auto (if stdout is a terminal), always, never (then tokens are separated by |)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: gpt tokenize [--tokenizer NAME] [--ids] < text\n\nReads stdin, prints its tokens, and the token count on stderr.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return errorf("unexpected argument %q (the text comes on stdin)", fs.Arg(0))
	}
	useColor := false
	switch *color {
	case "auto":
		useColor = isTerminal(cmdStdout)
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
	text, err := io.ReadAll(cmdStdin)
	if err != nil {
		return errorf("reading stdin: %v", err)
	}
	toks := tok.Encode(string(text))
	w := bufio.NewWriter(cmdStdout)
	if *ids {
		var b []byte
		for i, id := range toks {
			if i > 0 {
				b = append(b, ' ')
			}
			b = strconv.AppendInt(b, int64(id), 10)
			if len(b) > 1<<16 {
				w.Write(b)
				b = b[:0]
			}
		}
		w.Write(append(b, '\n'))
	} else {
		d := tokenizer.NewStreamDecoder(tok)
		k := 0
		piece := func(s string) {
			if s == "" {
				return
			}
			if !useColor {
				if k > 0 {
					w.WriteString("|")
				}
				w.WriteString(s)
				k++
				return
			}
			c := tokenColors[k%len(tokenColors)]
			k++
			// Keep the color off line ends so it does not bleed.
			for i, line := range strings.Split(s, "\n") {
				if i > 0 {
					w.WriteString("\n")
				}
				if line != "" {
					w.WriteString(c + line + colorReset)
				}
			}
		}
		for _, id := range toks {
			piece(d.Next(id))
		}
		piece(d.Flush())
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
