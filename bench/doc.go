// Package bench measures how fast a model runs, like llama-bench: prompt
// processing (pp: one prefill of N tokens), text generation (tg: N
// decoding steps at batch 1 after a short prompt) and training (one AdamW
// step at batch B, context T), each repeated after a warm-up, with the
// throughput, GFLOP/s from the model's FLOP counts and, for tg, the bytes
// read per token.
//
// ReadMeter measures the memory read bandwidth that bounds generation; a
// tg test with a Meter interleaves its passes with the decoding steps and
// reports the fraction of that bound reached.
package bench
