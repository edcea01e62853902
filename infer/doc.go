// Package infer generates text from a trained model.
//
// Engine keeps a KV cache per layer (attention.KVCache): Prefill runs the
// prompt through the model in one batched forward pass, filling the caches,
// and Decode then runs one token per step through every layer as
// matrix-vector products against the cached keys and values. Only the last
// position's logits are computed. Nothing recomputes the context per token.
//
// Sampler turns logits into a token: repetition penalty, top-k, top-p,
// min-p, temperature, then a seeded draw (temperature 0 is greedy).
//
// Generator ties the two to a tokenizer: it streams complete UTF-8 text to
// a callback or an io.Writer, stops at the end-of-text token, at stop
// strings, at a token limit or at the context limit, and otherwise slides
// the window when the context fills (keeping the last Context/2 tokens and
// rebuilding the cache with one prefill).
//
// Package bench measures its speed.
package infer
