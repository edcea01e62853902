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

	"github.com/gptgo/gptgo/model"
)

// maxMetaLen bounds the JSON metadata (a BPE's merges are a few MB).
const maxMetaLen = 1 << 30

// maxDim bounds each config dimension, so a crafted file cannot make the
// parameter count overflow.
const maxDim = 1 << 24

// Load reads a checkpoint written by Save. Parameters stored as bfloat16
// come back as float32. Every error names the file.
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
	weightsOnly, bf16, shuffle := h.flags&flagWeightsOnly != 0, h.flags&flagBF16 != 0, h.flags&flagShuffled != 0
	if weightsOnly != (m.Train == nil) {
		return nil, errors.New("header and metadata disagree on whether the file holds a training state")
	}
	want, dataLen := tensorTable(c, !weightsOnly, bf16)
	if len(m.Tensors) != len(want) {
		return nil, fmt.Errorf("tensor table has %d tensors, the model layout needs %d", len(m.Tensors), len(want))
	}
	for i := range want {
		if !sameEntry(m.Tensors[i], want[i]) {
			return nil, fmt.Errorf("tensor table does not match the model layout: entry %d is %v, want %v", i, m.Tensors[i], want[i])
		}
	}
	if uint64(dataLen) != h.dataLen {
		return nil, fmt.Errorf("header says %d bytes of tensor data, the model layout needs %d", h.dataLen, dataLen)
	}

	n := model.NumParams(c)
	ck := &Checkpoint{Config: c, Tokenizer: m.Tokenizer, Provenance: m.Provenance, Params: make([]float32, n)}
	bufs := [][]float32{ck.Params}
	if t := m.Train; t != nil {
		ck.Train = &TrainState{Step: t.Step, Epoch: t.Epoch, Loader: t.Loader, RNG: t.RNG, Hyper: t.Hyper,
			BestValLoss: float64(t.BestValLoss),
			AdamW: AdamWState{Beta1: t.AdamW.Beta1, Beta2: t.AdamW.Beta2, Eps: t.AdamW.Eps,
				WeightDecay: t.AdamW.WeightDecay, Step: t.AdamW.Step,
				M: make([]float32, n), V: make([]float32, n)}}
		bufs = append(bufs, ck.Train.AdamW.M, ck.Train.AdamW.V)
	}
	if err := readTensors(bufs, sr, model.Layout(c), bf16, shuffle); err != nil {
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

// readTensors fills bufs from r, the inverse of writeTensors.
func readTensors(bufs [][]float32, r io.Reader, layout []model.Tensor, bf16, shuffle bool) error {
	size := 4
	if bf16 {
		size = 2
	}
	scratch := make([]byte, ShuffleChunk*size)
	for _, buf := range bufs {
		for _, t := range layout {
			x := buf[t.Offset : t.Offset+t.Size]
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
		}
	}
	return nil
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
