package kernels

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// Every half that is not a NaN survives the trip through float32, and
// rounding a float32 picks the nearest half, ties to even.
func TestF16RoundTripAndRounding(t *testing.T) {
	for h := range 1 << 16 {
		x := F32FromF16(uint16(h))
		if x != x {
			continue
		}
		if got := F16FromF32(x); got != uint16(h) {
			t.Fatalf("half %#04x -> %g -> %#04x", h, x, got)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		x := float32(math.Ldexp(rng.Float64()*2-1, rng.IntN(40)-28))
		checkNearest(t, "f16", x, F16FromF32(x), F32FromF16)
	}
	for h := uint16(0x0001); h < 0x7bff; h += 97 { // exact midpoints: ties go to even
		lo, hi := float64(F32FromF16(h)), float64(F32FromF16(h+1))
		want := h
		if h&1 == 1 {
			want = h + 1
		}
		if got := F16FromF32(float32((lo + hi) / 2)); got != want {
			t.Fatalf("midpoint of %#04x and %#04x -> %#04x, want %#04x", h, h+1, got, want)
		}
	}
}

func TestBF16Rounding(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200000 {
		x := float32(math.Ldexp(rng.Float64()*2-1, rng.IntN(200)-100))
		checkNearest(t, "bf16", x, BF16FromF32(x), F32FromBF16)
	}
	if got := BF16FromF32(math.Float32frombits(0x3f808000)); got != 0x3f80 { // tie, even below
		t.Fatalf("tie rounded to %#04x", got)
	}
	if got := BF16FromF32(math.Float32frombits(0x3f818000)); got != 0x3f82 { // tie, even above
		t.Fatalf("tie rounded to %#04x", got)
	}
}

// checkNearest fails unless h is a nearest 16-bit value to x, and the
// even one on a tie.
func checkNearest(t *testing.T, name string, x float32, h uint16, back func(uint16) float32) {
	t.Helper()
	e := math.Abs(float64(back(h)) - float64(x))
	for _, n := range []uint16{h - 1, h + 1} {
		v := back(n)
		if v != v || math.IsInf(float64(v), 0) || (n^h)&0x8000 != 0 {
			continue
		}
		en := math.Abs(float64(v) - float64(x))
		if en < e || (en == e && h&1 == 1) {
			t.Fatalf("%s(%g) = %#04x (%g), but %#04x (%g) is nearer or even", name, x, h, back(h), n, v)
		}
	}
}

// randRows returns rows*cols values of mixed scale, with a few outliers,
// as trained weights have.
func randRows(rng *rand.Rand, rows, cols int) []float32 {
	x := make([]float32, rows*cols)
	for i := range x {
		x[i] = float32(rng.NormFloat64() * 0.05)
		if rng.IntN(100) == 0 {
			x[i] *= 20
		}
	}
	return x
}

// Quantizing then dequantizing errs by at most half a step per block
// (q4_0: a whole step at the clamped end), plus the fp16 rounding of the
// scale.
func TestQuantizeRoundTripBounds(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const rows, cols = 37, 96
	src := randRows(rng, rows, cols)
	src[5] = 0 // and a block of zeros
	for k := range 32 {
		src[cols+k] = 0
	}
	for _, dt := range []DType{BF16, Q8_0, Q4_0} {
		m, err := Quantize(dt, src, rows, cols)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := len(m.Canonical()), rows*cols/Block*dt.BlockBytes(); got != want {
			t.Fatalf("%v: %d bytes, want %d", dt, got, want)
		}
		if got, want := m.Bytes(), (rows+3)/4*4*cols/Block*dt.BlockBytes(); got != want {
			t.Fatalf("%v: %d bytes in memory, want %d", dt, got, want)
		}
		row := make([]float32, cols)
		for r := range rows {
			m.Row(row, r)
			for b := 0; b < cols; b += Block {
				x := src[r*cols+b : r*cols+b+Block]
				var amax float64
				for _, v := range x {
					amax = math.Max(amax, math.Abs(float64(v)))
				}
				for j, v := range x {
					got, want := float64(row[b+j]), float64(v)
					var bound float64
					switch dt {
					case BF16:
						bound = math.Abs(want) / 256
					case Q8_0:
						bound = amax/127*0.5 + amax*(1.0/1024)
					case Q4_0:
						bound = amax/8*1.0 + amax*(1.0/1024)
					}
					if math.Abs(got-want) > bound {
						t.Fatalf("%v row %d col %d: %g became %g (bound %g)", dt, r, b+j, want, got, bound)
					}
				}
			}
		}
	}
}

// The bytes are llama.cpp's: scale first, then the values.
func TestQuantizeBlockLayout(t *testing.T) {
	x := make([]float32, Block)
	for j := range x {
		x[j] = float32(j - 16) // -16 .. 15
	}
	q8m, _ := Quantize(Q8_0, x, 1, Block)
	q8 := struct{ Data []byte }{q8m.Canonical()}
	if d := F32FromF16(uint16(q8.Data[0]) | uint16(q8.Data[1])<<8); math.Abs(float64(d)-16.0/127) > 1e-4 {
		t.Fatalf("q8_0 scale %g, want 16/127", d)
	}
	// q = round(x*127/16): -16 -> -127, 8 -> 63.5 -> 64 (away from zero), 0 -> 0.
	for j, want := range map[int]int8{0: -127, 24: 64, 16: 0, 31: 119} {
		if got := int8(q8.Data[2+j]); got != want {
			t.Fatalf("q8_0 q[%d] = %d, want %d", j, got, want)
		}
	}
	q4m, _ := Quantize(Q4_0, x, 1, Block)
	q4 := struct{ Data []byte }{q4m.Canonical()}
	if d := F32FromF16(uint16(q4.Data[0]) | uint16(q4.Data[1])<<8); d != 2 { // -16 / -8
		t.Fatalf("q4_0 scale %g, want 2", d)
	}
	// x[0] = -16 -> q 0 (low nibble of byte 0); x[16] = 0 -> q 8 (its high nibble);
	// x[31] = 15 -> 7.5+8.5 = 16 clamped to 15 (high nibble of byte 15).
	if q4.Data[2] != 0x80 || q4.Data[2+15]>>4 != 15 {
		t.Fatalf("q4_0 bytes %x", q4.Data[2:])
	}
}

func TestQuantizeTIsTranspose(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const in, out = 64, 5
	w := randRows(rng, in, out) // [in, out]
	wt := make([]float32, out*in)
	for k := range in {
		for o := range out {
			wt[o*in+k] = w[k*out+o]
		}
	}
	for _, dt := range []DType{BF16, Q8_0, Q4_0} {
		a, _ := QuantizeT(dt, w, out, in)
		b, _ := Quantize(dt, wt, out, in)
		if string(a.data) != string(b.data) {
			t.Fatalf("%v: QuantizeT differs from Quantize of the transpose", dt)
		}
	}
}

// NewQMatrix of Canonical is the same matrix, byte for byte, in every
// dtype and for row counts that are not a multiple of four.
func TestQMatrixCanonicalRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, dt := range []DType{BF16, Q8_0, Q4_0} {
		for _, rows := range []int{1, 4, 7, 13} {
			m, _ := Quantize(dt, randRows(rng, rows, 96), rows, 96)
			c := m.Canonical()
			back, err := NewQMatrix(dt, rows, 96, c)
			if err != nil {
				t.Fatal(err)
			}
			if string(back.data) != string(m.data) || string(back.Canonical()) != string(c) {
				t.Fatalf("%v, %d rows: the canonical bytes do not round-trip", dt, rows)
			}
			// Row r of the canonical bytes dequantizes as the matrix's row r.
			st := dt.RowBytes(96)
			one, _ := NewQMatrix(dt, 1, 96, c[(rows-1)*st:])
			a, b := make([]float32, 96), make([]float32, 96)
			one.Row(a, 0)
			m.Row(b, rows-1)
			if !slices.Equal(a, b) {
				t.Fatalf("%v: row %d differs from its canonical bytes", dt, rows-1)
			}
			// groupRows gives every group's rows as Row does.
			for g := range (rows + 3) / 4 {
				n := min(4, rows-4*g)
				got := make([]float32, n*96)
				m.groupRows(got, g)
				for i := range n {
					m.Row(b, 4*g+i)
					if !slices.Equal(got[i*96:(i+1)*96], b) {
						t.Fatalf("%v: groupRows row %d differs from Row", dt, 4*g+i)
					}
				}
			}
		}
	}
}

// round127 is C's roundf (halves away from zero) wherever activations
// land, |v| <= 127: on a sample of every float32 there and on each
// neighbourhood of a half.
func TestRound127(t *testing.T) {
	check := func(v float32) {
		for _, x := range []float32{v, -v} {
			if got, want := round127(x, 1), int8(math.Round(float64(x))); got != want {
				t.Fatalf("round127(%v) = %d, want %d", x, got, want)
			}
		}
	}
	for bits := uint32(0); bits < math.Float32bits(127.5); bits += 4099 {
		check(math.Float32frombits(bits))
	}
	for k := 0; k <= 127; k++ {
		h := math.Float32bits(float32(k) + 0.5)
		for b := h - 3; b <= h+3; b++ {
			check(math.Float32frombits(b))
		}
	}
}

func TestNewQMatrixChecks(t *testing.T) {
	if _, err := NewQMatrix(Q8_0, 2, 33, make([]byte, 100)); err == nil {
		t.Fatal("33 columns accepted")
	}
	if _, err := NewQMatrix(Q4_0, 2, 32, make([]byte, 35)); err == nil {
		t.Fatal("wrong byte count accepted")
	}
	if _, err := NewQMatrix(F32, 2, 32, make([]byte, 256)); err == nil {
		t.Fatal("f32 accepted")
	}
	for _, dt := range DTypes {
		if got, err := ParseDType(dt.String()); err != nil || got != dt {
			t.Fatalf("ParseDType(%q) = %v, %v", dt.String(), got, err)
		}
	}
	if _, err := ParseDType("q5_1"); err == nil {
		t.Fatal("q5_1 accepted")
	}
}
