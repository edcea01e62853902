package model

// activations are the buffers of one forward and backward pass, allocated
// once per (B, T) and reused, so a training step allocates no buffers.
type activations struct {
	B, T            int
	tokens, targets []int32 // the caller's, kept for Backward

	encoded               []float32 // [N,C] wte + wpe, the first residual
	blocks                []blockActs
	lnf, lnfMean, lnfRstd []float32 // [N,C], [N], [N]
	logits                []float32 // [N,V] logits, then probabilities, then dlogits
	losses                []float32 // [N]
	dres, dres2, dln      []float32 // [N,C] gradient scratch
	dbig                  []float32 // [N,4C] gradient scratch (also dqkv [N,3C])
	datt                  []float32 // [B,NH,T,T] gradient scratch
}

// blockActs are one transformer block's saved activations: the layers'
// outputs and the attention probabilities Backward needs.
type blockActs struct {
	BlockActs
	att  []float32 // [B,NH,T,T] attention probabilities
	attd []float32 // [B,NH,T,T] the same after dropout; nil until a pass drops
}

// ensure returns buffers for (B, T), reusing the current ones when the
// shape is unchanged, with the dropped attention probabilities when drop.
func (m *Model) ensure(B, T int, drop bool) *activations {
	if a := m.acts; a != nil && a.B == B && a.T == T {
		a.ensureDrop(m.Config.Heads, drop)
		return a
	}
	c := m.Config
	N, C, V, NH := B*T, c.Embd, c.VocabSize, c.Heads
	f := func(n int) []float32 { return make([]float32, n) }
	a := &activations{B: B, T: T,
		encoded: f(N * C), lnf: f(N * C), lnfMean: f(N), lnfRstd: f(N),
		logits: f(N * V), losses: f(N),
		dres: f(N * C), dres2: f(N * C), dln: f(N * C), dbig: f(N * 4 * C), datt: f(B * NH * T * T),
	}
	a.blocks = make([]blockActs, c.Layers)
	for l := range a.blocks {
		a.blocks[l] = blockActs{
			BlockActs: BlockActs{
				LN1: f(N * C), LN1Mean: f(N), LN1Rstd: f(N), QKV: f(N * 3 * C),
				AttY: f(N * C), AttProj: f(N * C), Res2: f(N * C),
				LN2: f(N * C), LN2Mean: f(N), LN2Rstd: f(N), FCH: f(N * 4 * C), FCHAct: f(N * 4 * C),
				FCProj: f(N * C), Res3: f(N * C),
			},
			att: f(B * NH * T * T),
		}
	}
	m.acts = a
	a.ensureDrop(NH, drop)
	return a
}

// ensureDrop allocates the dropped attention probabilities of every
// layer, the first time a pass drops.
func (a *activations) ensureDrop(NH int, drop bool) {
	if !drop || len(a.blocks) == 0 || a.blocks[0].attd != nil {
		return
	}
	for l := range a.blocks {
		a.blocks[l].attd = make([]float32, a.B*NH*a.T*a.T)
	}
}
