package model

// TrainFlopsPerToken estimates the training FLOPs per token at context T,
// 6N + 12*L*C*T (forward and backward through every weight, plus
// attention), as in the PaLM paper's appendix B and nanoGPT.
func TrainFlopsPerToken(c Config, T int) float64 {
	return 6*float64(NumParams(c)) + 12*float64(c.Layers*c.Embd*T)
}

// layerFlops is one token's matrix-multiply FLOPs in one block: qkv 3C²,
// projection C², MLP 4C² + 4C², two FLOPs per multiply-add.
func layerFlops(C int) float64 { return 24 * float64(C) * float64(C) }

// PrefillFlopsPerToken is the forward FLOPs per token of a prefill of n
// tokens from an empty cache: the blocks' matrix products, attention
// (q·k and p·v: 4C per visible key, (n+1)/2 keys on average) and the
// output head for the last position only (2VC, shared by n tokens).
func PrefillFlopsPerToken(c Config, n int) float64 {
	L, C, V := float64(c.Layers), c.Embd, float64(c.VocabSize)
	return L*(layerFlops(C)+2*float64(C)*float64(n+1)) + 2*V*float64(C)/float64(n)
}

// DecodeFlopsPerToken is the FLOPs per decoded token for n steps after a
// prompt of p tokens: the blocks, attention over p+1 .. p+n keys, and the
// full output head every step.
func DecodeFlopsPerToken(c Config, p, n int) float64 {
	L, C, V := float64(c.Layers), c.Embd, float64(c.VocabSize)
	avgKeys := float64(p) + float64(n+1)/2
	return L*(layerFlops(C)+4*float64(C)*avgKeys) + 2*V*float64(C)
}

// DecodeBytesPerToken is the memory one decoding step must read, averaged
// over n steps after a prompt of p tokens: the weights, weightBytes (see
// Weights.DecodeBytes), and the cached keys and values (float32).
// Bandwidth divided by it bounds generation speed.
func DecodeBytesPerToken(c Config, weightBytes float64, p, n int) float64 {
	avgKeys := float64(p) + float64(n+1)/2
	kv := 2 * float64(c.Layers) * avgKeys * float64(c.Embd)
	return weightBytes + 4*kv
}

// DecodeBytes is the weight memory one decoding step reads: every weight
// once, of the position embedding only one row. A batched step reads it
// once for all its sequences.
func (w *Weights) DecodeBytes() float64 {
	return float64(w.Bytes() - 4*(len(w.WPE)-w.WTE.Cols))
}
