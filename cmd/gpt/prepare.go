package main

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/gptgo/gptgo/data"
	"github.com/gptgo/gptgo/internal/report"
	"github.com/gptgo/gptgo/tokenizer"
)

func init() {
	commands["prepare"] = command{
		summary: "tokenize text files into train.bin / val.bin token files",
		run:     runPrepare,
	}
}

// progressMin is the input size from which gpt prepare shows a progress bar.
const progressMin = 4 << 20

func runPrepare(args []string) error {
	fs := newFlagSet("prepare")
	var paths listFlag
	fs.Var(&paths, "data", "text file, folder (recursive, text files only) or glob; repeat it, or list paths after the flags")
	name := fs.String("tokenizer", "gpt2", "gpt2, cl100k, o200k, byte, bpe:VOCAB (train a BPE on the data), or a tokenizer.json / .bpe file")
	out := fs.String("out", "", "output folder for train.bin, val.bin and tokenizer.json (required)")
	valFrac := fs.Float64("val-fraction", 0.1, "share of each document's tokens, from its end, kept for validation")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: gpt prepare --data PATH... --tokenizer NAME --out DIR [--val-fraction F]")
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	paths = append(paths, fs.Args()...)
	if len(paths) == 0 {
		return errorf("--data: no input paths given")
	}
	if *out == "" {
		return errorf("--out: output folder is required")
	}
	if *valFrac < 0 || *valFrac >= 1 || *valFrac != *valFrac {
		return errorf("--val-fraction %v: want a number in [0, 1)", *valFrac)
	}
	if _, isBPE, err := tokenizer.ParseBPEVocab(*name); err != nil {
		return errorf("--tokenizer: %v", err)
	} else if !isBPE {
		if _, err := loadTokenizer(*name); err != nil {
			return err // check before reading any data
		}
	}
	files, err := data.Collect(paths)
	if err != nil {
		return errorf("%v", err)
	}
	return prepareFiles(*out, files, *name, *valFrac)
}

// prepareFiles tokenizes files with the tokenizer tokName names (training
// it for bpe:VOCAB) into train.bin, val.bin and tokenizer.json in dir, and
// prints what it wrote. gpt train calls it for text given to --data.
func prepareFiles(dir string, files []string, tokName string, valFrac float64) error {
	start := time.Now()
	tok, trained, err := tokenizer.ForFiles(tokName, files)
	if err != nil {
		return errorf("--tokenizer: %v", oneLineErr(err))
	}
	if trained {
		fmt.Fprintf(cmdStderr, "trained BPE: vocabulary %d on %d bytes in %.2fs\n", tok.VocabSize(), data.Size(files), time.Since(start).Seconds())
	}
	return prepareWith(dir, files, tok, valFrac)
}

// prepareWith tokenizes files with tok into train.bin, val.bin and
// tokenizer.json in dir, and prints what it wrote.
func prepareWith(dir string, files []string, tok tokenizer.Tokenizer, valFrac float64) error {
	total := data.Size(files)
	spec, err := tokenizer.MarshalSpec(tok)
	if err != nil {
		return errorf("%v", err)
	}
	opt := data.Options{
		Encode:        tok.Encode,
		EOT:           tok.EOT(),
		VocabSize:     tok.VocabSize(),
		ValFraction:   valFrac,
		TokenizerJSON: spec,
	}
	finish := func() {}
	if total >= progressMin {
		opt.Progress, finish = report.ByteBar(cmdStderr, report.Auto, "tokenizing", total)
	}
	start := time.Now()
	st, err := data.Prepare(dir, files, opt)
	finish()
	if err != nil {
		return errorf("%v", err)
	}
	if bpe, ok := tok.(*tokenizer.BPE); ok {
		if err := bpe.Save(filepath.Join(dir, "tokenizer.bpe")); err != nil {
			return errorf("%v", err)
		}
	}
	secs := time.Since(start).Seconds()
	w := cmdStdout
	fmt.Fprintf(w, "%d files, %d bytes, tokenizer %s (vocabulary %d, token file version %d), %.2fs (%.1f MB/s)\n",
		st.Files, st.Bytes, tok.Spec().Name, tok.VocabSize(), data.VersionFor(tok.VocabSize()), secs, float64(st.Bytes)/secs/1e6)
	fmt.Fprintf(w, "%s: %d tokens\n", filepath.Join(dir, data.TrainFile), st.TrainTokens)
	fmt.Fprintf(w, "%s: %d tokens\n", filepath.Join(dir, data.ValFile), st.ValTokens)
	return nil
}
