package train

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/gptgo/gptgo/internal/reffixture"
	"github.com/gptgo/gptgo/model"
)

// Five steps of forward, backward, clipping and AdamW from PyTorch's initial
// weights reproduce its float64 losses (1e-5 relative), pre-clip gradient
// norms and final parameters (1e-5 absolute).
func TestAdamWMatchesPyTorchReference(t *testing.T) {
	for _, act := range reffixture.Activations {
		t.Run(act, func(t *testing.T) {
			ref, err := reffixture.Load(filepath.Join("..", "model", "testdata", "ref_"+act+".bin"))
			if err != nil {
				t.Fatal(err)
			}
			rc, h := ref.Config, ref.AdamW
			m, err := model.NewEmpty(model.Config{VocabSize: rc.Vocab, Context: rc.Context, Layers: rc.Layers,
				Heads: rc.Heads, Embd: rc.Embd, Activation: model.Activation(rc.Activation)})
			if err != nil {
				t.Fatal(err)
			}
			layout := model.Layout(m.Config)
			var names []string
			var offsets []int
			for _, ts := range layout {
				names, offsets = append(names, ts.Name), append(offsets, ts.Offset)
			}
			if err := ref.Params(m.Params, "param/", names, offsets); err != nil {
				t.Fatal(err)
			}
			opt := NewAdamW(m.Config)
			opt.Beta1, opt.Beta2, opt.Eps, opt.WeightDecay = float32(h.Beta1), float32(h.Beta2), float32(h.Eps), float32(h.WeightDecay)
			tokens, targets := ref.Ints("tokens"), ref.Ints("targets")
			wantLoss, _, _ := ref.Tensor("losses")
			wantNorm, _, _ := ref.Tensor("grad_norms")
			for step := 0; step <= h.Steps; step++ {
				loss, err := m.Forward(tokens, targets, ref.Batch, ref.Seq)
				if err != nil {
					t.Fatal(err)
				}
				if rel := math.Abs(float64(loss)-wantLoss[step]) / wantLoss[step]; rel > 1e-5 {
					t.Errorf("loss before step %d: %.8f, reference %.8f (rel %.2g)", step+1, loss, wantLoss[step], rel)
				}
				if step == h.Steps {
					break
				}
				m.ZeroGrad()
				if err := m.Backward(); err != nil {
					t.Fatal(err)
				}
				norm := GradNorm(m.Grads, nil)
				if rel := math.Abs(norm-wantNorm[step]) / wantNorm[step]; rel > 1e-4 {
					t.Errorf("gradient norm at step %d: %.8f, reference %.8f", step+1, norm, wantNorm[step])
				}
				opt.Update(m.Params, m.Grads, float32(h.LR), float32(ClipScale(norm, h.GradClip)))
			}
			for _, ts := range layout {
				want, _, _ := ref.Tensor("final/" + ts.Name)
				if err := reffixture.Compare("final/"+ts.Name, m.Params[ts.Offset:ts.Offset+ts.Size], want, 1e-5, 0); err != nil {
					t.Error(err)
				}
			}
		})
	}
}
