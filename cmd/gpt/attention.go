package main

import (
	"fmt"

	"github.com/gptgo/gptgo/internal/report"
)

func init() {
	commands["attention"] = command{summary: "draw a prompt's attention probabilities as heatmaps (layers x heads, or one head)", run: runAttention}
}

func runAttention(args []string) error {
	fs := newFlagSet("attention")
	ckPath := fs.String("checkpoint", "", "model: a .ckpt or run folder, a model.safetensors or an llm.c .bin")
	tokName := fs.String("tokenizer", "", "tokenizer for a model file that has none")
	prompt := fs.String("prompt", "", "the text whose attention to draw")
	out := fs.String("out", "attention.png", "PNG to write")
	layer := fs.Int("layer", -1, "one layer (from 0) with --head; -1: every layer")
	head := fs.Int("head", -1, "one head (from 0) with --layer: one large map with the tokens on its axes")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *ckPath == "" || *prompt == "" {
		return errorf("--checkpoint and --prompt are required")
	}
	if (*layer < 0) != (*head < 0) {
		return errorf("--layer and --head go together: both for one map, neither for the grid")
	}
	o, err := openModel(*ckPath, *tokName, false)
	if err != nil {
		return err
	}
	m, c := o.Model, o.Model.Config
	if *layer >= c.Layers || *head >= c.Heads {
		return errorf("--layer %d --head %d: the model has layers 0..%d and heads 0..%d", *layer, *head, c.Layers-1, c.Heads-1)
	}
	ids, labels, err := promptTokens(o.Tokenizer, *prompt, c.Context)
	if err != nil {
		return err
	}
	T := len(ids)
	if _, err := m.Forward(toInt32(ids), nil, 1, T); err != nil {
		return errorf("%v", err)
	}
	var maps []report.AttentionMap
	for l := range c.Layers {
		att, err := m.AttentionProbs(l)
		if err != nil {
			return errorf("%v", err)
		}
		for h := range c.Heads {
			if *layer >= 0 && (l != *layer || h != *head) {
				continue
			}
			maps = append(maps, report.AttentionMap{Title: fmt.Sprintf("layer %d head %d", l, h),
				P: append([]float32(nil), att[h*T*T:(h+1)*T*T]...)})
		}
	}
	if err := report.AttentionPNG(*out, maps, min(c.Heads, len(maps)), T, labels); err != nil {
		return errorf("--out %s: %v", *out, err)
	}
	fmt.Fprintf(cmdStdout, "wrote %s: %d map(s) of %d x %d tokens (query down, key across)\n", *out, len(maps), T, T)
	return nil
}
