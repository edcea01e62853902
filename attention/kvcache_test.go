package attention

import (
	"math"
	"testing"

	"github.com/gptgo/gptgo/internal/gradcheck"
)

// TestKVCacheMatchesForward fills a cache in uneven pieces (a prefill that
// spans row blocks, single decoding steps, a second multi-row chunk) and
// checks every row against Forward over the whole sequence.
func TestKVCacheMatchesForward(t *testing.T) {
	const T, C, NH = 150, 16, 4
	qkv := gradcheck.Randn(T*3*C, 1, 7)
	want, att := make([]float32, T*C), make([]float32, NH*T*T)
	Forward(want, att, qkv, 1, T, C, NH)

	c := NewKVCache(T, C, NH)
	got := make([]float32, T*C)
	pieces := []int{70, 1, 1, 1, 40, 1, 36} // sums to T
	pos := 0
	for _, n := range pieces {
		c.Forward(got[pos*C:(pos+n)*C], qkv[pos*3*C:(pos+n)*3*C], pos, n)
		pos += n
	}
	if pos != T {
		t.Fatalf("pieces cover %d rows, want %d", pos, T)
	}
	for i := range got {
		if d := math.Abs(float64(got[i] - want[i])); d > 1e-5+1e-5*math.Abs(float64(want[i])) {
			t.Fatalf("out[%d] (row %d) = %g, Forward gives %g", i, i/C, got[i], want[i])
		}
	}
}

func TestKVCacheLayout(t *testing.T) {
	const C, NH = 8, 2
	hs := C / NH
	qkv := make([]float32, 2*3*C)
	for i := range qkv {
		qkv[i] = float32(i)
	}
	c := NewKVCache(4, C, NH)
	c.Forward(make([]float32, 2*C), qkv, 1, 2)
	// Head 1's key at position 2 is row 1 of qkv, columns C+hs .. C+2hs-1.
	for d := 0; d < hs; d++ {
		if got, want := c.K[(1*4+2)*hs+d], qkv[3*C+C+hs+d]; got != want {
			t.Fatalf("K[1,2,%d] = %v, want %v", d, got, want)
		}
		if got, want := c.V[(0*4+1)*hs+d], qkv[2*C+d]; got != want {
			t.Fatalf("V[0,1,%d] = %v, want %v", d, got, want)
		}
	}
}
