// Package serve is gptgo's HTTP server: OpenAI's completions and chat
// completions APIs (streaming as server-sent events, with llama.cpp's
// sampling extensions), /v1/models, /health, Prometheus /metrics,
// /tokenize and /detokenize, and a web page at /, for one model.
//
// Concurrent requests decode together: a scheduler goroutine owns
// Parallel slots, each a KV cache, and every step appends one token to
// every busy slot in one infer.Batch pass (continuous batching: a new
// request joins at the next step, a finished one leaves at once). Requests
// beyond the slots wait in a bounded queue; past it they get 503. A
// client that goes away stops its generation within one step.
package serve
