package kernels

import (
	"fmt"
	"strings"
)

// DType is the form a weight matrix is kept in. F32 is the training
// form; the others are for inference and read fewer bytes per weight:
//
//	dtype  bytes per 32 weights  layout of one block of 32 along a row
//	f32    128                   32 float32
//	bf16    64                   32 bfloat16 (the top half of a float32)
//	q8_0    34                   fp16 scale d, 32 int8 q; w = d*q
//	q4_0    18                   fp16 scale d, 16 bytes of 4-bit q; w = d*(q-8)
//
// q8_0 and q4_0 are llama.cpp's formats, byte for byte: in a q4_0 block
// byte j holds weight j in its low nibble and weight j+16 in its high one.
type DType uint8

const (
	F32 DType = iota
	BF16
	Q8_0
	Q4_0
)

// DTypes lists every dtype, in the order of the constants.
var DTypes = []DType{F32, BF16, Q8_0, Q4_0}

var dtypeNames = [...]string{F32: "f32", BF16: "bf16", Q8_0: "q8_0", Q4_0: "q4_0"}

func (d DType) String() string {
	if int(d) < len(dtypeNames) {
		return dtypeNames[d]
	}
	return fmt.Sprintf("dtype(%d)", uint8(d))
}

// ParseDType reads a dtype name: f32 (also fp32, float32), bf16, q8_0,
// q4_0.
func ParseDType(s string) (DType, error) {
	switch strings.ToLower(s) {
	case "f32", "fp32", "float32":
		return F32, nil
	case "bf16":
		return BF16, nil
	case "q8_0":
		return Q8_0, nil
	case "q4_0":
		return Q4_0, nil
	}
	return 0, fmt.Errorf("unknown dtype %q (want f32, bf16, q8_0 or q4_0)", s)
}

// Block is the number of weights of a row that share one scale in q8_0
// and q4_0; every dtype but f32 needs rows that are whole blocks.
const Block = 32

// BlockBytes is the size of Block weights of dtype d.
func (d DType) BlockBytes() int {
	switch d {
	case F32:
		return 4 * Block
	case BF16:
		return 2 * Block
	case Q8_0:
		return 2 + Block
	case Q4_0:
		return 2 + Block/2
	}
	panic("kernels: " + d.String())
}

// RowBytes is the size of a row of cols weights of dtype d (cols a
// multiple of Block).
func (d DType) RowBytes(cols int) int { return cols / Block * d.BlockBytes() }
