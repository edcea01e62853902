package model

import (
	"fmt"
	"sort"
	"strings"
)

// Activation names the MLP's non-linearity.
type Activation string

// The supported MLP activations. GELU is GPT-2's tanh approximation.
const (
	GELU    Activation = "gelu"
	ReLU    Activation = "relu"
	Tanh    Activation = "tanh"
	Sigmoid Activation = "sigmoid"
)

// Config is the shape of a model.
type Config struct {
	VocabSize  int        `json:"vocab_size"`
	Context    int        `json:"context"` // maximum sequence length (rows of wpe)
	Layers     int        `json:"layers"`
	Heads      int        `json:"heads"`
	Embd       int        `json:"embd"` // channels C; each head has C/Heads of them
	Activation Activation `json:"activation"`
}

// HeadSize is the width of one attention head.
func (c Config) HeadSize() int { return c.Embd / c.Heads }

// Override returns c with every non-zero field of o in place of c's: a
// preset adjusted by a few flags (--preset small --layers 8).
func (c Config) Override(o Config) Config {
	pick := func(dst *int, v int) {
		if v != 0 {
			*dst = v
		}
	}
	pick(&c.VocabSize, o.VocabSize)
	pick(&c.Context, o.Context)
	pick(&c.Layers, o.Layers)
	pick(&c.Heads, o.Heads)
	pick(&c.Embd, o.Embd)
	if o.Activation != "" {
		c.Activation = o.Activation
	}
	return c
}

// Validate reports the first thing wrong with c, or nil.
func (c Config) Validate() error {
	switch {
	case c.VocabSize <= 0:
		return fmt.Errorf("vocabulary size must be positive, got %d", c.VocabSize)
	case c.Context <= 0:
		return fmt.Errorf("context length must be positive, got %d", c.Context)
	case c.Layers <= 0:
		return fmt.Errorf("number of layers must be positive, got %d", c.Layers)
	case c.Heads <= 0:
		return fmt.Errorf("number of heads must be positive, got %d", c.Heads)
	case c.Embd <= 0:
		return fmt.Errorf("embedding width must be positive, got %d", c.Embd)
	case c.Embd%c.Heads != 0:
		return fmt.Errorf("%d heads do not divide embedding width %d", c.Heads, c.Embd)
	}
	switch c.Activation {
	case GELU, ReLU, Tanh, Sigmoid:
	default:
		return fmt.Errorf("unknown activation %q (want gelu, relu, tanh or sigmoid)", c.Activation)
	}
	return nil
}

// presets are the named model shapes. VocabSize is left 0 where it comes
// from the tokenizer; Preset fills it in.
var presets = map[string]Config{
	"tiny":        {Layers: 4, Heads: 4, Embd: 256, Context: 256},
	"small":       {Layers: 6, Heads: 6, Embd: 384, Context: 256},
	"baby":        {Layers: 4, Heads: 4, Embd: 128, Context: 64},
	"gpt2":        {Layers: 12, Heads: 12, Embd: 768, Context: 1024},
	"gpt2-medium": {Layers: 24, Heads: 16, Embd: 1024, Context: 1024},
}

// GPT2Vocab is the size of GPT-2's BPE vocabulary (r50k_base).
const GPT2Vocab = 50257

// Preset returns the named configuration with the given vocabulary size
// and GELU activation.
func Preset(name string, vocabSize int) (Config, error) {
	c, ok := presets[name]
	if !ok {
		return Config{}, fmt.Errorf("unknown preset %q (want one of %s)", name, strings.Join(PresetNames(), ", "))
	}
	c.VocabSize = vocabSize
	c.Activation = GELU
	return c, c.Validate()
}

// PresetNames lists the preset names in sorted order.
func PresetNames() []string {
	names := make([]string, 0, len(presets))
	for n := range presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
