// Package model is a GPT-2-style transformer with hand-written
// backpropagation.
//
// The network is token + position embeddings, Config.Layers pre-LayerNorm
// blocks (causal multi-head self-attention, then an MLP, each added to the
// residual stream), a final LayerNorm, and a head tied to the token
// embedding:
//
//	x = wte[tokens] + wpe[positions]
//	for each block: x = x + attn(ln_1(x)); x = x + mlp(ln_2(x))
//	logits = ln_f(x) @ wte^T
//
// All parameters live in one flat []float32 (Params) with named views that
// use GPT-2's names and Hugging Face's shapes; gradients and both AdamW
// moments share that layout, so optimizers and checkpoints are flat loops.
//
// The forward pass reads Weights: views of Params for a float32 model, or
// after Model.Quantize the token embedding and the block matrices in bf16,
// q8_0 or q4_0 (kernels.QMatrix, [out, in] rows) and the rest in float32.
// A quantized model runs Forward (evaluation, inference) but not Backward.
// FromWeights builds one directly from quantized weights (a checkpoint
// that stores them), and Weights.Slots lists a model's tensors in Layout
// order for code that reads or writes them one by one.
//
// NumParams counts the parameters of a Config; TrainFlopsPerToken,
// PrefillFlopsPerToken, DecodeFlopsPerToken and DecodeBytesPerToken
// estimate the work and memory traffic per token from the same shape.
//
// Every layer has a forward and a backward function side by side in the same
// file. The transformer block is written once (block.go): BlockForward is
// what Model.Forward runs for training and what the inference engine runs
// over its KV cache, with only the attention step passed in; BlockBackward
// calls the block's layers in the exact reverse order, as Model.Backward
// does for the whole network.
//
// flops.go counts the FLOPs and bytes a token costs, next to NumParams, for
// every report of speed.
package model
