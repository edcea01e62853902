package checkpoints

import (
	"encoding/binary"
	"math"
)

// ShuffleChunk is the number of elements per byte-shuffled chunk.
const ShuffleChunk = 1 << 16

// BF16 returns the bfloat16 nearest to f (round to nearest, ties to even).
// NaNs stay NaNs.
func BF16(f float32) uint16 {
	b := math.Float32bits(f)
	if b&0x7fffffff > 0x7f800000 {
		return uint16(b>>16) | 0x40 // quiet NaN, sign kept
	}
	b += 0x7fff + (b>>16)&1
	return uint16(b >> 16)
}

// FromBF16 returns the float32 value of a bfloat16.
func FromBF16(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// encodeF32 writes src into dst (4*len(src) bytes), as planes if shuffle.
func encodeF32(dst []byte, src []float32, shuffle bool) {
	n := len(src)
	if !shuffle {
		for i, v := range src {
			binary.LittleEndian.PutUint32(dst[4*i:], math.Float32bits(v))
		}
		return
	}
	p0, p1, p2, p3 := dst[:n], dst[n:2*n], dst[2*n:3*n], dst[3*n:4*n]
	for i, v := range src {
		u := math.Float32bits(v)
		p0[i], p1[i], p2[i], p3[i] = byte(u), byte(u>>8), byte(u>>16), byte(u>>24)
	}
}

// decodeF32 is the inverse of encodeF32.
func decodeF32(dst []float32, src []byte, shuffle bool) {
	n := len(dst)
	if !shuffle {
		for i := range dst {
			dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
		}
		return
	}
	p0, p1, p2, p3 := src[:n], src[n:2*n], src[2*n:3*n], src[3*n:4*n]
	for i := range dst {
		dst[i] = math.Float32frombits(uint32(p0[i]) | uint32(p1[i])<<8 | uint32(p2[i])<<16 | uint32(p3[i])<<24)
	}
}

// encodeBF16 writes src rounded to bfloat16 into dst (2*len(src) bytes).
func encodeBF16(dst []byte, src []float32, shuffle bool) {
	n := len(src)
	if !shuffle {
		for i, v := range src {
			binary.LittleEndian.PutUint16(dst[2*i:], BF16(v))
		}
		return
	}
	p0, p1 := dst[:n], dst[n:2*n]
	for i, v := range src {
		h := BF16(v)
		p0[i], p1[i] = byte(h), byte(h>>8)
	}
}

// decodeBF16 is the inverse of encodeBF16 (widening to float32).
func decodeBF16(dst []float32, src []byte, shuffle bool) {
	n := len(dst)
	if !shuffle {
		for i := range dst {
			dst[i] = FromBF16(binary.LittleEndian.Uint16(src[2*i:]))
		}
		return
	}
	p0, p1 := src[:n], src[n:2*n]
	for i := range dst {
		dst[i] = FromBF16(uint16(p0[i]) | uint16(p1[i])<<8)
	}
}
