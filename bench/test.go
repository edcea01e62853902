package bench

import (
	"fmt"

	"github.com/gptgo/gptgo/model"
)

// PromptTokens is the prompt a tg test prefills (untimed) before it
// times the generation.
const PromptTokens = 16

// Test kinds.
const (
	PP    = "pp"    // prompt processing: one prefill of N tokens
	TG    = "tg"    // text generation: N decoding steps of Seqs sequences (1: batch 1)
	Train = "train" // one optimizer step at batch B, context T
)

// Test is one llama-bench style test.
type Test struct {
	Kind string // PP, TG or Train
	N    int    // tokens, for pp and tg
	B, T int    // batch and context, for train
	// Seqs, for tg, decodes that many sequences together (infer.Batch),
	// each after its own prompt; 0 or 1 is the single-sequence engine.
	Seqs int
	// Meter, for tg of one sequence (batched tests ignore it: their bytes
	// per token are not one stream's), interleaves one read-bandwidth pass (untimed) after
	// every Group decoding steps and compares each group with the
	// pass next to it, so the fraction of the bound holds up while the
	// machine's other load drifts.
	Meter *ReadMeter
}

// Group is how many decoding steps a tg test with a Meter runs
// between bandwidth passes.
const Group = 8

// String is the test's name in tables: pp512, tg128, tg128 x8 (8
// sequences decoded together), train B8 T256.
func (t Test) String() string {
	if t.Kind == Train {
		return fmt.Sprintf("train B%d T%d", t.B, t.T)
	}
	if t.Kind == TG && t.Seqs > 1 {
		return fmt.Sprintf("tg%d x%d", t.N, t.Seqs)
	}
	return fmt.Sprintf("%s%d", t.Kind, t.N)
}

// Fits reports whether the test fits a model of shape c: a pp test's
// tokens, or a tg test's PromptTokens plus its tokens, within the context.
func (t Test) Fits(c model.Config) bool {
	switch t.Kind {
	case PP:
		return t.N <= c.Context
	case TG:
		return t.N+PromptTokens <= c.Context
	}
	return true
}
