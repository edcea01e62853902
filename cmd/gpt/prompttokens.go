package main

import "github.com/gptgo/gptgo/tokenizer"

// promptTokens encodes a prompt for one forward pass of a model with
// context ctx, and returns each token's text for labels. A prompt that
// does not fit is a one-line error.
func promptTokens(tok tokenizer.Tokenizer, prompt string, ctx int) ([]int, []string, error) {
	ids := tok.Encode(prompt)
	if len(ids) == 0 {
		return nil, nil, errorf("--prompt encodes to no tokens")
	}
	if len(ids) > ctx {
		return nil, nil, errorf("--prompt: %d tokens, and the model's context is %d", len(ids), ctx)
	}
	labels := make([]string, len(ids))
	for i, id := range ids {
		labels[i] = tok.Decode([]int{id})
	}
	return ids, labels, nil
}

func toInt32(ids []int) []int32 {
	out := make([]int32, len(ids))
	for i, id := range ids {
		out[i] = int32(id)
	}
	return out
}
