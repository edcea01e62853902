package infer

import "github.com/gptgo/gptgo/model"

// rowBuffers are the activations of n rows run through the blocks in
// place: the residual stream and the scratch both LayerNorms, both
// projections and the MLP share. They grow to the largest n seen.
type rowBuffers struct {
	rows                int       // rows the buffers hold
	ids                 []int32   // [rows] the tokens being appended
	res, ln, atty, proj []float32 // [rows, C]
	qkv                 []float32 // [rows, 3C]
	fch                 []float32 // [rows, 4C]
	mean, rstd          []float32 // [rows]
}

// ensure sizes the buffers for at least n rows of width C.
func (r *rowBuffers) ensure(n, C int) {
	if n <= r.rows {
		return
	}
	f := func(k int) []float32 { return make([]float32, k) }
	r.rows = n
	r.ids = make([]int32, n)
	r.res, r.ln, r.atty, r.proj = f(n*C), f(n*C), f(n*C), f(n*C)
	r.qkv, r.fch = f(n*3*C), f(n*4*C)
	r.mean, r.rstd = f(n), f(n)
}

// acts returns the block activations of n rows, aliased so that the block
// runs in place: both residual adds write the stream res, the two
// LayerNorms share ln, the two projections proj, the MLP fch.
func (r *rowBuffers) acts(n, C int) model.BlockActs {
	ln, mean, rstd, proj, fch, res := r.ln[:n*C], r.mean[:n], r.rstd[:n], r.proj[:n*C], r.fch[:n*4*C], r.res[:n*C]
	return model.BlockActs{LN1: ln, LN1Mean: mean, LN1Rstd: rstd, QKV: r.qkv[:n*3*C], AttY: r.atty[:n*C],
		AttProj: proj, Res2: res, LN2: ln, LN2Mean: mean, LN2Rstd: rstd, FCH: fch, FCHAct: fch, FCProj: proj, Res3: res}
}
