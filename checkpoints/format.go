package checkpoints

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"

	"github.com/gptgo/gptgo/kernels"
	"github.com/gptgo/gptgo/model"
	"github.com/gptgo/gptgo/tokenizer"
)

// Magic opens every checkpoint file.
const Magic = "GPTGOCKP"

// HeaderSize is the length of the uncompressed header.
const HeaderSize = 48

// Header flags.
const (
	flagWeightsOnly = 1 << iota
	flagBF16
	flagShuffled
	flagQuantized // matrices q8_0 or q4_0 (as the tensor table says), the rest f32
	knownFlags    = flagWeightsOnly | flagBF16 | flagShuffled | flagQuantized
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// header is the fixed-size start of a file.
type header struct {
	version    uint32
	flags      uint32
	metaLen    uint64 // uncompressed JSON metadata bytes
	dataLen    uint64 // uncompressed tensor bytes
	payloadLen uint64 // zstd stream bytes after the header
	contentCRC uint32 // CRC-32C of metadata then tensor data, uncompressed
}

func (h *header) marshal() []byte {
	b := make([]byte, HeaderSize)
	copy(b, Magic)
	binary.LittleEndian.PutUint32(b[8:], h.version)
	binary.LittleEndian.PutUint32(b[12:], h.flags)
	binary.LittleEndian.PutUint64(b[16:], h.metaLen)
	binary.LittleEndian.PutUint64(b[24:], h.dataLen)
	binary.LittleEndian.PutUint64(b[32:], h.payloadLen)
	binary.LittleEndian.PutUint32(b[40:], h.contentCRC)
	binary.LittleEndian.PutUint32(b[44:], crc32.Checksum(b[:44], castagnoli))
	return b
}

// unmarshalHeader parses a header whose magic and version were checked.
func unmarshalHeader(b []byte) (header, error) {
	if got, want := binary.LittleEndian.Uint32(b[44:]), crc32.Checksum(b[:44], castagnoli); got != want {
		return header{}, fmt.Errorf("corrupted header (checksum %08x, want %08x)", got, want)
	}
	h := header{
		version:    binary.LittleEndian.Uint32(b[8:]),
		flags:      binary.LittleEndian.Uint32(b[12:]),
		metaLen:    binary.LittleEndian.Uint64(b[16:]),
		dataLen:    binary.LittleEndian.Uint64(b[24:]),
		payloadLen: binary.LittleEndian.Uint64(b[32:]),
		contentCRC: binary.LittleEndian.Uint32(b[40:]),
	}
	if h.flags&^knownFlags != 0 {
		return header{}, fmt.Errorf("unknown header flags %#x", h.flags&^knownFlags)
	}
	if h.flags&flagBF16 != 0 && h.flags&flagWeightsOnly == 0 {
		return header{}, fmt.Errorf("bad header: bfloat16 tensors in a resumable checkpoint")
	}
	if h.flags&flagQuantized != 0 && h.flags&flagWeightsOnly == 0 {
		return header{}, fmt.Errorf("bad header: quantized tensors in a resumable checkpoint")
	}
	if h.flags&flagQuantized != 0 && h.flags&flagBF16 != 0 {
		return header{}, fmt.Errorf("bad header: both the bfloat16 and the quantized flag")
	}
	return h, nil
}

// meta is the JSON metadata at the start of the zstd stream.
type meta struct {
	Config     model.Config   `json:"config"`
	Tokenizer  tokenizer.Spec `json:"tokenizer"`
	Train      *trainMeta     `json:"train,omitempty"`
	Provenance Provenance     `json:"provenance"`
	Tensors    []tensorEntry  `json:"tensors"`
}

type trainMeta struct {
	Step        int             `json:"step"`
	Epoch       int             `json:"epoch"`
	Loader      json.RawMessage `json:"loader,omitempty"`
	RNG         json.RawMessage `json:"rng,omitempty"`
	Hyper       json.RawMessage `json:"hyper,omitempty"`
	BestValLoss jsonFloat       `json:"best_val_loss"`
	AdamW       adamWMeta       `json:"adamw"`
}

type adamWMeta struct {
	Beta1       float32 `json:"beta1"`
	Beta2       float32 `json:"beta2"`
	Eps         float32 `json:"eps"`
	WeightDecay float32 `json:"weight_decay"`
	Step        int     `json:"step"`
}

// tensorEntry is one row of the tensor table.
type tensorEntry struct {
	Name   string `json:"name"`
	DType  string `json:"dtype"`  // f32, bf16, q8_0 or q4_0 (kernels.DType's names)
	Shape  []int  `json:"shape"`  // model.Layout's, or [rows, cols] of a quantized matrix
	Offset int64  `json:"offset"` // bytes into the tensor data

	size int64 // bytes of data, in the table tensorTable returns
}

// Tensor name prefixes of the AdamW moments.
const (
	prefixM = "adamw.m."
	prefixV = "adamw.v."
)

// storage is how a file stores its tensors.
type storage struct {
	resumable bool          // the AdamW moments follow the parameters (float32 only)
	dtype     kernels.DType // F32 or BF16: every tensor; Q8_0 or Q4_0: the matrices, the rest f32
}

// quantized reports whether the matrices are stored as kernels.QMatrix
// bytes.
func (s storage) quantized() bool { return s.dtype == kernels.Q8_0 || s.dtype == kernels.Q4_0 }

// flags returns the header flags of s.
func (s storage) flags() uint32 {
	var f uint32
	if !s.resumable {
		f |= flagWeightsOnly
	}
	switch {
	case s.dtype == kernels.BF16:
		f |= flagBF16
	case s.quantized():
		f |= flagQuantized
	}
	return f
}

// tensorTable returns the table of a file of config c stored as st and
// the data length. A quantized matrix is listed with its QMatrix shape:
// [V, C] for wte, [out, in] (the transpose of Layout's) for a block's.
func tensorTable(c model.Config, st storage) ([]tensorEntry, int64) {
	layout := model.Layout(c)
	shape := model.EmptyWeights(c, st.dtype)
	slots := shape.Slots()
	prefixes := []string{""}
	if st.resumable {
		prefixes = append(prefixes, prefixM, prefixV)
	}
	var ts []tensorEntry
	var off int64
	for _, p := range prefixes {
		for i, t := range layout {
			e := tensorEntry{Name: p + t.Name, DType: kernels.F32.String(), Shape: t.Shape, Offset: off, size: 4 * int64(t.Size)}
			switch s := slots[i]; {
			case st.dtype == kernels.BF16:
				e.DType, e.size = kernels.BF16.String(), 2*int64(t.Size)
			case st.quantized() && s.Q != nil:
				e.DType, e.Shape = st.dtype.String(), []int{s.Rows, s.Cols}
				e.size = int64(s.Rows) * int64(st.dtype.RowBytes(s.Cols))
			}
			ts = append(ts, e)
			off += e.size
		}
	}
	return ts, off
}

// tensorDType parses a tensor table dtype.
func tensorDType(s string) (kernels.DType, bool) {
	for _, dt := range kernels.DTypes {
		if dt.String() == s {
			return dt, true
		}
	}
	return 0, false
}

func (t tensorEntry) String() string {
	return fmt.Sprintf("%s %s %v at %d", t.Name, t.DType, t.Shape, t.Offset)
}

func sameEntry(a, b tensorEntry) bool {
	if a.Name != b.Name || a.DType != b.DType || a.Offset != b.Offset || len(a.Shape) != len(b.Shape) {
		return false
	}
	for i := range a.Shape {
		if a.Shape[i] != b.Shape[i] {
			return false
		}
	}
	return true
}
