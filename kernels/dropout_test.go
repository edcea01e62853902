package kernels

import (
	"fmt"
	"math"
	"testing"
)

func TestDropoutRate(t *testing.T) {
	// The share kept is 1-P within 5 standard deviations of a binomial,
	// for several rates and keys, and kept elements are scaled by 1/(1-P).
	const n = 200_000
	inp := make([]float32, n)
	for i := range inp {
		inp[i] = 1 + float32(i%7)
	}
	out := make([]float32, n)
	for _, p := range []float32{0.05, 0.1, 0.2, 0.5, 0.9} {
		for _, key := range []uint64{0, 1, 0xdeadbeef} {
			d := Dropout{P: p, Key: key}
			d.Apply(out, inp, 0, n)
			kept := 0
			for i, v := range out {
				switch {
				case v == 0:
				case v == inp[i]*d.Scale():
					kept++
				default:
					t.Fatalf("p=%g key=%d: out[%d] = %g, want 0 or %g", p, key, i, v, inp[i]*d.Scale())
				}
				if (v != 0) != d.Keep(uint64(i)) {
					t.Fatalf("p=%g: Apply and Keep disagree at %d", p, i)
				}
			}
			want := float64(n) * float64(1-p)
			sd := math.Sqrt(float64(n) * float64(p) * float64(1-p))
			if math.Abs(float64(kept)-want) > 5*sd {
				t.Errorf("p=%g key=%d: kept %d of %d, want %.0f ± %.0f", p, key, kept, n, want, 5*sd)
			}
		}
	}
}

func TestDropoutIndependentOfSplit(t *testing.T) {
	// A tensor processed in pieces at their offsets gets the mask it gets
	// whole; in place equals out of place.
	const n = 1000
	inp := make([]float32, n)
	for i := range inp {
		inp[i] = float32(i) - 400
	}
	d := Dropout{P: 0.3, Key: 42}
	whole := make([]float32, n)
	d.Apply(whole, inp, 0, n)
	pieces := append([]float32(nil), inp...)
	for lo := 0; lo < n; lo += 137 {
		hi := min(lo+137, n)
		d.Apply(pieces[lo:hi], pieces[lo:hi], lo, hi-lo)
	}
	for i := range whole {
		if math.Float32bits(whole[i]) != math.Float32bits(pieces[i]) {
			t.Fatalf("element %d: %g whole, %g in pieces", i, whole[i], pieces[i])
		}
	}
}

func TestDropoutMasksDiffer(t *testing.T) {
	// Different keys, and a key's sub-layers, draw masks that agree about
	// as often as independent ones would: P² + (1-P)² of the elements.
	const n, p = 100_000, 0.5
	base := Dropout{P: p, Key: 7}
	others := []Dropout{{P: p, Key: 8}, base.Sub(0), base.Sub(1), base.Sub(0).Sub(0)}
	for k, o := range others {
		same := 0
		for i := range uint64(n) {
			if base.Keep(i) == o.Keep(i) {
				same++
			}
		}
		want := n * (p*p + (1-p)*(1-p))
		if sd := math.Sqrt(n * 0.25); math.Abs(float64(same)-want) > 5*sd {
			t.Errorf("mask %d agrees with the base on %d of %d elements, want %.0f ± %.0f", k, same, n, want, 5*sd)
		}
	}
	if base.Sub(3) != base.Sub(3) || base.Sub(3) == base.Sub(4) {
		t.Fatal("Sub is not a function of its argument")
	}
}

func TestDropoutOff(t *testing.T) {
	inp := []float32{1, -2, 3}
	out := make([]float32, 3)
	d := Dropout{}
	d.Apply(out, inp, 5, 3)
	if d.Active() || out[0] != 1 || out[1] != -2 || out[2] != 3 {
		t.Fatalf("P=0 changed its input: %v", out)
	}
}

// BenchmarkDropout times the routine in use (AVX-512 where the CPU has
// it) and the Go reference on 65,536 values.
func BenchmarkDropout(b *testing.B) {
	for _, impl := range []struct {
		name string
		f    func(out, inp []float32, key, first, th uint64, s float32)
	}{{"impl", dropoutImpl}, {"go", dropoutGo}} {
		for _, p := range []float32{0.1, 0.3} {
			b.Run(fmt.Sprintf("%s/p=%g", impl.name, p), func(b *testing.B) {
				x := make([]float32, 1<<16)
				d := Dropout{P: p, Key: 3}
				b.SetBytes(int64(4 * len(x)))
				for b.Loop() {
					impl.f(x, x, d.Key, 0, d.threshold(), d.Scale())
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(x)), "ns/value")
			})
		}
	}
}

// The routine in use (AVX-512 where the CPU has it) gives dropoutGo's bits
// for every length (whole vectors and masked tails), offset, rate and
// input, NaN, Inf and -0 included.
func TestDropoutMatchesReference(t *testing.T) {
	inp := make([]float32, 1031)
	for i := range inp {
		inp[i] = float32(i%13) - 6.5 + float32(i)*1e-3
	}
	inp[3], inp[10], inp[17], inp[20] = float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.Copysign(0, -1))
	got, want := make([]float32, len(inp)), make([]float32, len(inp))
	for _, p := range []float32{1e-9, 0.1, 0.5, 0.999} {
		d := Dropout{P: p, Key: 0x123456789}
		for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 100, 1031} {
			for _, off := range []int{0, 1, 1 << 40} {
				for i := range got {
					got[i] = 42 // nothing past n may be written
				}
				dropoutImpl(got[:n], inp[:n], d.Key, uint64(off), d.threshold(), d.Scale())
				for i := n; i < len(got); i++ {
					if got[i] != 42 {
						t.Fatalf("p=%g n=%d: element %d past the end was written", p, n, i)
					}
				}
				dropoutGo(want[:n], inp[:n], d.Key, uint64(off), d.threshold(), d.Scale())
				for i := range n {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("p=%g n=%d off=%d: element %d is %v (%#x), the reference %v (%#x)",
							p, n, off, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
					}
				}
			}
		}
	}
}
