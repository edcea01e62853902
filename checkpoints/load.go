package checkpoints

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"

	"github.com/klauspost/compress/zstd"

	"github.com/gptgo/gptgo/kernels"
	"github.com/gptgo/gptgo/model"
)

// maxMetaLen bounds the JSON metadata (a BPE's merges are a few MB).
const maxMetaLen = 1 << 30

// maxDim bounds each config dimension, so a crafted file cannot make the
// parameter count overflow.
const maxDim = 1 << 24

// Load reads a checkpoint written by Save. Parameters stored as bfloat16
// come back as float32 (widening is exact); a quantized file comes back as
// Weights (its matrices as stored, never as float32) with Params nil.
// Every error names the file.
func Load(path string) (*Checkpoint, error) {
	ck, err := load(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s: %v", path, err)
	}
	return ck, nil
}

func load(path string) (*Checkpoint, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return nil, errors.New("is a folder (use Resolve for a run folder)")
	}
	h, err := readHeader(f, fi.Size())
	if err != nil {
		return nil, err
	}
	dec, err := zstd.NewReader(bufio.NewReaderSize(io.NewSectionReader(f, HeaderSize, int64(h.payloadLen)), 1<<20),
		zstd.WithDecoderConcurrency(2))
	if err != nil {
		return nil, err
	}
	defer dec.Close()
	sr := &sumReader{r: dec}

	metaJSON := make([]byte, h.metaLen)
	if _, err := io.ReadFull(sr, metaJSON); err != nil {
		return nil, streamError(err)
	}
	var m meta
	if err := json.Unmarshal(metaJSON, &m); err != nil {
		return nil, fmt.Errorf("corrupted metadata: %v", err)
	}
	c := m.Config
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("bad model config: %v", err)
	}
	if c.VocabSize > maxDim || c.Context > maxDim || c.Layers > maxDim || c.Embd > maxDim {
		return nil, fmt.Errorf("implausible model config %+v", c)
	}
	if (h.flags&flagWeightsOnly != 0) != (m.Train == nil) {
		return nil, errors.New("header and metadata disagree on whether the file holds a training state")
	}
	st, err := fileStorage(h, m.Tensors)
	if err != nil {
		return nil, err
	}
	want, dataLen := tensorTable(c, st)
	if err := checkTable(m.Tensors, want, int64(h.dataLen), st.resumable); err != nil {
		return nil, err
	}
	if uint64(dataLen) != h.dataLen {
		return nil, fmt.Errorf("header says %d bytes of tensor data, the model layout needs %d", h.dataLen, dataLen)
	}
	ck := newCheckpoint(&m)
	if err := readData(ck, sr, st, want, h.flags&flagShuffled != 0); err != nil {
		return nil, err
	}
	// Read to the end so the zstd frame checksum is verified too.
	var one [1]byte
	if k, err := io.ReadFull(sr, one[:]); k != 0 || err != io.EOF {
		if err == nil || err == io.ErrUnexpectedEOF {
			return nil, errors.New("corrupted: more data than the header declares")
		}
		return nil, streamError(err)
	}
	if sr.crc != h.contentCRC {
		return nil, fmt.Errorf("corrupted: content checksum %08x, header says %08x", sr.crc, h.contentCRC)
	}
	return ck, nil
}

// readHeader reads and checks the header of a file of size bytes.
func readHeader(r io.ReaderAt, size int64) (header, error) {
	b := make([]byte, HeaderSize)
	k, err := r.ReadAt(b, 0)
	if err != nil && err != io.EOF {
		return header{}, err
	}
	b = b[:k]
	if len(b) < len(Magic) || string(b[:len(Magic)]) != Magic {
		return header{}, fmt.Errorf("not a gptgo checkpoint (no %s magic)", Magic)
	}
	if len(b) < 12 {
		return header{}, fmt.Errorf("truncated: %d bytes, the header alone is %d", size, HeaderSize)
	}
	if v := uint32(b[8]) | uint32(b[9])<<8 | uint32(b[10])<<16 | uint32(b[11])<<24; v != FormatVersion {
		return header{}, fmt.Errorf("format version %d, this gptgo reads version %d", v, FormatVersion)
	}
	if len(b) < HeaderSize {
		return header{}, fmt.Errorf("truncated: %d bytes, the header alone is %d", size, HeaderSize)
	}
	h, err := unmarshalHeader(b)
	if err != nil {
		return header{}, err
	}
	if h.metaLen > maxMetaLen {
		return header{}, fmt.Errorf("corrupted header: %d bytes of metadata", h.metaLen)
	}
	if want := HeaderSize + int64(h.payloadLen); h.payloadLen > 1<<62 || size < want {
		return header{}, fmt.Errorf("truncated: %d bytes, the header says %d", size, want)
	} else if size > want {
		return header{}, fmt.Errorf("%d bytes of trailing data after the %d the header declares", size-want, want)
	}
	return h, nil
}

// fileStorage returns how the file of header h and tensor table ts
// stores its tensors; a quantized file's dtype is that of its first
// tensor, wte.
func fileStorage(h header, ts []tensorEntry) (storage, error) {
	st := storage{resumable: h.flags&flagWeightsOnly == 0}
	switch {
	case h.flags&flagBF16 != 0:
		st.dtype = kernels.BF16
	case h.flags&flagQuantized != 0:
		if len(ts) == 0 {
			return st, errors.New("empty tensor table")
		}
		st.dtype, _ = tensorDType(ts[0].DType)
		if !st.quantized() {
			return st, fmt.Errorf("tensor table entry 0, %s: dtype %q in a quantized file (want q8_0 or q4_0)", ts[0].Name, ts[0].DType)
		}
	}
	return st, nil
}

// checkTable compares a file's tensor table got with want, the table of
// its config and storage; dataLen is the tensor data length the header
// declares. Each error names the entry and its tensor.
func checkTable(got, want []tensorEntry, dataLen int64, resumable bool) error {
	if len(got) != len(want) {
		return fmt.Errorf("tensor table has %d tensors, the model layout needs %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if err := checkDType(g, w, resumable); err != nil {
			return fmt.Errorf("tensor table entry %d, %s: %v", i, g.Name, err)
		}
		if !sameEntry(g, w) {
			return fmt.Errorf("tensor table does not match the model layout: entry %d is %v, want %v", i, g, w)
		}
		end := dataLen
		if i+1 < len(got) {
			end = got[i+1].Offset
		}
		if n := end - g.Offset; n != w.size {
			return fmt.Errorf("tensor table entry %d, %s: %d bytes of data, %s %v needs %d", i, g.Name, n, w.DType, w.Shape, w.size)
		}
	}
	return nil
}

// checkDType checks the dtype of table entry g against want's.
func checkDType(g, want tensorEntry, resumable bool) error {
	dt, ok := tensorDType(g.DType)
	switch {
	case !ok:
		return fmt.Errorf("unknown dtype %q (want f32, bf16, q8_0 or q4_0)", g.DType)
	case resumable && dt != kernels.F32:
		return fmt.Errorf("a %v tensor in a resumable checkpoint, which keeps float32", dt)
	case g.DType != want.DType:
		return fmt.Errorf("dtype %s, this file stores it as %s", g.DType, want.DType)
	}
	return nil
}

// newCheckpoint returns the checkpoint m describes, without its tensors.
func newCheckpoint(m *meta) *Checkpoint {
	ck := &Checkpoint{Config: m.Config, Tokenizer: m.Tokenizer, Provenance: m.Provenance}
	if t := m.Train; t != nil {
		ck.Train = &TrainState{Step: t.Step, Epoch: t.Epoch, Loader: t.Loader, RNG: t.RNG, Hyper: t.Hyper,
			BestValLoss: float64(t.BestValLoss),
			AdamW: AdamWState{Beta1: t.AdamW.Beta1, Beta2: t.AdamW.Beta2, Eps: t.AdamW.Eps,
				WeightDecay: t.AdamW.WeightDecay, Step: t.AdamW.Step}}
	}
	return ck
}

// readData reads the tensor data of table ts into ck: Params (and the
// AdamW moments) for a float file, Weights for a quantized one.
func readData(ck *Checkpoint, r io.Reader, st storage, ts []tensorEntry, shuffle bool) error {
	if st.quantized() {
		w, err := readWeights(r, ck.Config, st.dtype, ts, shuffle)
		ck.Weights = w
		return err
	}
	n := model.NumParams(ck.Config)
	ck.Params = make([]float32, n)
	bufs := [][]float32{ck.Params}
	if t := ck.Train; t != nil {
		t.AdamW.M, t.AdamW.V = make([]float32, n), make([]float32, n)
		bufs = append(bufs, t.AdamW.M, t.AdamW.V)
	}
	return readTensors(bufs, r, model.Layout(ck.Config), ts, st.dtype == kernels.BF16, shuffle)
}

// readTensors fills bufs, each laid out by model.Layout, from r: the
// inverse of writeTensors. ts, the file's table, names a tensor whose data
// cannot be read.
func readTensors(bufs [][]float32, r io.Reader, layout []model.Tensor, ts []tensorEntry, bf16, shuffle bool) error {
	scratch := make([]byte, ShuffleChunk*elemSize(bf16))
	for k, buf := range bufs {
		for i, t := range layout {
			if err := readFloats(buf[t.Offset:t.Offset+t.Size], r, scratch, bf16, shuffle); err != nil {
				return fmt.Errorf("tensor %s: %v", ts[k*len(layout)+i].Name, err)
			}
		}
	}
	return nil
}

// readWeights reads the tensors of a quantized file of config c, table
// ts: matrices of dtype dt and float32 tensors, which share one buffer.
func readWeights(r io.Reader, c model.Config, dt kernels.DType, ts []tensorEntry, shuffle bool) (*model.Weights, error) {
	w := model.EmptyWeights(c, dt)
	slots, layout := w.Slots(), model.Layout(c)
	n := 0
	for i, s := range slots {
		if s.Q == nil {
			n += layout[i].Size
		}
	}
	small, scratch := make([]float32, n), make([]byte, ShuffleChunk*4)
	for i, s := range slots {
		var err error
		if s.Q != nil {
			*s.Q, err = readMatrix(r, dt, s.Rows, s.Cols)
		} else {
			*s.F, small = small[:layout[i].Size:layout[i].Size], small[layout[i].Size:]
			err = readFloats(*s.F, r, scratch, false, shuffle)
		}
		if err != nil {
			return nil, fmt.Errorf("tensor %s: %v", ts[i].Name, err)
		}
	}
	return &w, nil
}

// readMatrix reads a rows x cols matrix of dtype dt, its raw blocks.
func readMatrix(r io.Reader, dt kernels.DType, rows, cols int) (*kernels.QMatrix, error) {
	data := make([]byte, rows*dt.RowBytes(cols))
	if _, err := io.ReadFull(r, data); err != nil {
		return nil, streamError(err)
	}
	return kernels.NewQMatrix(dt, rows, cols, data)
}

// readFloats fills x from r, in chunks of ShuffleChunk elements, float32
// or bfloat16, byte planes if shuffle; scratch holds a chunk.
func readFloats(x []float32, r io.Reader, scratch []byte, bf16, shuffle bool) error {
	size := elemSize(bf16)
	for lo := 0; lo < len(x); lo += ShuffleChunk {
		c := x[lo:min(lo+ShuffleChunk, len(x))]
		b := scratch[:len(c)*size]
		if _, err := io.ReadFull(r, b); err != nil {
			return streamError(err)
		}
		if bf16 {
			decodeBF16(c, b, shuffle)
		} else {
			decodeF32(c, b, shuffle)
		}
	}
	return nil
}

// elemSize is the bytes per stored float: 2 for bfloat16, else 4.
func elemSize(bf16 bool) int {
	if bf16 {
		return 2
	}
	return 4
}

// streamError describes an error reading the zstd stream.
func streamError(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return errors.New("corrupted: the compressed data ends before the lengths the header declares")
	}
	return fmt.Errorf("corrupted compressed data: %v", err)
}

// sumReader keeps the CRC-32C of what passes through it.
type sumReader struct {
	r   io.Reader
	crc uint32
}

func (s *sumReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.crc = crc32.Update(s.crc, castagnoli, p[:n])
	return n, err
}
