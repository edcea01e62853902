package checkpoints

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"

	"github.com/klauspost/compress/zstd"

	"github.com/gptgo/gptgo/model"
)

// SaveOptions choose what Save writes.
type SaveOptions struct {
	WeightsOnly bool // leave out the training state (an inference file)
	BF16        bool // store the parameters as bfloat16; weights-only files only
	Level       int  // zstd level (1 fastest ... 11 best); 0 is DefaultLevel
	NoShuffle   bool // store float bytes in element order instead of byte planes
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
	m, flags, err := prepare(ck, opt)
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

	return createAtomic(path, func(f *os.File) error {
		return writeCheckpoint(f, ck, m, flags, metaJSON, level)
	})
}

// writeCheckpoint writes the header placeholder, the zstd stream, then the
// real header at offset 0.
func writeCheckpoint(f *os.File, ck *Checkpoint, m *meta, flags uint32, metaJSON []byte, level int) error {
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
	bufs := [][]float32{ck.Params}
	if m.Train != nil {
		bufs = append(bufs, ck.Train.AdamW.M, ck.Train.AdamW.V)
	}
	n, err := writeTensors(sw, bufs, model.Layout(ck.Config), flags&flagBF16 != 0, flags&flagShuffled != 0)
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

// prepare checks ck against opt and returns the metadata and header flags.
func prepare(ck *Checkpoint, opt SaveOptions) (*meta, uint32, error) {
	if err := ck.Config.Validate(); err != nil {
		return nil, 0, fmt.Errorf("config: %v", err)
	}
	n := model.NumParams(ck.Config)
	if len(ck.Params) != n {
		return nil, 0, fmt.Errorf("%d parameters for a config of %d", len(ck.Params), n)
	}
	resumable := !opt.WeightsOnly && ck.Train != nil
	if opt.BF16 && resumable {
		return nil, 0, errors.New("bfloat16 is for weights-only files; a resumable checkpoint keeps float32")
	}
	var flags uint32
	if !resumable {
		flags |= flagWeightsOnly
	}
	if opt.BF16 {
		flags |= flagBF16
	}
	if !opt.NoShuffle {
		flags |= flagShuffled
	}
	m := &meta{Config: ck.Config, Tokenizer: ck.Tokenizer, Provenance: ck.Provenance}
	if resumable {
		t := ck.Train
		if len(t.AdamW.M) != n || len(t.AdamW.V) != n {
			return nil, 0, fmt.Errorf("AdamW moments hold %d and %d values for %d parameters", len(t.AdamW.M), len(t.AdamW.V), n)
		}
		m.Train = &trainMeta{Step: t.Step, Epoch: t.Epoch, Loader: t.Loader, RNG: t.RNG, Hyper: t.Hyper,
			BestValLoss: jsonFloat(t.BestValLoss),
			AdamW: adamWMeta{Beta1: t.AdamW.Beta1, Beta2: t.AdamW.Beta2, Eps: t.AdamW.Eps,
				WeightDecay: t.AdamW.WeightDecay, Step: t.AdamW.Step}}
	}
	m.Tensors, _ = tensorTable(ck.Config, resumable, opt.BF16)
	if testHookMeta != nil {
		testHookMeta(m)
	}
	return m, flags, nil
}

// writeTensors writes each buffer tensor by tensor, in chunks of
// ShuffleChunk elements, and returns the bytes written.
func writeTensors(w io.Writer, bufs [][]float32, layout []model.Tensor, bf16, shuffle bool) (int64, error) {
	size := 4
	if bf16 {
		size = 2
	}
	scratch := make([]byte, ShuffleChunk*size)
	var n int64
	for _, buf := range bufs {
		for _, t := range layout {
			x := buf[t.Offset : t.Offset+t.Size]
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
		}
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
