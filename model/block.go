package model

// BlockActs are the outputs of one transformer block's layers for N rows.
// Training keeps one set per layer for Backward; inference, which never goes
// back, points several of them at the same buffer (Res2 and Res3 at the
// residual stream itself, LN1 and LN2 at one scratch, FCH and FCHAct at
// another), so the block runs in place.
type BlockActs struct {
	LN1, LN1Mean, LN1Rstd []float32 // [N,C], [N], [N]
	QKV                   []float32 // [N,3C] columns [q | k | v]
	AttY                  []float32 // [N,C] attention output (heads concatenated)
	AttProj               []float32 // [N,C]
	Res2                  []float32 // [N,C] residual after attention
	LN2, LN2Mean, LN2Rstd []float32 // [N,C], [N], [N]
	FCH                   []float32 // [N,4C] MLP pre-activation
	FCHAct                []float32 // [N,4C] MLP activation
	FCProj                []float32 // [N,C]
	Res3                  []float32 // [N,C] block output
}

// Attend is a block's causal self-attention: it writes atty [N,C] from
// qkv [N,3C]. Training attends over whole sequences
// (attention.Forward); inference attends over a KV cache
// (attention.KVCache.Forward). The rest of the block is the same code.
type Attend func(atty, qkv []float32)

// BlockForward runs one pre-LayerNorm GPT-2 block on the residual stream
// res, the same code for training and inference:
//
//	x   = res + drop(attn(ln1(res)) @ Wproj + bproj)
//	out = x + drop(act(ln2(x) @ Wfc + bfc) @ Wfcproj + bfcproj)
//
// x lands in a.Res2 and out in a.Res3; res may be a.Res2 and a.Res3 (in
// place), since each residual add reads an element before writing it.
// The weights w may be float32 views of the parameters or quantized. The
// two drops are drop.AttProj and drop.FCProj (in place on AttProj and
// FCProj); inference passes the zero BlockDropout, which drops nothing.
// Shapes: res [N,C]; a's buffers as documented on BlockActs.
func BlockForward(a *BlockActs, res []float32, w *BlockWeights, act Activation, attend Attend, drop BlockDropout, N, C int) {
	LayerNormForward(a.LN1, a.LN1Mean, a.LN1Rstd, res, w.LN1W, w.LN1B, N, C)
	w.QKV.Forward(a.QKV, a.LN1, N)
	attend(a.AttY, a.QKV)
	w.AttProj.Forward(a.AttProj, a.AttY, N)
	if drop.AttProj.Active() {
		DropoutForward(a.AttProj, a.AttProj, drop.AttProj, N*C)
	}
	ResidualForward(a.Res2, res, a.AttProj, N*C)
	LayerNormForward(a.LN2, a.LN2Mean, a.LN2Rstd, a.Res2, w.LN2W, w.LN2B, N, C)
	w.FC.Forward(a.FCH, a.LN2, N)
	ActivationForward(a.FCHAct, a.FCH, act, N*4*C)
	w.FCProj.Forward(a.FCProj, a.FCHAct, N)
	if drop.FCProj.Active() {
		DropoutForward(a.FCProj, a.FCProj, drop.FCProj, N*C)
	}
	ResidualForward(a.Res3, a.Res2, a.FCProj, N*C)
}

// AttendBackward is the backward of an Attend: it OVERWRITES dqkv [N,3C]
// from datty [N,C].
type AttendBackward func(dqkv, datty []float32)

// BlockBackward applies the chain rule to BlockForward, calling the layers
// in its exact reverse order. dres holds the gradient of the block output
// on entry and of its input res on return (updated in place: each residual
// add passes its gradient to both branches unchanged). g accumulates the
// parameter gradients; dbig [N,4C] and dln [N,C] are scratch. drop is the
// forward pass's.
// Shapes: dres [N,C], resIn [N,C] (the block's input), dbig [N,4C], dln [N,C].
func BlockBackward(dres []float32, g *BlockViews, a *BlockActs, resIn []float32, p *BlockViews, act Activation,
	attendBack AttendBackward, drop BlockDropout, dbig, dln []float32, N, C int) {
	// out = x + drop(fcProj): both get dres, the projection through the mask.
	dfc := DropoutBackward(dln, dres, drop.FCProj, N*C)
	MatmulBackward(dbig, g.FCProjW, g.FCProjB, dfc, a.FCHAct, p.FCProjW, N, 4*C, C)
	ActivationBackward(dbig, dbig, a.FCH, a.FCHAct, act, N*4*C)
	MatmulBackward(dln, g.FCW, g.FCB, dbig, a.LN2, p.FCW, N, C, 4*C)
	LayerNormBackward(dres, g.LN2W, g.LN2B, dln, a.Res2, p.LN2W, a.LN2Mean, a.LN2Rstd, N, C)
	// x = res + drop(attProj): both get dres, the projection through the mask.
	dproj := DropoutBackward(dbig[:N*C], dres, drop.AttProj, N*C)
	MatmulBackward(dln, g.AttProjW, g.AttProjB, dproj, a.AttY, p.AttProjW, N, C, C)
	attendBack(dbig[:N*3*C], dln)
	MatmulBackward(dln, g.QKVW, g.QKVB, dbig[:N*3*C], a.LN1, p.QKVW, N, C, 3*C)
	LayerNormBackward(dres, g.LN1W, g.LN1B, dln, resIn, p.LN1W, a.LN1Mean, a.LN1Rstd, N, C)
}
