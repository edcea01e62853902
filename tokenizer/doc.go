// Package tokenizer turns text into token ids and back.
//
// Every tokenizer implements [Tokenizer]: Encode, Decode, VocabSize, EOT
// (the end-of-text id that separates documents) and Spec, a small
// JSON-serialisable description that [FromSpec] turns back into the same
// tokenizer, so a checkpoint can embed it.
//
// Built-in tokenizers, by the name [New] takes:
//
//   - gpt2: GPT-2's r50k_base (50,257 ids, EOT 50256),
//   - cl100k: cl100k_base (100,277 ids, EOT 100257),
//   - o200k: o200k_base (200,019 ids, EOT 199999),
//   - byte: the 256 bytes plus EOT 256 (character-level on ASCII).
//
// The first three use github.com/pkoukk/tiktoken-go with the ranks embedded
// by github.com/pkoukk/tiktoken-go-loader: nothing touches the network, and
// each encoder is built once, on first use, and shared. Valid UTF-8 encodes
// exactly as tiktoken does; each byte of an invalid UTF-8 sequence becomes
// its own single-byte token (see [Tiktoken]).
//
// [BPE] is our own byte-level BPE, trained on a corpus with [TrainBPE] or a
// [BPETrainer] (to add documents one at a time). Text is first split into
// pre-tokens with the GPT-4 split pattern (hand-written, [PatternGPT4]) or
// not at all ([PatternNone]); ids 0..255 are bytes, 256+i is merge i and
// the last id is <|endoftext|>. Save and [LoadBPE] use a readable text
// format, one merge per line (see [BPE.WriteTo]).
//
// For every tokenizer Decode(Encode(s)) == s for any byte string s, and
// Encode never produces EOT: text that spells <|endoftext|> is ordinary
// text. [StreamDecoder] decodes one id at a time for streaming output
// without splitting UTF-8 characters.
//
// Typical use:
//
//	tok, err := tokenizer.New("gpt2")
//	ids := tok.Encode("Hello")
//	spec := tok.Spec()                     // store in a checkpoint
//	tok2, err := tokenizer.FromSpec(spec)  // in gpt generate
//	bpe, err := tokenizer.TrainBPE(text, 4096, tokenizer.PatternGPT4)
package tokenizer
