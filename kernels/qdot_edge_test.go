package kernels

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// qdotEdgeRows returns 4 weight rows of nb blocks of dt with the extreme
// encodings the quantizers rarely or never write: q8_0 -128 and 127, q4_0
// nibbles 0 and 15, fp16 scales that are subnormal or near the top of the
// range; bf16 values of both signs over a wide range of exponents.
func qdotEdgeRows(rng *rand.Rand, dt DType, nb int) []byte {
	bb := dt.BlockBytes()
	w := make([]byte, 4*nb*bb)
	scales := []uint16{0x0001, 0x03ff, 0x0400, 0x3c00, 0xbc00, 0x7bff, 0x1234, 0x8001}
	for b := range 4 * nb {
		blk := w[b*bb : (b+1)*bb]
		switch dt {
		case BF16:
			for j := range Block {
				v := float32(math.Ldexp(rng.Float64()+0.5, rng.IntN(40)-20))
				if rng.IntN(2) == 0 {
					v = -v
				}
				binary.LittleEndian.PutUint16(blk[2*j:], BF16FromF32(v))
			}
			continue
		case Q8_0:
			for j := range Block {
				blk[2+j] = byte([]int8{-128, 127, -127, 0, int8(rng.IntN(256) - 128)}[rng.IntN(5)])
			}
		case Q4_0:
			for j := range Block / 2 {
				lo, hi := []byte{0, 15, byte(rng.IntN(16))}[rng.IntN(3)], []byte{0, 15, byte(rng.IntN(16))}[rng.IntN(3)]
				blk[2+j] = lo | hi<<4
			}
		}
		binary.LittleEndian.PutUint16(blk, scales[rng.IntN(len(scales))])
	}
	return w
}

// qdotEdgeActs returns one activation row of nb blocks as the kernels of
// set k read it, with q_x at ±127 where the rows are extreme, and the
// values it stands for.
func qdotEdgeActs(rng *rand.Rand, k *qKernel, nb int) ([]byte, []float64) {
	vals := make([]float64, nb*Block)
	if !k.actsInt8 {
		x := make([]byte, 4*nb*Block)
		for j := range nb * Block {
			v := float32(math.Ldexp(rng.Float64()+0.5, rng.IntN(40)-20))
			if rng.IntN(2) == 0 {
				v = -v
			}
			binary.LittleEndian.PutUint32(x[4*j:], math.Float32bits(v))
			vals[j] = float64(v)
		}
		return x, vals
	}
	x := make([]byte, nb*actBlockBytes)
	for b := range nb {
		blk := x[b*actBlockBytes:]
		d := float32(math.Ldexp(rng.Float64()+0.5, rng.IntN(20)-10))
		var sum int32
		for j := range Block {
			q := []int8{127, -127, int8(rng.IntN(255) - 127)}[rng.IntN(3)]
			for i := range 4 {
				blk[(j/4)*16+4*i+j%4] = byte(q)
			}
			sum += int32(q)
			vals[b*Block+j] = float64(d) * float64(q)
		}
		binary.LittleEndian.PutUint32(blk[4*Block:], math.Float32bits(d))
		binary.LittleEndian.PutUint32(blk[4*Block+4:], uint32(k.corr*sum))
	}
	return x, vals
}

// Every kernel set's r4 matches the Go reference on extreme blocks, to
// float32 rounding, for one to a few blocks.
func TestQDotEdgeBlocks(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, dt := range []DType{BF16, Q8_0, Q4_0} {
		for _, k := range qKernelSets[dt] {
			for _, nb := range []int{1, 2, 3, 8, 24} {
				name := fmt.Sprintf("%v/%s/nb%d", dt, k.name, nb)
				m, err := NewQMatrix(dt, 4, nb*Block, qdotEdgeRows(rng, dt, nb))
				if err != nil {
					t.Fatal(err)
				}
				x, vals := qdotEdgeActs(rng, k, nb)
				wp, sp := m.group(0)
				out, want := [5]float32{1, 2, 3, 4, 5}, [4]float32{}
				k.r4(nb, wp, sp, &x[0], len(x), &out[0], 1)
				qKernelsGo[dt].r4(nb, wp, sp, &x[0], len(x), &want[0], 1) // the reference reads no correction
				if out[4] != 5 {
					t.Fatalf("%s: wrote past the four outputs", name)
				}
				row := make([]float32, nb*Block)
				for i := range 4 {
					m.Row(row, i)
					var scale float64
					for j, v := range row {
						scale += math.Abs(float64(v) * vals[j])
					}
					if e := math.Abs(float64(out[i]) - float64(want[i])); e > 1e-5*scale {
						t.Fatalf("%s: row %d: %g, want %g (error %.2g of scale %.2g)", name, i, out[i], want[i], e, scale)
					}
				}
			}
		}
	}
}
