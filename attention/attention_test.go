package attention

import (
	"math"
	"testing"

	"github.com/gptgo/gptgo/internal/gradcheck"
	"github.com/gptgo/gptgo/kernels"
)

// naiveForward is the textbook definition, one (b, h, i, j) at a time.
func naiveForward(out, qkv []float32, B, T, C, NH int) {
	hs := C / NH
	for b := 0; b < B; b++ {
		for h := 0; h < NH; h++ {
			for i := 0; i < T; i++ {
				q := qkv[(b*T+i)*3*C+h*hs:]
				scores := make([]float64, i+1)
				mx := math.Inf(-1)
				for j := 0; j <= i; j++ {
					k := qkv[(b*T+j)*3*C+C+h*hs:]
					var s float64
					for d := 0; d < hs; d++ {
						s += float64(q[d]) * float64(k[d])
					}
					scores[j] = s / math.Sqrt(float64(hs))
					mx = math.Max(mx, scores[j])
				}
				var sum float64
				for j := range scores {
					scores[j] = math.Exp(scores[j] - mx)
					sum += scores[j]
				}
				for d := 0; d < hs; d++ {
					var o float64
					for j := 0; j <= i; j++ {
						o += scores[j] / sum * float64(qkv[(b*T+j)*3*C+2*C+h*hs+d])
					}
					out[(b*T+i)*C+h*hs+d] = float32(o)
				}
			}
		}
	}
}

func TestForwardMatchesDefinition(t *testing.T) {
	// T = 150 spans three row blocks, the last one partial.
	for _, s := range []struct{ B, T, C, NH int }{{2, 5, 8, 2}, {1, 150, 16, 4}} {
		B, T, C, NH := s.B, s.T, s.C, s.NH
		qkv := gradcheck.Randn(B*T*3*C, 1, 1)
		got, want := make([]float32, B*T*C), make([]float32, B*T*C)
		att := make([]float32, B*NH*T*T)
		Forward(got, att, qkv, B, T, C, NH)
		naiveForward(want, qkv, B, T, C, NH)
		for i := range got {
			if d := math.Abs(float64(got[i] - want[i])); d > 1e-5+1e-5*math.Abs(float64(want[i])) {
				t.Fatalf("T=%d: out[%d] = %g, definition gives %g", T, i, got[i], want[i])
			}
		}
		// Each probability row sums to 1 over the visible keys.
		for r := 0; r < B*NH*T; r++ {
			i := r % T
			var sum float64
			for j := 0; j <= i; j++ {
				sum += float64(att[r*T+j])
			}
			if math.Abs(sum-1) > 1e-5 {
				t.Fatalf("row %d of the attention sums to %g", r, sum)
			}
		}
	}
}

func TestBackwardGradients(t *testing.T) {
	for _, s := range []struct{ B, T, C, NH int }{{2, 6, 8, 2}, {1, 70, 8, 2}} {
		B, T, C, NH := s.B, s.T, s.C, s.NH
		qkv := gradcheck.Randn(B*T*3*C, 1, 1)
		dout := gradcheck.Randn(B*T*C, 1, 2)
		out, att := make([]float32, B*T*C), make([]float32, B*NH*T*T)
		loss := func() float64 {
			Forward(out, att, qkv, B, T, C, NH)
			return gradcheck.Dot(out, dout)
		}
		loss()
		dqkv, datt := make([]float32, B*T*3*C), make([]float32, B*NH*T*T)
		for i := range dqkv {
			dqkv[i] = float32(math.NaN()) // Backward must overwrite every element
		}
		Backward(dqkv, datt, dout, qkv, att, B, T, C, NH)
		o := gradcheck.Default
		o.Samples = 120
		bad, worst := gradcheck.Check(qkv, dqkv, loss, o)
		if len(bad) > 0 {
			t.Errorf("T=%d: %d of %d sampled dqkv disagree, e.g. %+v (worst rel %.3g)", T, len(bad), o.Samples, bad[0], worst)
		}
		for i, g := range dqkv {
			if g != g {
				t.Fatalf("T=%d: dqkv[%d] was not written", T, i)
			}
		}
	}
}

func TestHeadWeightViews(t *testing.T) {
	C, NH := 8, 2
	hs := C / NH
	w := make([]float32, C*3*C)
	for i := range w {
		w[i] = float32(i)
	}
	wq, wk, wv := HeadWeights(w, C, NH, 1)
	// W_1^K[r, c] is column C + 1*hs + c of row r of c_attn.
	for r := 0; r < C; r++ {
		for c := 0; c < hs; c++ {
			if got, want := wk.Data[r*wk.Stride+c], w[r*3*C+C+hs+c]; got != want {
				t.Fatalf("W_1^K[%d,%d] = %v, want %v", r, c, got, want)
			}
			if got, want := wq.Data[r*wq.Stride+c], w[r*3*C+hs+c]; got != want {
				t.Fatalf("W_1^Q[%d,%d] = %v, want %v", r, c, got, want)
			}
			if got, want := wv.Data[r*wv.Stride+c], w[r*3*C+2*C+hs+c]; got != want {
				t.Fatalf("W_1^V[%d,%d] = %v, want %v", r, c, got, want)
			}
		}
	}
	b := make([]float32, 3*C)
	for i := range b {
		b[i] = float32(i)
	}
	bq, bk, bv := HeadBiases(b, C, NH, 1)
	if bq[0] != float32(hs) || bk[0] != float32(C+hs) || bv[hs-1] != float32(2*C+2*hs-1) {
		t.Fatalf("head biases %v %v %v", bq, bk, bv)
	}
}

func TestDropoutForwardMatchesDefinition(t *testing.T) {
	// O = (P ⊙ mask/(1-p)) V with P from Forward and the mask from Keep;
	// att keeps P, attd holds the dropped probabilities.
	B, T, C, NH := 2, 70, 8, 2
	hs := C / NH
	qkv := gradcheck.Randn(B*T*3*C, 1, 3)
	drop := kernels.Dropout{P: 0.25, Key: 99}
	out, att, attd := make([]float32, B*T*C), make([]float32, B*NH*T*T), make([]float32, B*NH*T*T)
	ForwardDropout(out, att, attd, qkv, drop, B, T, C, NH)
	plain, patt := make([]float32, B*T*C), make([]float32, B*NH*T*T)
	Forward(plain, patt, qkv, B, T, C, NH)
	dropped := 0
	for bh := range B * NH {
		b, h := bh/NH, bh%NH
		for i := range T {
			for d := range hs {
				var o float64
				for j := 0; j <= i; j++ {
					k := bh*T*T + i*T + j
					if att[k] != patt[k] {
						t.Fatalf("att[%d] = %g with dropout, %g without: att must keep P", k, att[k], patt[k])
					}
					pd := 0.0
					if drop.Keep(uint64(k)) {
						pd = float64(att[k]) * float64(drop.Scale())
					} else if d == 0 {
						dropped++
					}
					if float32(pd) != attd[k] {
						t.Fatalf("attd[%d] = %g, want %g", k, attd[k], pd)
					}
					o += pd * float64(qkv[(b*T+j)*3*C+2*C+h*hs+d])
				}
				if got := out[(b*T+i)*C+h*hs+d]; math.Abs(float64(got)-o) > 1e-5+1e-5*math.Abs(o) {
					t.Fatalf("out[%d,%d,%d] = %g, definition gives %g", b, i, h*hs+d, got, o)
				}
			}
		}
	}
	if visible := B * NH * T * (T + 1) / 2; dropped < visible/8 || dropped > visible*3/8 {
		t.Fatalf("%d of %d probabilities dropped at p=0.25", dropped, visible)
	}
}

func TestDropoutBackwardGradients(t *testing.T) {
	// The masks depend only on the key, so they stay fixed while finite
	// differences move qkv: the gradient is of one fixed function.
	for _, s := range []struct{ B, T, C, NH int }{{2, 6, 8, 2}, {1, 70, 8, 2}} {
		B, T, C, NH := s.B, s.T, s.C, s.NH
		drop := kernels.Dropout{P: 0.3, Key: 5}
		qkv := gradcheck.Randn(B*T*3*C, 1, 1)
		dout := gradcheck.Randn(B*T*C, 1, 2)
		out, att, attd := make([]float32, B*T*C), make([]float32, B*NH*T*T), make([]float32, B*NH*T*T)
		loss := func() float64 {
			ForwardDropout(out, att, attd, qkv, drop, B, T, C, NH)
			return gradcheck.Dot(out, dout)
		}
		loss()
		dqkv, datt := make([]float32, B*T*3*C), make([]float32, B*NH*T*T)
		BackwardDropout(dqkv, datt, dout, qkv, att, attd, drop, B, T, C, NH)
		o := gradcheck.Default
		o.Samples = 120
		if bad, worst := gradcheck.Check(qkv, dqkv, loss, o); len(bad) > 0 {
			t.Errorf("T=%d: %d of %d sampled dqkv disagree, e.g. %+v (worst rel %.3g)", T, len(bad), o.Samples, bad[0], worst)
		}
		// And it is not the gradient without dropout.
		plain := make([]float32, B*T*3*C)
		Forward(out, att, qkv, B, T, C, NH)
		Backward(plain, datt, dout, qkv, att, B, T, C, NH)
		diff := 0.0
		for i := range plain {
			diff = max(diff, math.Abs(float64(plain[i]-dqkv[i])))
		}
		if diff < 1e-3 {
			t.Fatalf("T=%d: dropout did not change the gradient", T)
		}
	}
}
