// Package checkpoints reads and writes gptgo's compressed checkpoint files.
//
// A checkpoint is one file: a 48-byte uncompressed header followed by a
// single zstd stream. All integers are little-endian.
//
//	offset  size  field
//	0       8     magic "GPTGOCKP"
//	8       4     format version (FormatVersion)
//	12      4     flags: 1 weights-only, 2 bfloat16 tensors, 4 byte-shuffled tensors, 8 quantized matrices
//	16      8     length of the JSON metadata (uncompressed bytes)
//	24      8     length of the tensor data (uncompressed bytes)
//	32      8     length of the zstd stream that follows the header
//	40      4     CRC-32C (Castagnoli) of the uncompressed stream: metadata then tensor data
//	44      4     CRC-32C of header bytes 0..43
//
// The zstd stream (with its own frame checksum) holds the JSON metadata
// (model config, tokenizer spec with any BPE merges, training state without
// its tensors, provenance and a tensor table giving each tensor's name,
// dtype, shape and byte offset in the tensor data), then the tensor data:
// the parameters in model.Layout order, then, in a resumable file, the AdamW
// first moments ("adamw.m." + name) and second moments ("adamw.v." + name)
// in the same order.
//
// Tensor data is float32, or in a weights-only file saved with
// SaveOptions.DType: bfloat16 (round-to-nearest-even), widened to float32
// on load; or q8_0/q4_0, where the token embedding and the block matrices
// are kernels.QMatrix bytes ([V, C] and [out, in] rows, llama.cpp's
// blocks) and the rest float32, loaded as Checkpoint.Weights (a quantized
// model, model.FromWeights) without float32 matrices. With the shuffle flag each
// tensor is cut into chunks of ShuffleChunk elements (the last one shorter)
// and the bytes of each chunk are stored as planes: every element's byte 0,
// then every byte 1, and so on (little-endian element bytes). Grouping the
// sign and exponent bytes together lets zstd compress them. Quantized
// matrices are never shuffled.
//
// Load checks the magic, the version (a file of another format version is
// refused with both versions named), the header checksum, the lengths
// against the file size, the tensor table against model.Layout of the
// config (each entry's name, dtype, shape, offset and byte length), and
// the content checksum; every failure is a one-line error naming the file
// (and the tensor, for a bad table entry).
//
// A training run keeps its checkpoints in one folder under fixed names:
// latest.ckpt, best.ckpt (lowest validation loss) and step-000123.ckpt
// (see Latest, Best, Step and Resolve).
package checkpoints
