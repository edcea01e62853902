package kernels

import (
	"encoding/binary"
	"math"
	"unsafe"
)

// The dot products of quantized weight rows with activation rows, four
// weight rows (a group of the kernel layout, qlayout.go) at a time. bf16
// rows are dotted with float32 activations. q8_0 and q4_0 rows are dotted
// with activations quantized the same way, as llama.cpp does, so each
// block is an integer dot product scaled once:
//
//	w·x = Σ_blocks d_w d_x Σ_j q_w[j] q_x[j]
//
// An activation block (actBlockBytes) is laid out for the group layout:
// its 32 int8 q_x as 8 chunks of 4, each chunk repeated four times (one
// per weight row of a group: 128 bytes, chunk c at 16c), then the float32
// scale d_x and the int32 c·Σq_x, where c is the kernel set's offset
// correction (qKernel.corr): the value the integer kernels start each
// int32 lane at to take out an offset weight encoding.

const actBlockBytes = 4*Block + 8

// qDot computes out[s*ldo+i] = (row i of the group at w, s) · (row s of
// x) for i < 4, s < 4 (r4x4) or i < 4, s = 0 (r4), over nb blocks: w is
// the group's values and s its scales (unused for bf16). x rows are ldx
// bytes apart.
// Each (row, row) pair is computed by the same sequence of operations in
// both, so a result does not depend on which kernel produced it.
type qDot func(nb int, w, s *byte, x *byte, ldx int, out *float32, ldo int)

// qKernel is the set of dot kernels for one weight dtype.
type qKernel struct {
	name     string
	r4, r4x4 qDot
	actsInt8 bool  // x is quantized activations (else float32)
	corr     int32 // the activation blocks hold corr·Σq_x
	// r4g, if set, is r4 for four groups at once, gst bytes apart (their
	// scales sst apart), writing group k's outputs at out + k*ost: four
	// memory streams for one sequence's decoding.
	r4g func(nb int, w, s *byte, gst, sst int, x *byte, out *float32, ost int)
	// dequant, if set, writes the 4 rows of a group (nb blocks at q,
	// scales s) to dst + i*ldd, as QMatrix.Row would.
	dequant func(nb int, q, s *byte, dst *float32, ldd int)
}

// r4x4ViaR4 makes an r4x4 kernel of four r4 calls, for instruction sets
// with too few registers to hold four rows' accumulators.
func r4x4ViaR4(r4 qDot) qDot {
	return func(nb int, w, s *byte, x *byte, ldx int, out *float32, ldo int) {
		for r := range 4 {
			r4(nb, w, s, (*byte)(unsafe.Add(unsafe.Pointer(x), r*ldx)), ldx,
				(*float32)(unsafe.Add(unsafe.Pointer(out), 4*r*ldo)), ldo)
		}
	}
}

// quantizeActs writes x [cols] as activation blocks into dst
// (cols/Block*actBlockBytes): d = max|x|/127 kept in float32, q =
// round(x/d), and corr·Σq.
func quantizeActs(dst []byte, x []float32, corr int32) {
	for b := 0; b < len(x)/Block; b++ {
		blk, xs := dst[b*actBlockBytes:(b+1)*actBlockBytes], (*[Block]float32)(x[b*Block:])
		d, id := scale127(xs[:])
		var sum int32
		for c := range Block / 4 {
			q0, q1, q2, q3 := round127(xs[4*c], id), round127(xs[4*c+1], id), round127(xs[4*c+2], id), round127(xs[4*c+3], id)
			sum += int32(q0) + int32(q1) + int32(q2) + int32(q3)
			chunk := uint64(uint8(q0)) | uint64(uint8(q1))<<8 | uint64(uint8(q2))<<16 | uint64(uint8(q3))<<24
			chunk |= chunk << 32
			binary.LittleEndian.PutUint64(blk[16*c:], chunk)
			binary.LittleEndian.PutUint64(blk[16*c+8:], chunk)
		}
		binary.LittleEndian.PutUint32(blk[4*Block:], math.Float32bits(d))
		binary.LittleEndian.PutUint32(blk[4*Block+4:], uint32(corr*sum))
	}
}

// round127 is v's int8 step count, round(v·id) with halves away from
// zero (as C's roundf); |v·id| <= 127 by the choice of id. v·id ± 0.5 is
// exact in float64, so truncating it gives roundf.
func round127(v, id float32) int8 {
	f := float64(v * id)
	half := math.Float64frombits(math.Float64bits(f)&(1<<63) | 0x3fe0000000000000) // ±0.5 with f's sign
	return int8(int32(f + half))
}

// roundActs writes into dst the values x [cols] takes as activation
// blocks: d·q for each element, with quantizeActs's d and q.
func roundActs(dst, x []float32) {
	for b := 0; b < len(x)/Block; b++ {
		xs, ds := x[b*Block:(b+1)*Block], dst[b*Block:(b+1)*Block]
		d, id := scale127(xs)
		for j, v := range xs {
			ds[j] = d * float32(round127(v, id))
		}
	}
}

// Reference kernels: one (weight row i of a group, activation row) dot
// product at a time, reading the layouts directly.

func dotBF16Go(nb int, w, _, x []byte, i int) float32 {
	var acc float32
	for k := range nb * Block {
		acc += F32FromBF16(binary.LittleEndian.Uint16(w[((k/4)*4+i)*8+2*(k%4):])) * math.Float32frombits(binary.LittleEndian.Uint32(x[4*k:]))
	}
	return acc
}

func dotQ8_0Go(nb int, w, s, x []byte, i int) float32 {
	var acc float32
	for b := range nb {
		wb, xb := w[b*4*Block:], x[b*actBlockBytes:]
		var sum int32
		for k := range Block {
			c, j := k/4, k%4
			sum += int32(int8(wb[(4*c+i)*4+j])) * int32(int8(xb[16*c+j]))
		}
		acc += actScale(s, xb, b, i) * float32(sum)
	}
	return acc
}

func dotQ4_0Go(nb int, w, s, x []byte, i int) float32 {
	var acc float32
	for b := range nb {
		wb, xb := w[b*2*Block:], x[b*actBlockBytes:]
		var sum int32
		for k := range Block / 2 {
			c, j := k/4, k%4
			v := wb[(4*c+i)*4+j]
			sum += (int32(v&15) - 8) * int32(int8(xb[16*c+j]))
			sum += (int32(v>>4) - 8) * int32(int8(xb[16*(c+4)+j]))
		}
		acc += actScale(s, xb, b, i) * float32(sum)
	}
	return acc
}

// actScale is d_w d_x for row i of block b: s the group's scales, xb the
// activation block.
func actScale(s, xb []byte, b, i int) float32 {
	return F32FromF16(binary.LittleEndian.Uint16(s[8*b+2*i:])) * math.Float32frombits(binary.LittleEndian.Uint32(xb[4*Block:]))
}

type refDot func(nb int, w, s, x []byte, i int) float32

// goDots makes the two qDot kernels of a reference dot product.
func goDots(dt DType, xBlockBytes int, dot refDot) (r4, r4x4 qDot) {
	grid := func(xrows int) qDot {
		return func(nb int, w, s *byte, x *byte, ldx int, out *float32, ldo int) {
			wn, sn := nb*4*(dt.BlockBytes()-2), nb*8
			if dt == BF16 {
				wn, sn = nb*4*dt.BlockBytes(), 1
			}
			ws, ss := unsafe.Slice(w, wn), unsafe.Slice(s, sn)
			xs := unsafe.Slice(x, (xrows-1)*ldx+nb*xBlockBytes)
			os := unsafe.Slice(out, (xrows-1)*ldo+4)
			for r := range xrows {
				for i := range 4 {
					os[r*ldo+i] = dot(nb, ws, ss, xs[r*ldx:], i)
				}
			}
		}
	}
	return grid(1), grid(4)
}

var qKernelsGo = func() map[DType]*qKernel {
	ks := map[DType]*qKernel{}
	add := func(dt DType, xbb int, acts bool, dot refDot) {
		r4, r4x4 := goDots(dt, xbb, dot)
		ks[dt] = &qKernel{name: "go", r4: r4, r4x4: r4x4, actsInt8: acts}
	}
	add(BF16, 4*Block, false, dotBF16Go)
	add(Q8_0, actBlockBytes, true, dotQ8_0Go)
	add(Q4_0, actBlockBytes, true, dotQ4_0Go)
	return ks
}()

// qKernelSets lists, per dtype, every kernel set this CPU runs, slowest
// first (the tests check them all); qKernels holds the last of each, the
// one QMatmul uses. Assembly files add theirs with addQKernel in init.
var (
	qKernelSets = map[DType][]*qKernel{}
	qKernels    = map[DType]*qKernel{}
)

func init() {
	for _, dt := range []DType{BF16, Q8_0, Q4_0} {
		addQKernel(dt, qKernelsGo[dt])
	}
}

// addQKernel makes k the kernel set for dt.
func addQKernel(dt DType, k *qKernel) {
	qKernelSets[dt] = append(qKernelSets[dt], k)
	qKernels[dt] = k
}
