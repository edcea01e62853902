package checkpoints

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
)

// MaxSafetensorsHeader is the largest safetensors JSON header accepted
// (the limit of the reference implementation).
const MaxSafetensorsHeader = 100_000_000

// Safetensors data types.
const (
	STF32  = "F32"
	STF16  = "F16"
	STBF16 = "BF16"
)

// stDTypeSize is the element size of every safetensors dtype. A file may
// hold any of them (a mask buffer is often BOOL or U8), but ReadFloat32
// reads only F32, F16 and BF16.
var stDTypeSize = map[string]int64{STF32: 4, STF16: 2, STBF16: 2,
	"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2,
	"I32": 4, "U32": 4, "F64": 8, "I64": 8, "U64": 8}

// Readable reports whether ReadFloat32 reads the tensor's dtype.
func (t SafetensorsTensor) Readable() bool {
	return t.DType == STF32 || t.DType == STF16 || t.DType == STBF16
}

// SafetensorsTensor is one entry of a safetensors header.
type SafetensorsTensor struct {
	Name       string
	DType      string
	Shape      []int
	Begin, End int64 // byte offsets into the data section, end exclusive
}

// NumElements is the product of the shape (1 for a scalar).
func (t SafetensorsTensor) NumElements() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// SafetensorsFile is an open, validated safetensors file. Tensor data is
// read on demand with ReadFloat32.
type SafetensorsFile struct {
	Path     string
	Metadata map[string]string
	Tensors  []SafetensorsTensor // in data order
	f        *os.File
	data     int64 // file offset of the data section
	index    map[string]int
}

// OpenSafetensors opens path and validates its header against the file:
// the header length limit, the JSON, each dtype and shape against its byte
// length, and offsets that cover the data section exactly, in order,
// without gaps or overlaps. Errors are one line naming the file.
func OpenSafetensors(path string) (*SafetensorsFile, error) {
	s, err := openSafetensors(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors %s: %v", path, err)
	}
	return s, nil
}

func openSafetensors(path string) (*SafetensorsFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if fi.IsDir() {
		f.Close()
		return nil, errors.New("is a folder")
	}
	size := fi.Size()
	var pre [8]byte
	if _, err := io.ReadFull(f, pre[:]); err != nil {
		f.Close()
		return nil, fmt.Errorf("truncated: %d bytes, shorter than the 8-byte header length", size)
	}
	n := binary.LittleEndian.Uint64(pre[:])
	if n > MaxSafetensorsHeader {
		f.Close()
		return nil, fmt.Errorf("header of %d bytes is over the %d-byte limit", n, MaxSafetensorsHeader)
	}
	if int64(n) > size-8 {
		f.Close()
		return nil, fmt.Errorf("truncated: header of %d bytes but only %d bytes follow the length", n, size-8)
	}
	hdr := make([]byte, n)
	if _, err := io.ReadFull(f, hdr); err != nil {
		f.Close()
		return nil, err
	}
	ts, meta, err := parseSafetensorsHeader(hdr, size-8-int64(n))
	if err != nil {
		f.Close()
		return nil, err
	}
	s := &SafetensorsFile{Path: path, Metadata: meta, Tensors: ts, f: f, data: 8 + int64(n), index: map[string]int{}}
	for i, t := range ts {
		s.index[t.Name] = i
	}
	return s, nil
}

// parseSafetensorsHeader parses and validates a JSON header for a data
// section of dataLen bytes and returns the tensors sorted by offset.
func parseSafetensorsHeader(hdr []byte, dataLen int64) ([]SafetensorsTensor, map[string]string, error) {
	if t := bytes.TrimLeft(hdr, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return nil, nil, errors.New("not a safetensors file (the header is not a JSON object)")
	}
	dec := json.NewDecoder(bytes.NewReader(hdr))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil {
		return nil, nil, fmt.Errorf("bad header JSON: %v", err)
	}
	var ts []SafetensorsTensor
	var meta map[string]string
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, fmt.Errorf("bad header JSON: %v", err)
		}
		name, _ := tok.(string)
		if seen[name] {
			return nil, nil, fmt.Errorf("bad header: %q appears twice", name)
		}
		seen[name] = true
		if name == "__metadata__" {
			if err := dec.Decode(&meta); err != nil {
				return nil, nil, fmt.Errorf("bad header: __metadata__ must map strings to strings: %v", err)
			}
			continue
		}
		var e struct {
			DType   *string  `json:"dtype"`
			Shape   *[]int64 `json:"shape"`
			Offsets *[]int64 `json:"data_offsets"`
		}
		if err := dec.Decode(&e); err != nil {
			return nil, nil, fmt.Errorf("bad header entry %q: %v", name, err)
		}
		if e.DType == nil || e.Shape == nil || e.Offsets == nil {
			return nil, nil, fmt.Errorf("bad header entry %q: it needs dtype, shape and data_offsets", name)
		}
		size, ok := stDTypeSize[*e.DType]
		if !ok {
			return nil, nil, fmt.Errorf("tensor %q has unknown dtype %q", name, *e.DType)
		}
		if len(*e.Offsets) != 2 {
			return nil, nil, fmt.Errorf("tensor %q: data_offsets needs 2 values, has %d", name, len(*e.Offsets))
		}
		begin, end := (*e.Offsets)[0], (*e.Offsets)[1]
		if begin < 0 || end < begin {
			return nil, nil, fmt.Errorf("tensor %q: bad data_offsets [%d, %d]", name, begin, end)
		}
		bytesNeeded := size
		shape := make([]int, len(*e.Shape))
		for i, d := range *e.Shape {
			if d < 0 {
				return nil, nil, fmt.Errorf("tensor %q: negative dimension in shape %v", name, *e.Shape)
			}
			if d > 0 && bytesNeeded > math.MaxInt64/d {
				return nil, nil, fmt.Errorf("tensor %q: shape %v is impossibly large", name, *e.Shape)
			}
			bytesNeeded *= d
			shape[i] = int(d)
		}
		if end-begin != bytesNeeded {
			return nil, nil, fmt.Errorf("tensor %q: %s shape %v needs %d bytes, data_offsets [%d, %d] give %d",
				name, *e.DType, *e.Shape, bytesNeeded, begin, end, end-begin)
		}
		ts = append(ts, SafetensorsTensor{Name: name, DType: *e.DType, Shape: shape, Begin: begin, End: end})
	}
	if _, err := dec.Token(); err != nil {
		return nil, nil, fmt.Errorf("bad header JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, nil, errors.New("bad header: data after the JSON object")
	}
	slices.SortStableFunc(ts, func(a, b SafetensorsTensor) int {
		if a.Begin != b.Begin {
			return cmpInt64(a.Begin, b.Begin)
		}
		return cmpInt64(a.End, b.End)
	})
	var pos int64
	for _, t := range ts {
		switch {
		case t.Begin > pos:
			return nil, nil, fmt.Errorf("gap in the data: bytes [%d, %d) belong to no tensor (before %q)", pos, t.Begin, t.Name)
		case t.Begin < pos:
			return nil, nil, fmt.Errorf("tensor %q at [%d, %d) overlaps the previous tensor, which ends at %d", t.Name, t.Begin, t.End, pos)
		}
		pos = t.End
	}
	switch {
	case pos > dataLen:
		return nil, nil, fmt.Errorf("truncated: the tensors need %d bytes of data, the file has %d", pos, dataLen)
	case pos < dataLen:
		return nil, nil, fmt.Errorf("%d bytes after the last tensor's data", dataLen-pos)
	}
	return ts, meta, nil
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Tensor returns the entry of the named tensor.
func (s *SafetensorsFile) Tensor(name string) (SafetensorsTensor, bool) {
	i, ok := s.index[name]
	if !ok {
		return SafetensorsTensor{}, false
	}
	return s.Tensors[i], true
}

// ReadFloat32 fills dst, which must hold exactly the tensor's elements,
// with the named tensor widened to float32.
func (s *SafetensorsFile) ReadFloat32(dst []float32, name string) error {
	if err := s.read(dst, name); err != nil {
		return fmt.Errorf("safetensors %s: %v", s.Path, err)
	}
	return nil
}

func (s *SafetensorsFile) read(dst []float32, name string) error {
	t, ok := s.Tensor(name)
	if !ok {
		return fmt.Errorf("no tensor %q", name)
	}
	if !t.Readable() {
		return fmt.Errorf("tensor %q has dtype %s; gptgo reads F32, F16 and BF16", name, t.DType)
	}
	if n := t.NumElements(); n != len(dst) {
		return fmt.Errorf("tensor %q has %d elements, want %d", name, n, len(dst))
	}
	r := bufio.NewReaderSize(io.NewSectionReader(s.f, s.data+t.Begin, t.End-t.Begin), 1<<20)
	size := int(stDTypeSize[t.DType])
	buf := make([]byte, min(len(dst), 1<<16)*size)
	for lo := 0; lo < len(dst); lo += len(buf) / size {
		c := dst[lo:min(lo+len(buf)/size, len(dst))]
		b := buf[:len(c)*size]
		if _, err := io.ReadFull(r, b); err != nil {
			return fmt.Errorf("reading %q: %v", name, err)
		}
		switch t.DType {
		case STF32:
			decodeF32(c, b, false)
		case STBF16:
			decodeBF16(c, b, false)
		case STF16:
			for i := range c {
				c[i] = FromF16(binary.LittleEndian.Uint16(b[2*i:]))
			}
		}
	}
	return nil
}

// Close closes the file.
func (s *SafetensorsFile) Close() error { return s.f.Close() }

// FromF16 returns the float32 value of an IEEE 754 half-precision float.
func FromF16(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf or NaN
		return math.Float32frombits(sign | 0x7f800000 | frac<<13)
	case exp == 0 && frac == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: normalise
		e := uint32(127 - 15 + 1)
		for frac&0x400 == 0 {
			frac <<= 1
			e--
		}
		return math.Float32frombits(sign | e<<23 | (frac&0x3ff)<<13)
	}
	return math.Float32frombits(sign | (exp+127-15)<<23 | frac<<13)
}

// SafetensorsOut is a float32 tensor to write.
type SafetensorsOut struct {
	Name  string
	Shape []int
	Data  []float32 // len == product of Shape
}

// WriteSafetensors writes tensors as F32, in the given order, with the
// metadata, to path atomically (a temp file renamed over path). The header
// is space-padded to a multiple of 8 bytes.
func WriteSafetensors(path string, tensors []SafetensorsOut, metadata map[string]string) error {
	if err := writeSafetensors(path, tensors, metadata); err != nil {
		return fmt.Errorf("writing safetensors %s: %v", path, err)
	}
	return nil
}

func writeSafetensors(path string, tensors []SafetensorsOut, metadata map[string]string) error {
	hdr, err := safetensorsHeader(tensors, metadata)
	if err != nil {
		return err
	}
	return writeAtomic(path, func(w io.Writer) error {
		var pre [8]byte
		binary.LittleEndian.PutUint64(pre[:], uint64(len(hdr)))
		if _, err := w.Write(pre[:]); err != nil {
			return err
		}
		if _, err := w.Write(hdr); err != nil {
			return err
		}
		buf := make([]byte, 4<<16)
		for _, t := range tensors {
			for lo := 0; lo < len(t.Data); lo += 1 << 16 {
				c := t.Data[lo:min(lo+1<<16, len(t.Data))]
				b := buf[:4*len(c)]
				encodeF32(b, c, false)
				if _, err := w.Write(b); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// safetensorsHeader returns the padded JSON header of tensors, keys in
// order (__metadata__ first).
func safetensorsHeader(tensors []SafetensorsOut, metadata map[string]string) ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	if len(metadata) > 0 {
		mj, err := json.Marshal(metadata)
		if err != nil {
			return nil, err
		}
		b.WriteString(`"__metadata__":`)
		b.Write(mj)
	}
	var off int64
	seen := map[string]bool{}
	for _, t := range tensors {
		if t.Name == "__metadata__" || seen[t.Name] {
			return nil, fmt.Errorf("bad or repeated tensor name %q", t.Name)
		}
		seen[t.Name] = true
		n := 1
		for _, d := range t.Shape {
			if d < 0 {
				return nil, fmt.Errorf("tensor %q: negative dimension in %v", t.Name, t.Shape)
			}
			n *= d
		}
		if n != len(t.Data) {
			return nil, fmt.Errorf("tensor %q: shape %v holds %d values, got %d", t.Name, t.Shape, n, len(t.Data))
		}
		name, _ := json.Marshal(t.Name)
		shape, _ := json.Marshal(t.Shape)
		if t.Shape == nil {
			shape = []byte("[]")
		}
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		end := off + 4*int64(n)
		fmt.Fprintf(&b, `%s:{"dtype":"F32","shape":%s,"data_offsets":[%d,%d]}`, name, shape, off, end)
		off = end
	}
	b.WriteByte('}')
	for b.Len()%8 != 0 {
		b.WriteByte(' ')
	}
	if b.Len() > MaxSafetensorsHeader {
		return nil, fmt.Errorf("header of %d bytes is over the %d-byte limit", b.Len(), MaxSafetensorsHeader)
	}
	return []byte(b.String()), nil
}
