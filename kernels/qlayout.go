package kernels

import "encoding/binary"

// The kernel layout of a QMatrix. Rows go in groups of four, the last
// padded with zero rows, so that the dot kernels always read four rows,
// and each group is one stream of memory (a stream a thread reads, not
// four). A group is a run of "group blocks", block b of its four rows,
// in which the rows' values are interleaved in chunks of four: chunk c of
// row i is at (4c+i)*chunkBytes.
//
//	dtype  chunk (4 values)        group block
//	bf16   8 bytes (4 bf16)        256 bytes
//	q8_0   4 bytes (4 int8)        128 bytes of quants
//	q4_0   4 bytes of nibble pairs  64 bytes of quants
//
// A q4_0 block's 16 bytes (byte j: weight j in the low nibble, weight
// j+16 in the high one, as in llama.cpp) are its 4 chunks. So one 64-byte
// load holds 4 chunks of 4 rows, and the products of a chunk with the
// activations land in their own lane. After every group's quants come
// the q8_0 and q4_0 scales: 4 fp16 (rows 0-3) per group block. The sizes
// are llama.cpp's: 64, 34 and 18 bytes per row and block of 32 weights.

// groupsOf is the number of 4-row groups of rows rows.
func groupsOf(rows int) int { return (rows + 3) / 4 }

// quantBytes is the bytes of one row's values in a block, without the
// scale.
func (m *QMatrix) quantBytes() int {
	if m.DType == BF16 {
		return m.DType.BlockBytes()
	}
	return m.DType.BlockBytes() - 2
}

// chunkBytes is the bytes of four of a row's values.
func (m *QMatrix) chunkBytes() int {
	if m.DType == BF16 {
		return 8
	}
	return 4
}

// quantOff and scaleOff are where group block (g, b) starts in data.
func (m *QMatrix) quantOff(g, b int) int { return (g*(m.Cols/Block) + b) * 4 * m.quantBytes() }
func (m *QMatrix) scaleOff(g, b int) int {
	return m.quantOff(groupsOf(m.Rows), 0) + (g*(m.Cols/Block)+b)*8
}

// group returns what the dot kernels read for group g: its values and
// its scales (for bf16, the values again).
func (m *QMatrix) group(g int) (w, s *byte) {
	if m.DType == BF16 {
		return &m.data[m.quantOff(g, 0)], &m.data[m.quantOff(g, 0)]
	}
	return &m.data[m.quantOff(g, 0)], &m.data[m.scaleOff(g, 0)]
}

// setRow writes row r from its llama.cpp bytes src (RowBytes(Cols)).
func (m *QMatrix) setRow(r int, src []byte) { m.rowBytes(r, src, true) }

// getRow writes row r's llama.cpp bytes into dst (RowBytes(Cols)).
func (m *QMatrix) getRow(dst []byte, r int) { m.rowBytes(r, dst, false) }

// rowBytes copies row r between the kernel layout and llama.cpp's
// layout in blk: into the matrix when set, else out of it.
func (m *QMatrix) rowBytes(r int, blk []byte, set bool) {
	mv := func(dst, src []byte) {
		if !set {
			dst, src = src, dst
		}
		copy(dst, src)
	}
	g, i, bb, cb := r/4, r%4, m.DType.BlockBytes(), m.chunkBytes()
	head := bb - m.quantBytes() // the scale's bytes
	for b := range m.Cols / Block {
		src := blk[b*bb : (b+1)*bb]
		if head > 0 {
			so := m.scaleOff(g, b) + 2*i
			mv(m.data[so:so+2], src[:2])
		}
		q := m.quantOff(g, b)
		for c := range m.quantBytes() / cb {
			o := q + (4*c+i)*cb
			mv(m.data[o:o+cb], src[head+c*cb:head+(c+1)*cb])
		}
	}
}

// Row writes row r of m, dequantized, into dst [Cols].
func (m *QMatrix) Row(dst []float32, r int) {
	dst = dst[:m.Cols]
	g, i, cb := r/4, r%4, m.chunkBytes()
	for b := range m.Cols / Block {
		q, ys := m.data[m.quantOff(g, b):], dst[b*Block:(b+1)*Block]
		if m.DType == BF16 {
			for c := range Block / 4 {
				ch := q[(4*c+i)*cb:]
				for j := range 4 {
					ys[4*c+j] = F32FromBF16(binary.LittleEndian.Uint16(ch[2*j:]))
				}
			}
			continue
		}
		d := F32FromF16(binary.LittleEndian.Uint16(m.data[m.scaleOff(g, b)+2*i:]))
		for c := range m.quantBytes() / cb {
			for j, v := range q[(4*c+i)*cb : (4*c+i+1)*cb] {
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

// groupRows writes the rows of group g, dequantized, into dst (up to 4
// rows of Cols: the rows of the group that exist), reading the group's
// stream in order. Each value is the one Row gives.
func (m *QMatrix) groupRows(dst []float32, g int) {
	n, C := len(dst)/m.Cols, m.Cols
	if k := qKernels[m.DType]; k.dequant != nil && n == 4 {
		w, s := m.group(g)
		k.dequant(C/Block, w, s, &dst[0], C)
		return
	}
	q, cb := m.data[m.quantOff(g, 0):m.quantOff(g+1, 0)], m.chunkBytes()
	for b := range C / Block {
		gb := q[b*4*m.quantBytes() : (b+1)*4*m.quantBytes()]
		if m.DType == BF16 {
			for c := range Block / 4 {
				for i := range n {
					ch, ys := gb[(4*c+i)*cb:(4*c+i+1)*cb], dst[i*C+b*Block+4*c:]
					for j := range 4 {
						ys[j] = F32FromBF16(binary.LittleEndian.Uint16(ch[2*j:]))
					}
				}
			}
			continue
		}
		so := m.scaleOff(g, b)
		for i := range n {
			d := F32FromF16(binary.LittleEndian.Uint16(m.data[so+2*i:]))
			ys := dst[i*C+b*Block : i*C+(b+1)*Block]
			for c := range m.quantBytes() / cb {
				ch := gb[(4*c+i)*cb : (4*c+i+1)*cb]
				if m.DType == Q8_0 {
					ys[4*c], ys[4*c+1], ys[4*c+2], ys[4*c+3] = d*float32(int8(ch[0])), d*float32(int8(ch[1])), d*float32(int8(ch[2])), d*float32(int8(ch[3]))
					continue
				}
				for j, v := range ch {
					ys[4*c+j] = d * float32(int(v&15)-8)
					ys[Block/2+4*c+j] = d * float32(int(v>>4)-8)
				}
			}
		}
	}
}
