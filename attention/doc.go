// Package attention is causal multi-head self-attention with a hand-written
// backward pass.
//
// Each head h has its own projections W_h^Q, W_h^K, W_h^V of shape [C, hs]
// (hs = C / NH), as in "Attention Is All You Need". They are stored fused in
// GPT-2's c_attn weight of shape [C, 3C], whose columns are [q | k | v]:
// head h's W_h^Q is columns h*hs ... h*hs+hs-1 of the q block, and likewise
// for k and v. HeadWeights returns those per-head views without copying.
//
// The layer takes the fused projection qkv = x @ c_attn + b ([B, T, 3C])
// and for every batch row b and head h computes
//
//	S = Q Kᵀ / sqrt(hs)          [T, T], causal: S[i, j] for j <= i only
//	P = softmax(S) row-wise      (max subtracted first)
//	O = P V                      [T, hs], written to out[b, :, h*hs : (h+1)*hs]
//
// The probabilities P are kept for the backward pass: B*NH*T*T floats per
// layer, the only memory here that grows with T². Rows are processed in
// blocks so the matrix products skip most of the masked upper triangle.
package attention
