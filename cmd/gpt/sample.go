package main

import (
	"context"
	"strings"

	"github.com/gptgo/gptgo/infer"
	"github.com/gptgo/gptgo/model"
	"github.com/gptgo/gptgo/tokenizer"
)

// samplePrompt starts the samples gpt train shows at each evaluation.
const samplePrompt = "The "

// trainSampler returns the function gpt train calls at evaluations: 120
// tokens from a fixed prompt and seed, so successive samples show what the
// model learned rather than sampling noise.
func trainSampler(tok tokenizer.Tokenizer) func(m *model.Model) string {
	return func(m *model.Model) string {
		g := infer.NewGenerator(m, tok)
		opts := infer.Options{Sampler: infer.DefaultSamplerOptions(), MaxTokens: 120}
		opts.Sampler.Seed = 1
		var b strings.Builder
		b.WriteString(samplePrompt)
		if _, err := g.GenerateTo(context.Background(), &b, g.Encode(samplePrompt), opts); err != nil {
			return "(sampling failed: " + err.Error() + ")"
		}
		return b.String()
	}
}
