package main

import (
	"fmt"
	"io"
	"math"
	"sort"

	"github.com/gptgo/gptgo/model"
	"github.com/gptgo/gptgo/tokenizer"
)

func init() {
	commands["inspect"] = command{summary: "follow one forward pass: tensor shapes, a logit lens, the next-token distribution, gradients", run: runInspect}
}

func runInspect(args []string) error {
	fs := newFlagSet("inspect")
	ckPath := fs.String("checkpoint", "", "model: a .ckpt or run folder, a model.safetensors or an llm.c .bin")
	tokName := fs.String("tokenizer", "", "tokenizer for a model file that has none")
	prompt := fs.String("prompt", "", "the text to run through the model")
	target := fs.String("target", "", "a continuation: its loss, then one backward pass (gradient norms, a derivative checked by finite differences)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *ckPath == "" || *prompt == "" {
		return errorf("--checkpoint and --prompt are required")
	}
	o, err := openModel(*ckPath, *tokName, false)
	if err != nil {
		return err
	}
	m, tok, c := o.Model, o.Tokenizer, o.Model.Config
	ids, labels, err := promptTokens(tok, *prompt, c.Context)
	if err != nil {
		return err
	}
	w := cmdStdout
	T := len(ids)
	fmt.Fprintf(w, "prompt: %d tokens %q\n\n", T, labels)
	printShapes(w, c, T)
	if _, err := m.Forward(toInt32(ids), nil, 1, T); err != nil {
		return errorf("%v", err)
	}
	lens, err := m.LogitLens(T - 1)
	if err != nil {
		return errorf("%v", err)
	}
	fmt.Fprintf(w, "\nlogit lens: the next token after %q if the residual stream were read out (ln_f, then x @ wteᵀ) at each depth\n", labels[T-1])
	for d, logits := range lens {
		name := "after the embedding"
		if d > 0 {
			name = fmt.Sprintf("after block %d", d-1)
		}
		fmt.Fprintf(w, "  %-20s %s\n", name, topText(tok, logits, 5))
	}
	fmt.Fprintf(w, "\nnext token (softmax of the final logits), top 10:\n  %s\n", topText(tok, lens[len(lens)-1], 10))
	if *target == "" {
		return nil
	}
	return inspectTarget(w, m, tok, ids, *target)
}

// printShapes lists the shape of every tensor of one forward pass of T
// tokens through a model of shape c.
func printShapes(w io.Writer, c model.Config, T int) {
	C, NH, V := c.Embd, c.Heads, c.VocabSize
	hs := C / NH
	row := func(what, shape string) { fmt.Fprintf(w, "  %-58s %s\n", what, shape) }
	fmt.Fprintf(w, "forward pass (T = %d tokens, C = %d, %d heads of hs = %d, vocabulary V = %d):\n", T, C, NH, hs, V)
	row("tokens", fmt.Sprintf("(T) = (%d)", T))
	row("x = wte[tokens] + wpe[0:T]", fmt.Sprintf("(T, C) = (%d, %d)", T, C))
	fmt.Fprintf(w, "  each of the %d blocks:\n", c.Layers)
	row("  ln_1(x)", fmt.Sprintf("(T, C) = (%d, %d)", T, C))
	row("  qkv = ln_1(x) @ c_attn.weight (C, 3C) + bias", fmt.Sprintf("(T, 3C) = (%d, %d)", T, 3*C))
	row("  q, k, v: its three column blocks", fmt.Sprintf("(T, C) each, = %d heads of (T, hs) = (%d, %d)", NH, T, hs))
	row("  head i: q_i = ln_1(x) W_i^Q, W_i^Q/K/V views of c_attn", fmt.Sprintf("W_i (C, hs) = (%d, %d)", C, hs))
	row("  scores q_i k_iᵀ / √hs, causal mask, softmax", fmt.Sprintf("(heads, T, T) = (%d, %d, %d)", NH, T, T))
	row("  probabilities @ v_i, heads side by side", fmt.Sprintf("(T, C) = (%d, %d)", T, C))
	row("  @ attn.c_proj.weight (C, C), then x = x + that", fmt.Sprintf("(T, C) = (%d, %d)", T, C))
	row(fmt.Sprintf("  ln_2(x) @ mlp.c_fc.weight (C, 4C), %s", c.Activation), fmt.Sprintf("(T, 4C) = (%d, %d)", T, 4*C))
	row("  @ mlp.c_proj.weight (4C, C), then x = x + that", fmt.Sprintf("(T, C) = (%d, %d)", T, C))
	row("ln_f(x)", fmt.Sprintf("(T, C) = (%d, %d)", T, C))
	row("logits = ln_f(x) @ wteᵀ (the head shares wte)", fmt.Sprintf("(T, V) = (%d, %d)", T, V))
}

// topText formats the n most likely tokens of logits with their softmax
// probabilities.
func topText(tok tokenizer.Tokenizer, logits []float32, n int) string {
	mx := float64(logits[0])
	for _, l := range logits {
		mx = math.Max(mx, float64(l))
	}
	var z float64
	for _, l := range logits {
		z += math.Exp(float64(l) - mx)
	}
	idx := make([]int, len(logits))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return logits[idx[a]] > logits[idx[b]] })
	s := ""
	for _, id := range idx[:min(n, len(idx))] {
		if id >= tok.VocabSize() {
			continue // a padded row of the vocabulary
		}
		s += fmt.Sprintf("%q %.3f  ", tok.Decode([]int{id}), math.Exp(float64(logits[id])-mx)/z)
	}
	return s
}

// inspectTarget prints the loss of target after prompt ids, the gradient
// norm of every parameter tensor after one backward pass, and for the
// weight with the largest gradient its derivative beside central
// differences for a few h.
func inspectTarget(w io.Writer, m *model.Model, tok tokenizer.Tokenizer, ids []int, target string) error {
	tgt := tok.Encode(target)
	seq := append(append([]int(nil), ids...), tgt...)
	T := len(seq) - 1
	if len(tgt) == 0 || T > m.Config.Context {
		return errorf("--target: %d tokens after a %d-token prompt; want 1 or more, %d in all at most", len(tgt), len(ids), m.Config.Context+1)
	}
	if m.Params == nil {
		return errorf("--target: the weights are %v; gradients need float32 weights", m.W.DType)
	}
	inputs, targets := toInt32(seq[:T]), toInt32(seq[1:])
	for i := range len(ids) - 1 {
		targets[i] = -1 // only the continuation counts
	}
	loss, err := m.Forward(inputs, targets, 1, T)
	if err != nil {
		return errorf("%v", err)
	}
	fmt.Fprintf(w, "\n--target %q: %d tokens; loss (mean cross-entropy of predicting them) %.4f nats, perplexity %.2f\n", target, len(tgt), loss, math.Exp(float64(loss)))
	m.ZeroGrad()
	if err := m.Backward(); err != nil {
		return errorf("%v", err)
	}
	fmt.Fprintln(w, "\ngradient norm of every parameter tensor after one backward pass:")
	best, bestAbs := 0, 0.0
	for _, ts := range model.Layout(m.Config) {
		var s float64
		for i, g := range m.Grads[ts.Offset : ts.Offset+ts.Size] {
			s += float64(g) * float64(g)
			if a := math.Abs(float64(g)); a > bestAbs {
				best, bestAbs = ts.Offset+i, a
			}
		}
		fmt.Fprintf(w, "  %-26s %-14s %.4g\n", ts.Name, fmt.Sprint(ts.Shape), math.Sqrt(s))
	}
	name, at := paramName(m.Config, best)
	analytic := float64(m.Grads[best])
	fmt.Fprintf(w, "\nthe derivative of the loss by %s%v (the largest gradient), from the chain rule: %.6g\n", name, at, analytic)
	fmt.Fprintln(w, "  and as the limit of (loss(x+h) - loss(x-h)) / 2h:")
	for _, h := range []float32{1e-1, 1e-2, 1e-3, 1e-4} {
		num, err := m.CentralDifference(best, h, inputs, targets, 1, T)
		if err != nil {
			return errorf("%v", err)
		}
		fmt.Fprintf(w, "  h = %-6g %.6g   (differs by %.2g)\n", h, num, math.Abs(num-analytic))
	}
	return nil
}

// paramName names parameter i: its tensor and its index in that tensor.
func paramName(c model.Config, i int) (string, []int) {
	for _, ts := range model.Layout(c) {
		if i >= ts.Offset && i < ts.Offset+ts.Size {
			k := i - ts.Offset
			at := make([]int, len(ts.Shape))
			for d := len(ts.Shape) - 1; d >= 0; d-- {
				at[d], k = k%ts.Shape[d], k/ts.Shape[d]
			}
			return ts.Name, at
		}
	}
	return "?", nil
}
