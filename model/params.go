package model

import "fmt"

// Tensor describes one named parameter inside the flat buffer.
type Tensor struct {
	Name   string // GPT-2 / Hugging Face name, e.g. "h.0.attn.c_attn.weight"
	Shape  []int  // Hugging Face shape; matmul weights are [in, out]
	Offset int    // first element in the flat buffer
	Size   int    // number of elements
}

// Decays reports whether AdamW applies weight decay to the tensor: to 2-D
// tensors (matmul weights and embeddings), not to biases or LayerNorm.
func (t Tensor) Decays() bool { return len(t.Shape) == 2 }

// Layout lists the parameters of c in buffer order: wte, wpe, then for each
// block ln_1, attn.c_attn, attn.c_proj, ln_2, mlp.c_fc, mlp.c_proj (weight
// before bias), then ln_f.
func Layout(c Config) []Tensor {
	V, T, C := c.VocabSize, c.Context, c.Embd
	var ts []Tensor
	off := 0
	add := func(name string, shape ...int) {
		n := 1
		for _, d := range shape {
			n *= d
		}
		ts = append(ts, Tensor{Name: name, Shape: shape, Offset: off, Size: n})
		off += n
	}
	add("wte", V, C)
	add("wpe", T, C)
	for l := 0; l < c.Layers; l++ {
		p := fmt.Sprintf("h.%d.", l)
		add(p+"ln_1.weight", C)
		add(p+"ln_1.bias", C)
		add(p+"attn.c_attn.weight", C, 3*C)
		add(p+"attn.c_attn.bias", 3*C)
		add(p+"attn.c_proj.weight", C, C)
		add(p+"attn.c_proj.bias", C)
		add(p+"ln_2.weight", C)
		add(p+"ln_2.bias", C)
		add(p+"mlp.c_fc.weight", C, 4*C)
		add(p+"mlp.c_fc.bias", 4*C)
		add(p+"mlp.c_proj.weight", 4*C, C)
		add(p+"mlp.c_proj.bias", C)
	}
	add("ln_f.weight", C)
	add("ln_f.bias", C)
	return ts
}

// NumParams is the number of parameters of c (the tied head counted once).
func NumParams(c Config) int {
	ts := Layout(c)
	last := ts[len(ts)-1]
	return last.Offset + last.Size
}

// Views are typed slices into one flat buffer laid out by Layout: the
// parameters, their gradients, or an optimizer moment.
type Views struct {
	WTE    []float32 // [V, C] token embedding, also the output head
	WPE    []float32 // [maxT, C] position embedding
	Blocks []BlockViews
	LNFW   []float32 // [C]
	LNFB   []float32 // [C]
}

// BlockViews are the parameters of one transformer block.
type BlockViews struct {
	LN1W, LN1B []float32 // [C]
	QKVW       []float32 // [C, 3C] columns [q | k | v]; see attention.HeadWeights
	QKVB       []float32 // [3C]
	AttProjW   []float32 // [C, C]
	AttProjB   []float32 // [C]
	LN2W, LN2B []float32 // [C]
	FCW        []float32 // [C, 4C]
	FCB        []float32 // [4C]
	FCProjW    []float32 // [4C, C]
	FCProjB    []float32 // [C]
}

// NewViews slices buf, which must hold NumParams(c) floats, into views.
func NewViews(buf []float32, c Config) Views {
	ts := Layout(c)
	if n := NumParams(c); len(buf) != n {
		panic(fmt.Sprintf("model: buffer of %d floats for a model of %d parameters", len(buf), n))
	}
	i := 0
	next := func() []float32 {
		t := ts[i]
		i++
		return buf[t.Offset : t.Offset+t.Size : t.Offset+t.Size]
	}
	var v Views
	v.WTE = next()
	v.WPE = next()
	v.Blocks = make([]BlockViews, c.Layers)
	for l := range v.Blocks {
		b := &v.Blocks[l]
		b.LN1W, b.LN1B = next(), next()
		b.QKVW, b.QKVB = next(), next()
		b.AttProjW, b.AttProjB = next(), next()
		b.LN2W, b.LN2B = next(), next()
		b.FCW, b.FCB = next(), next()
		b.FCProjW, b.FCProjB = next(), next()
	}
	v.LNFW, v.LNFB = next(), next()
	return v
}
