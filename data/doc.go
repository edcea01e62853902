// Package data turns text files into token files and token files into
// training batches. It does not depend on package tokenizer: callers pass
// an encode function and the end-of-text id.
//
// Token files use llm.c's layout, little-endian: a header of 256 int32
// (magic 20240520, version, token count, the rest zero), then the tokens,
// uint16 for version 1 (vocabularies up to 65,536 ids) or uint32 for
// version 2 (gptgo's extension for larger vocabularies). [WriteTokens] and
// [TokenWriter] write them, [OpenTokens] memory-maps one (on unix; other
// systems read it into memory) and validates the header.
//
// [Loader] yields (inputs, targets) batches of B×T tokens with the targets
// shifted by one. The N tokens of a file form W = (N-1)/T windows of T+1
// tokens with stride T: window k is tokens [kT, kT+T], so neighbouring
// windows share one token (the last target of one is the first input of
// the next) and no (input, target) pair is seen twice in an epoch. An epoch
// is one pass over all W windows, in an order shuffled from the seed (or in
// file order in sequential mode); it has W/B iterations, the W mod B
// windows left over are skipped. [Loader.State] and [Loader.Restore] save
// and restore the exact position.
//
// [Collect], [ReadDocuments], [Split] and [Prepare] implement gpt prepare:
// files, folders (recursively, text files only) and globs become documents;
// each document's tokens are split into a train part and a validation part
// (its last valFraction), and documents are joined with the end-of-text
// token within each split.
package data
