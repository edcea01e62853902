package kernels

import (
	"encoding/binary"
	"fmt"
	"math"
)

// QMatrix is a [Rows, Cols] matrix kept in a reduced dtype (bf16, q8_0
// or q4_0), row by row, each row Cols/Block blocks as DType documents.
// Matrices multiply vectors along Cols: a weight for inference is stored
// as [out, in] so that each output is one row's dot product.
type QMatrix struct {
	DType      DType
	Rows, Cols int
	Data       []byte // Rows * DType.RowBytes(Cols)
}

// NewQMatrix wraps data as a [rows, cols] matrix of dtype dt, checking
// that the sizes agree.
func NewQMatrix(dt DType, rows, cols int, data []byte) (*QMatrix, error) {
	if dt == F32 || dt > Q4_0 {
		return nil, fmt.Errorf("kernels: a QMatrix holds bf16, q8_0 or q4_0, not %v", dt)
	}
	if cols%Block != 0 || rows < 0 {
		return nil, fmt.Errorf("kernels: %v matrix of %d x %d: the row length must be a multiple of %d", dt, rows, cols, Block)
	}
	if want := rows * dt.RowBytes(cols); len(data) != want {
		return nil, fmt.Errorf("kernels: %v matrix of %d x %d needs %d bytes, got %d", dt, rows, cols, want, len(data))
	}
	return &QMatrix{DType: dt, Rows: rows, Cols: cols, Data: data}, nil
}

// Stride is the number of bytes per row.
func (m *QMatrix) Stride() int { return m.DType.RowBytes(m.Cols) }

// Quantize returns src [rows, cols] (row-major) in dtype dt.
func Quantize(dt DType, src []float32, rows, cols int) (*QMatrix, error) {
	m, err := NewQMatrix(dt, rows, cols, make([]byte, rows*dt.RowBytes(cols)))
	if err != nil {
		return nil, err
	}
	st := m.Stride()
	For(rows, 16, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			quantizeRow(dt, m.Data[r*st:(r+1)*st], src[r*cols:(r+1)*cols])
		}
	})
	return m, nil
}

// QuantizeT returns the transpose of src [cols, rows] in dtype dt, a
// [rows, cols] matrix: a Conv1D weight [in, out] becomes [out, in].
func QuantizeT(dt DType, src []float32, rows, cols int) (*QMatrix, error) {
	m, err := NewQMatrix(dt, rows, cols, make([]byte, rows*dt.RowBytes(cols)))
	if err != nil {
		return nil, err
	}
	st := m.Stride()
	For(rows, 16, func(lo, hi int) {
		row := make([]float32, cols)
		for r := lo; r < hi; r++ {
			for k := range row {
				row[k] = src[k*rows+r]
			}
			quantizeRow(dt, m.Data[r*st:(r+1)*st], row)
		}
	})
	return m, nil
}

// Row writes row r of m, dequantized, into dst [Cols].
func (m *QMatrix) Row(dst []float32, r int) {
	st := m.Stride()
	dequantizeRow(m.DType, dst[:m.Cols], m.Data[r*st:(r+1)*st])
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

// dequantizeRow writes the row src of dtype dt into dst.
func dequantizeRow(dt DType, dst []float32, src []byte) {
	bb := dt.BlockBytes()
	for b := 0; b < len(dst)/Block; b++ {
		blk, ys := src[b*bb:(b+1)*bb], dst[b*Block:(b+1)*Block]
		switch dt {
		case BF16:
			for j := range ys {
				ys[j] = F32FromBF16(binary.LittleEndian.Uint16(blk[2*j:]))
			}
		case Q8_0:
			d := F32FromF16(binary.LittleEndian.Uint16(blk))
			for j := range ys {
				ys[j] = d * float32(int8(blk[2+j]))
			}
		case Q4_0:
			d := F32FromF16(binary.LittleEndian.Uint16(blk))
			for j := range Block / 2 {
				ys[j] = d * float32(int(blk[2+j]&15)-8)
				ys[j+Block/2] = d * float32(int(blk[2+j]>>4)-8)
			}
		}
	}
}

// scale127 is the int8 step of a block, d = max|x| / 127, and its
// inverse (0 for a block of zeros).
func scale127(x []float32) (d, id float32) {
	var amax float32
	for _, v := range x {
		amax = max(amax, abs32(v))
	}
	d = amax / 127
	if d != 0 {
		id = 1 / d
	}
	return d, id
}

func abs32(x float32) float32 { return math.Float32frombits(math.Float32bits(x) &^ (1 << 31)) }
