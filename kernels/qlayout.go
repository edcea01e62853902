package kernels

import "encoding/binary"

// The kernel layout of a QMatrix. Rows go in groups of four, the last
// padded with zero rows, so that the dot kernels always read four rows.
//
// bf16: the rows one after another (Cols bf16 each), padding included.
//
// q8_0, q4_0: each group is a stream of "group blocks", block b of its
// four rows with their quants interleaved in 4-byte chunks (chunk c of
// row i at byte (4c+i)*4): q8_0 has 8 chunks of int8 (128 bytes), q4_0
// the 16 bytes of nibble pairs of llama.cpp's block as 4 chunks (64
// bytes: byte j of a row holds weight j in its low nibble and weight j+16
// in its high one). So one 64-byte load is 4 chunks of 4 rows, and the
// products of a chunk with the activations land in their own int32 lane.
// After every group's quants come the scales: 4 fp16 (rows 0-3) per
// group block. The sizes are llama.cpp's: 34 (q8_0) and 18 (q4_0) bytes
// per block of 32 weights.

// groupsOf is the number of 4-row groups of rows rows.
func groupsOf(rows int) int { return (rows + 3) / 4 }

// quantBytes is the bytes of one row's quants in a block (q8_0, q4_0).
func (m *QMatrix) quantBytes() int { return m.DType.BlockBytes() - 2 }

// quantOff and scaleOff are where group block (g, b) starts in data.
func (m *QMatrix) quantOff(g, b int) int { return (g*(m.Cols/Block) + b) * 4 * m.quantBytes() }
func (m *QMatrix) scaleOff(g, b int) int {
	return m.quantOff(groupsOf(m.Rows), 0) + (g*(m.Cols/Block)+b)*8
}

// group returns what the dot kernels read for the four rows of group g:
// their first byte, the stride between rows (bf16) and their scales
// (q8_0, q4_0; for bf16 the rows again).
func (m *QMatrix) group(g int) (w *byte, ldw int, s *byte) {
	if m.DType == BF16 {
		st := m.DType.RowBytes(m.Cols)
		return &m.data[4*g*st], st, &m.data[4*g*st]
	}
	return &m.data[m.quantOff(g, 0)], 0, &m.data[m.scaleOff(g, 0)]
}

// setRow writes row r from its llama.cpp bytes src (RowBytes(Cols)).
func (m *QMatrix) setRow(r int, src []byte) {
	m.rowBytes(r, src, true)
}

// getRow writes row r's llama.cpp bytes into dst (RowBytes(Cols)).
func (m *QMatrix) getRow(dst []byte, r int) {
	m.rowBytes(r, dst, false)
}

// rowBytes copies row r between the kernel layout and llama.cpp's
// layout in blk: into the matrix when set, else out of it.
func (m *QMatrix) rowBytes(r int, blk []byte, set bool) {
	mv := func(dst, src []byte) {
		if !set {
			dst, src = src, dst
		}
		copy(dst, src)
	}
	if m.DType == BF16 {
		st := m.DType.RowBytes(m.Cols)
		mv(m.data[r*st:(r+1)*st], blk)
		return
	}
	g, i, bb := r/4, r%4, m.DType.BlockBytes()
	for b := range m.Cols / Block {
		src := blk[b*bb : (b+1)*bb]
		so := m.scaleOff(g, b) + 2*i
		mv(m.data[so:so+2], src[:2])
		q := m.quantOff(g, b)
		for c := range m.quantBytes() / 4 {
			o := q + (4*c+i)*4
			mv(m.data[o:o+4], src[2+4*c:2+4*c+4])
		}
	}
}

// Row writes row r of m, dequantized, into dst [Cols].
func (m *QMatrix) Row(dst []float32, r int) {
	dst = dst[:m.Cols]
	if m.DType == BF16 {
		st := m.DType.RowBytes(m.Cols)
		row := m.data[r*st : (r+1)*st]
		for j := range dst {
			dst[j] = F32FromBF16(binary.LittleEndian.Uint16(row[2*j:]))
		}
		return
	}
	g, i := r/4, r%4
	for b := range m.Cols / Block {
		d := F32FromF16(binary.LittleEndian.Uint16(m.data[m.scaleOff(g, b)+2*i:]))
		q, ys := m.data[m.quantOff(g, b):], dst[b*Block:(b+1)*Block]
		for c := range m.quantBytes() / 4 {
			for j, v := range q[(4*c+i)*4 : (4*c+i)*4+4] {
				if m.DType == Q8_0 {
					ys[4*c+j] = d * float32(int8(v))
				} else {
					ys[4*c+j] = d * float32(int(v&15)-8)
					ys[Block/2+4*c+j] = d * float32(int(v>>4)-8)
				}
			}
		}
	}
}
