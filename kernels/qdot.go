package kernels

import (
	"encoding/binary"
	"math"
	"unsafe"
)

// The dot products of quantized weight rows with activation rows. bf16
// rows are dotted with float32 activations. q8_0 and q4_0 rows are dotted
// with activations quantized the same way, as llama.cpp does, so each
// block is an integer dot product scaled once:
//
//	w·x = Σ_blocks d_w d_x Σ_j q_w[j] q_x[j]
//
// An activation block (actBlockBytes) is the float32 scale d_x, the
// int32 sum of its q_x (which the integer kernels use to correct for an
// offset weight encoding) and 32 int8 q_x.

const actBlockBytes = 8 + Block

// qDot computes out[s*ldo+i] = (row i of w) · (row s of x) for i < 4,
// s < 4 (r4x4), i < 4, s = 0 (r4) or i = s = 0 (r1), over nb blocks. w
// rows are ldw bytes apart, x rows ldx bytes apart. Each (row, row) pair
// is computed by the same sequence of operations in all three, so a
// result does not depend on which kernel produced it.
type qDot func(nb int, w *byte, ldw int, x *byte, ldx int, out *float32, ldo int)

// qKernel is the set of dot kernels for one weight dtype.
type qKernel struct {
	name       string
	r1, r4     qDot
	r4x4       qDot
	actsInt8   bool // x is quantized activations (else float32)
	evenBlocks bool // the kernels take an even nb only (two blocks a step)
}

// r1ViaR4 makes an r1 kernel of an r4 one: the four rows it reads are
// the same row (ldw 0), so the one result is computed exactly as r4
// computes each of its four.
func r1ViaR4(r4 qDot) qDot {
	return func(nb int, w *byte, _ int, x *byte, ldx int, out *float32, _ int) {
		var o [4]float32
		r4(nb, w, 0, x, ldx, &o[0], 1)
		*out = o[0]
	}
}

// r4x4ViaR4 makes an r4x4 kernel of four r4 calls, for instruction sets
// with too few registers to hold sixteen accumulators.
func r4x4ViaR4(r4 qDot) qDot {
	return func(nb int, w *byte, ldw int, x *byte, ldx int, out *float32, ldo int) {
		for s := range 4 {
			r4(nb, w, ldw, (*byte)(unsafe.Add(unsafe.Pointer(x), s*ldx)), ldx,
				(*float32)(unsafe.Add(unsafe.Pointer(out), 4*s*ldo)), ldo)
		}
	}
}

// quantizeActs writes x [cols] as activation blocks into dst
// (cols/Block*actBlockBytes): d = max|x|/127 kept in float32, q =
// round(x/d).
func quantizeActs(dst []byte, x []float32) {
	for b := 0; b < len(x)/Block; b++ {
		blk, xs := dst[b*actBlockBytes:(b+1)*actBlockBytes], x[b*Block:(b+1)*Block]
		d, id := scale127(xs)
		var sum int32
		for j, v := range xs {
			q := int8(math.Round(float64(v * id)))
			blk[8+j] = byte(q)
			sum += int32(q)
		}
		binary.LittleEndian.PutUint32(blk, math.Float32bits(d))
		binary.LittleEndian.PutUint32(blk[4:], uint32(sum))
	}
}

// roundActs writes into dst the values x [cols] takes as activation
// blocks: d·q for each element, with quantizeActs's d and q.
func roundActs(dst, x []float32) {
	for b := 0; b < len(x)/Block; b++ {
		xs, ds := x[b*Block:(b+1)*Block], dst[b*Block:(b+1)*Block]
		d, id := scale127(xs)
		for j, v := range xs {
			ds[j] = d * float32(int8(math.Round(float64(v*id))))
		}
	}
}

// Reference kernels: one (row, row) dot product at a time.

func dotBF16Go(nb int, w, x []byte) float32 {
	var acc float32
	for j := range nb * Block {
		acc += F32FromBF16(binary.LittleEndian.Uint16(w[2*j:])) * math.Float32frombits(binary.LittleEndian.Uint32(x[4*j:]))
	}
	return acc
}

func dotQ8_0Go(nb int, w, x []byte) float32 {
	var acc float32
	for b := range nb {
		wb, xb := w[b*34:], x[b*actBlockBytes:]
		var s int32
		for j := range Block {
			s += int32(int8(wb[2+j])) * int32(int8(xb[8+j]))
		}
		acc += F32FromF16(binary.LittleEndian.Uint16(wb)) * math.Float32frombits(binary.LittleEndian.Uint32(xb)) * float32(s)
	}
	return acc
}

func dotQ4_0Go(nb int, w, x []byte) float32 {
	var acc float32
	for b := range nb {
		wb, xb := w[b*18:], x[b*actBlockBytes:]
		var s int32
		for j := range Block / 2 {
			s += (int32(wb[2+j]&15) - 8) * int32(int8(xb[8+j]))
			s += (int32(wb[2+j]>>4) - 8) * int32(int8(xb[8+Block/2+j]))
		}
		acc += F32FromF16(binary.LittleEndian.Uint16(wb)) * math.Float32frombits(binary.LittleEndian.Uint32(xb)) * float32(s)
	}
	return acc
}

// goDots makes the three qDot kernels of a reference pair dot product.
func goDots(dt DType, xBlockBytes int, dot func(nb int, w, x []byte) float32) (r1, r4, r4x4 qDot) {
	grid := func(rows, xrows int) qDot {
		return func(nb int, w *byte, ldw int, x *byte, ldx int, out *float32, ldo int) {
			ws := unsafe.Slice(w, (rows-1)*ldw+nb*dt.BlockBytes())
			xs := unsafe.Slice(x, (xrows-1)*ldx+nb*xBlockBytes)
			os := unsafe.Slice(out, (xrows-1)*ldo+rows)
			for s := range xrows {
				for i := range rows {
					os[s*ldo+i] = dot(nb, ws[i*ldw:], xs[s*ldx:])
				}
			}
		}
	}
	return grid(1, 1), grid(4, 1), grid(4, 4)
}

var qKernelsGo = func() map[DType]*qKernel {
	ks := map[DType]*qKernel{}
	add := func(dt DType, xbb int, acts bool, dot func(nb int, w, x []byte) float32) {
		r1, r4, r4x4 := goDots(dt, xbb, dot)
		ks[dt] = &qKernel{name: "go", r1: r1, r4: r4, r4x4: r4x4, actsInt8: acts}
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

// qKernelFor returns the kernel set QMatmul uses for rows of nb blocks of
// dt: the fastest, or the Go reference where the fastest cannot take nb.
func qKernelFor(dt DType, nb int) *qKernel {
	if k := qKernels[dt]; !k.evenBlocks || nb%2 == 0 {
		return k
	}
	return qKernelsGo[dt]
}
