package model

import (
	"math"
	"math/rand/v2"
	"strings"
)

// InitStd is the standard deviation of GPT-2's weight initialisation.
const InitStd = 0.02

// Init fills params like GPT-2: matmul weights and embeddings N(0, 0.02),
// the two residual projections (attn.c_proj, mlp.c_proj) N(0, 0.02/sqrt(2L))
// so the residual stream's variance does not grow with depth, biases 0,
// LayerNorm weights 1. The same seed gives the same weights on any machine:
// the generator is PCG with our own Box-Muller transform.
func Init(params []float32, c Config, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	for _, t := range Layout(c) {
		p := params[t.Offset : t.Offset+t.Size]
		switch {
		case strings.HasSuffix(t.Name, "ln_1.weight"), strings.HasSuffix(t.Name, "ln_2.weight"), t.Name == "ln_f.weight":
			for i := range p {
				p[i] = 1
			}
		case len(t.Shape) == 1:
			clear(p)
		default:
			std := InitStd
			if strings.HasSuffix(t.Name, "c_proj.weight") {
				std = InitStd / math.Sqrt(2*float64(c.Layers))
			}
			fillNormal(p, rng, std)
		}
	}
}

// fillNormal fills p with N(0, std²) samples, two per Box-Muller draw.
func fillNormal(p []float32, rng *rand.Rand, std float64) {
	for i := 0; i < len(p); i += 2 {
		u1 := 1 - rng.Float64() // in (0, 1], so the log is finite
		u2 := rng.Float64()
		r := std * math.Sqrt(-2*math.Log(u1))
		s, c := math.Sincos(2 * math.Pi * u2)
		p[i] = float32(r * c)
		if i+1 < len(p) {
			p[i+1] = float32(r * s)
		}
	}
}
