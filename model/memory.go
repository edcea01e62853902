package model

// TrainBytes is the memory a training step of shape c at batch B and
// context T allocates, in bytes: the parameters with their gradients and
// AdamW's two moments (16 bytes each), and the activations Forward keeps
// for Backward (see activations.go), the attention probabilities
// (B x heads x T x T per layer) and the logits (B x T x vocabulary)
// included, and with dropout a second copy of the attention probabilities
// (after the drop). Working buffers of the kernels come on top (a few
// percent).
func TrainBytes(c Config, B, T int, dropout bool) float64 {
	n := 16*float64(NumParams(c)) + ActivationBytes(c, B, T)
	if dropout {
		n += 4 * float64(c.Layers) * float64(B*c.Heads) * float64(T) * float64(T)
	}
	return n
}

// ActivationBytes is the memory of the buffers a forward pass at batch B
// and context T allocates (Forward keeps them for Backward, and an
// evaluation runs the same Forward), in bytes.
func ActivationBytes(c Config, B, T int) float64 {
	N, C, V, NH := float64(B*T), float64(c.Embd), float64(c.VocabSize), float64(c.Heads)
	att := float64(B) * NH * float64(T) * float64(T)
	top := N*(9*C+V+3) + att
	perLayer := 18*N*C + 4*N + att
	return 4 * (top + float64(c.Layers)*perLayer)
}
