package checkpoints

import (
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"os"

	"github.com/klauspost/compress/zstd"

	"github.com/gptgo/gptgo/kernels"
	"github.com/gptgo/gptgo/model"
)

// SaveOptions choose what Save writes.
type SaveOptions struct {
	WeightsOnly bool // leave out the training state (an inference file)
	// DType stores the weights in a reduced precision, in a weights-only
	// file only: bf16 stores every parameter as bfloat16; q8_0 and q4_0
	// store the token embedding and the block matrices quantized (from
	// float32 Params, or Weights as they are) and the rest as float32.
	// The zero value is f32.
	DType     kernels.DType
	Level     int  // zstd level (1 fastest ... 11 best); 0 is DefaultLevel
	NoShuffle bool // store float bytes in element order instead of byte planes
}

// DefaultLevel is the zstd level Save uses when SaveOptions.Level is 0.
const DefaultLevel = 1

// encoderConcurrency is the number of zstd encoder goroutines: the machine
// gptgo targets has 2 cores. With concurrent blocks both compress sections
// of the stream at once (byte-shuffled GPT-2 124M: 1.3 s instead of 2.2 s).
const encoderConcurrency = 2

// testHookWriter, when set, wraps the temp file's writer (tests inject
// write errors with it).
var testHookWriter func(io.Writer) io.Writer

// testHookMeta, when set, edits the metadata before it is written.
var testHookMeta func(*meta)

// Save writes ck to path atomically: to a temp file in the same folder,
// which is synced and renamed over path; the folder is then synced. On
// failure path is untouched and the temp file removed. A checkpoint with a
// nil Train is written weights-only whatever opt says.
func Save(path string, ck *Checkpoint, opt SaveOptions) error {
	if err := save(path, ck, opt); err != nil {
		return fmt.Errorf("saving checkpoint %s: %v", path, err)
	}
	return nil
}

func save(path string, ck *Checkpoint, opt SaveOptions) (err error) {
	m, st, err := prepare(ck, opt)
	if err != nil {
		return err
	}
	metaJSON, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("metadata: %v", err)
	}
	level := opt.Level
	if level == 0 {
		level = DefaultLevel
	}
	if level < 1 || level > 22 {
		return fmt.Errorf("zstd level %d out of range 1..22", level)
	}
	flags := st.flags()
	if !opt.NoShuffle {
		flags |= flagShuffled
	}
	return createAtomic(path, func(f *os.File) error {
		return writeCheckpoint(f, ck, st, flags, metaJSON, level)
	})
}

// writeCheckpoint writes the header placeholder, the zstd stream, then the
// real header at offset 0.
func writeCheckpoint(f *os.File, ck *Checkpoint, st storage, flags uint32, metaJSON []byte, level int) error {
	var w io.Writer = f
	if testHookWriter != nil {
		w = testHookWriter(w)
	}
	if _, err := w.Write(make([]byte, HeaderSize)); err != nil {
		return err
	}
	cw := &countWriter{w: w}
	enc, err := zstd.NewWriter(cw, zstd.WithEncoderLevel(zstd.EncoderLevelFromZstd(level)),
		zstd.WithEncoderConcurrency(encoderConcurrency), zstd.WithConcurrentBlocks(true))
	if err != nil {
		return err
	}
	h := header{version: FormatVersion, flags: flags, metaLen: uint64(len(metaJSON))}
	sw := &sumWriter{w: enc}
	if _, err := sw.Write(metaJSON); err != nil {
		enc.Close()
		return err
	}
	n, err := writeData(sw, ck, st, flags&flagShuffled != 0)
	if err != nil {
		enc.Close()
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	h.dataLen = uint64(n)
	h.payloadLen = uint64(cw.n)
	h.contentCRC = sw.crc
	_, err = f.WriteAt(h.marshal(), 0)
	return err
}

// prepare checks ck against opt and returns the metadata and how the file
// stores its tensors.
func prepare(ck *Checkpoint, opt SaveOptions) (*meta, storage, error) {
	if err := ck.Config.Validate(); err != nil {
		return nil, storage{}, fmt.Errorf("config: %v", err)
	}
	st := storage{resumable: !opt.WeightsOnly && ck.Train != nil, dtype: opt.DType}
	if err := checkStorage(ck, st); err != nil {
		return nil, storage{}, err
	}
	m := &meta{Config: ck.Config, Tokenizer: ck.Tokenizer, Provenance: ck.Provenance}
	if st.resumable {
		t, n := ck.Train, len(ck.Params)
		if len(t.AdamW.M) != n || len(t.AdamW.V) != n {
			return nil, storage{}, fmt.Errorf("AdamW moments hold %d and %d values for %d parameters", len(t.AdamW.M), len(t.AdamW.V), n)
		}
		m.Train = &trainMeta{Step: t.Step, Epoch: t.Epoch, Loader: t.Loader, RNG: t.RNG, Hyper: t.Hyper,
			BestValLoss: jsonFloat(t.BestValLoss),
			AdamW: adamWMeta{Beta1: t.AdamW.Beta1, Beta2: t.AdamW.Beta2, Eps: t.AdamW.Eps,
				WeightDecay: t.AdamW.WeightDecay, Step: t.AdamW.Step}}
	}
	m.Tensors, _ = tensorTable(ck.Config, st)
	if testHookMeta != nil {
		testHookMeta(m)
	}
	return m, st, nil
}

// checkStorage reports why ck cannot be saved as st: a dtype other than
// f32 in a resumable file, a quantized model saved in another dtype, or
// tensors that do not fit the config.
func checkStorage(ck *Checkpoint, st storage) error {
	dt := st.dtype
	switch {
	case dt >= kernels.DType(len(kernels.DTypes)):
		return fmt.Errorf("unknown dtype %v", dt)
	case dt != kernels.F32 && st.resumable:
		return fmt.Errorf("%v is for weights-only files; a resumable checkpoint keeps float32", dt)
	case ck.Params == nil && ck.Weights != nil:
		if ck.Weights.DType != dt || !st.quantized() {
			return fmt.Errorf("the weights are %v: they save as %v only (save the float32 parameters for %v)", ck.Weights.DType, ck.Weights.DType, dt)
		}
		_, err := model.FromWeights(ck.Config, *ck.Weights)
		return err
	}
	if n := model.NumParams(ck.Config); len(ck.Params) != n {
		return fmt.Errorf("%d parameters for a config of %d", len(ck.Params), n)
	}
	if st.quantized() {
		return model.CanQuantize(ck.Config)
	}
	return nil
}

// writeData writes ck's tensor data as st stores it and returns the bytes
// written.
func writeData(w io.Writer, ck *Checkpoint, st storage, shuffle bool) (int64, error) {
	if st.quantized() {
		return writeWeights(w, ck, st.dtype, shuffle)
	}
	bufs := [][]float32{ck.Params}
	if st.resumable {
		bufs = append(bufs, ck.Train.AdamW.M, ck.Train.AdamW.V)
	}
	return writeTensors(w, bufs, model.Layout(ck.Config), st.dtype == kernels.BF16, shuffle)
}

// writeTensors writes each buffer tensor by tensor, in chunks of
// ShuffleChunk elements, and returns the bytes written.
func writeTensors(w io.Writer, bufs [][]float32, layout []model.Tensor, bf16, shuffle bool) (int64, error) {
	scratch := make([]byte, ShuffleChunk*elemSize(bf16))
	var n int64
	for _, buf := range bufs {
		for _, t := range layout {
			k, err := writeFloats(w, buf[t.Offset:t.Offset+t.Size], scratch, bf16, shuffle)
			n += k
			if err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// writeWeights writes the tensors of a quantized file in dtype dt: the
// matrices of ck.Weights as they are or, from ck.Params, quantized one at
// a time; the rest as float32.
func writeWeights(w io.Writer, ck *Checkpoint, dt kernels.DType, shuffle bool) (int64, error) {
	ws := ck.Weights
	if ck.Params != nil {
		v := model.NewViews(ck.Params, ck.Config)
		f := model.FloatWeights(&v, ck.Config)
		ws = &f
	}
	scratch := make([]byte, ShuffleChunk*4)
	var n int64
	for _, s := range ws.Slots() {
		var k int64
		var err error
		if s.Q == nil {
			k, err = writeFloats(w, *s.F, scratch, false, shuffle)
		} else {
			k, err = writeMatrix(w, s, dt)
		}
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// writeMatrix writes the matrix of slot s in dtype dt: its QMatrix, or its
// float32 form quantized.
func writeMatrix(w io.Writer, s model.Slot, dt kernels.DType) (int64, error) {
	q := *s.Q
	if q == nil {
		quantize := kernels.Quantize
		if s.Transposed {
			quantize = kernels.QuantizeT
		}
		var err error
		if q, err = quantize(dt, *s.F, s.Rows, s.Cols); err != nil {
			return 0, err
		}
	}
	k, err := w.Write(q.Canonical()) // llama.cpp's row-by-row bytes
	return int64(k), err
}

// writeFloats writes x in chunks of ShuffleChunk elements, float32 or
// bfloat16, byte planes if shuffle; scratch holds a chunk.
func writeFloats(w io.Writer, x []float32, scratch []byte, bf16, shuffle bool) (int64, error) {
	size := elemSize(bf16)
	var n int64
	for lo := 0; lo < len(x); lo += ShuffleChunk {
		c := x[lo:min(lo+ShuffleChunk, len(x))]
		b := scratch[:len(c)*size]
		if bf16 {
			encodeBF16(b, c, shuffle)
		} else {
			encodeF32(b, c, shuffle)
		}
		if _, err := w.Write(b); err != nil {
			return n, err
		}
		n += int64(len(b))
	}
	return n, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// sumWriter keeps the CRC-32C of what passes through it.
type sumWriter struct {
	w   io.Writer
	crc uint32
}

func (s *sumWriter) Write(p []byte) (int, error) {
	s.crc = crc32.Update(s.crc, castagnoli, p)
	return s.w.Write(p)
}
