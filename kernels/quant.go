package kernels

import (
	"encoding/binary"
	"fmt"
	"math"
)

// QMatrix is a [Rows, Cols] matrix kept in a reduced dtype (bf16, q8_0
// or q4_0), each row Cols/Block blocks as DType documents. Matrices
// multiply vectors along Cols: a weight for inference is stored as [out,
// in] so that each output is one row's dot product. In memory the rows
// are laid out for the dot kernels (see qlayout.go); Canonical gives
// llama.cpp's row-by-row bytes, which files store.
type QMatrix struct {
	DType      DType
	Rows, Cols int
	data       []byte // the kernel layout, Bytes() long
}

// NewQMatrix returns the [rows, cols] matrix of dtype dt whose rows, one
// after another, are data (llama.cpp's layout, as Canonical returns),
// checking that the sizes agree.
func NewQMatrix(dt DType, rows, cols int, data []byte) (*QMatrix, error) {
	m, err := newQMatrix(dt, rows, cols)
	if err != nil {
		return nil, err
	}
	st := dt.RowBytes(cols)
	if want := rows * st; len(data) != want {
		return nil, fmt.Errorf("kernels: %v matrix of %d x %d needs %d bytes, got %d", dt, rows, cols, want, len(data))
	}
	For(rows, 64, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			m.setRow(r, data[r*st:(r+1)*st])
		}
	})
	return m, nil
}

// newQMatrix returns a zero [rows, cols] matrix of dtype dt.
func newQMatrix(dt DType, rows, cols int) (*QMatrix, error) {
	if dt == F32 || dt > Q4_0 {
		return nil, fmt.Errorf("kernels: a QMatrix holds bf16, q8_0 or q4_0, not %v", dt)
	}
	if cols%Block != 0 || rows < 0 {
		return nil, fmt.Errorf("kernels: %v matrix of %d x %d: the row length must be a multiple of %d", dt, rows, cols, Block)
	}
	return &QMatrix{DType: dt, Rows: rows, Cols: cols, data: make([]byte, 4*groupsOf(rows)*dt.RowBytes(cols))}, nil
}

// Canonical returns the rows one after another in llama.cpp's layout,
// Rows * DType.RowBytes(Cols) bytes: what NewQMatrix takes.
func (m *QMatrix) Canonical() []byte {
	st := m.DType.RowBytes(m.Cols)
	out := make([]byte, m.Rows*st)
	for r := range m.Rows {
		m.getRow(out[r*st:(r+1)*st], r)
	}
	return out
}

// Bytes is the memory the matrix holds.
func (m *QMatrix) Bytes() int { return len(m.data) }

// Quantize returns src [rows, cols] (row-major) in dtype dt.
func Quantize(dt DType, src []float32, rows, cols int) (*QMatrix, error) {
	return quantizeRows(dt, rows, cols, func(dst []float32, r int) { copy(dst, src[r*cols:(r+1)*cols]) })
}

// QuantizeT returns the transpose of src [cols, rows] in dtype dt, a
// [rows, cols] matrix: a Conv1D weight [in, out] becomes [out, in].
func QuantizeT(dt DType, src []float32, rows, cols int) (*QMatrix, error) {
	return quantizeRows(dt, rows, cols, func(dst []float32, r int) {
		for k := range dst {
			dst[k] = src[k*rows+r]
		}
	})
}

// quantizeRows returns the [rows, cols] matrix in dtype dt whose row r
// row(dst, r) writes.
func quantizeRows(dt DType, rows, cols int, row func(dst []float32, r int)) (*QMatrix, error) {
	m, err := newQMatrix(dt, rows, cols)
	if err != nil {
		return nil, err
	}
	For(rows, 16, func(lo, hi int) {
		x, blk := make([]float32, cols), make([]byte, dt.RowBytes(cols))
		for r := lo; r < hi; r++ {
			row(x, r)
			quantizeRow(dt, blk, x)
			m.setRow(r, blk)
		}
	})
	return m, nil
}

// quantizeRow writes the row x in dtype dt into dst (RowBytes(len(x))).
func quantizeRow(dt DType, dst []byte, x []float32) {
	bb := dt.BlockBytes()
	for b := 0; b < len(x)/Block; b++ {
		blk, xs := dst[b*bb:(b+1)*bb], x[b*Block:(b+1)*Block]
		switch dt {
		case BF16:
			for j, v := range xs {
				binary.LittleEndian.PutUint16(blk[2*j:], BF16FromF32(v))
			}
		case Q8_0:
			quantizeQ8_0(blk, xs)
		case Q4_0:
			quantizeQ4_0(blk, xs)
		}
	}
}

// quantizeQ8_0 is llama.cpp's reference: d = max|x| / 127, q = round(x/d)
// (halves away from zero), with d rounded to fp16 for storage only.
func quantizeQ8_0(blk []byte, x []float32) {
	d, id := scale127(x)
	binary.LittleEndian.PutUint16(blk, F16FromF32(d))
	for j, v := range x {
		blk[2+j] = byte(int8(math.Round(float64(v * id))))
	}
}

// quantizeQ4_0 is llama.cpp's reference: d = m / -8 where m is the value
// of largest magnitude (so it maps to q = 0 exactly), q = min(15,
// trunc(x/d + 8.5)).
func quantizeQ4_0(blk []byte, x []float32) {
	var amax, m float32
	for _, v := range x {
		if a := abs32(v); a > amax {
			amax, m = a, v
		}
	}
	d := m / -8
	id := float32(0)
	if d != 0 {
		id = 1 / d
	}
	binary.LittleEndian.PutUint16(blk, F16FromF32(d))
	q := func(v float32) byte { return byte(min(15, int8(v*id+8.5))) }
	for j := range Block / 2 {
		blk[2+j] = q(x[j]) | q(x[j+Block/2])<<4
	}
}

// scale127 is the int8 step of a block, d = max|x| / 127, and its
// inverse (0 for a block of zeros).
func scale127(x []float32) (d, id float32) {
	var bits uint32 // of max|x|: for floats that are not NaN, |x| orders as its bits
	for _, v := range x {
		bits = max(bits, math.Float32bits(v)&^(1<<31))
	}
	d = math.Float32frombits(bits) / 127
	if d != 0 {
		id = 1 / d
	}
	return d, id
}

func abs32(x float32) float32 { return math.Float32frombits(math.Float32bits(x) &^ (1 << 31)) }
