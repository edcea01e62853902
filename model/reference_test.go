package model

import (
	"path/filepath"
	"testing"

	"github.com/gptgo/gptgo/internal/reffixture"
)

// loadFixtureModel builds the model of a PyTorch reference fixture with its
// initial weights.
func loadFixtureModel(t *testing.T, act string) (*Model, *reffixture.Fixture) {
	t.Helper()
	ref, err := reffixture.Load(filepath.Join("testdata", "ref_"+act+".bin"))
	if err != nil {
		t.Fatal(err)
	}
	rc := ref.Config
	m, err := NewEmpty(Config{VocabSize: rc.Vocab, Context: rc.Context, Layers: rc.Layers,
		Heads: rc.Heads, Embd: rc.Embd, Activation: Activation(rc.Activation)})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var offsets []int
	for _, ts := range Layout(m.Config) {
		names, offsets = append(names, ts.Name), append(offsets, ts.Offset)
	}
	if err := ref.Params(m.Params, "param/", names, offsets); err != nil {
		t.Fatal(err)
	}
	return m, ref
}

// The logits, the loss and every parameter gradient equal PyTorch's float64
// reference within 1e-6 + 1e-4*|ref|.
func TestMatchesPyTorchReference(t *testing.T) {
	for _, act := range reffixture.Activations {
		t.Run(act, func(t *testing.T) {
			m, ref := loadFixtureModel(t, act)
			B, T := ref.Batch, ref.Seq
			tokens, targets := ref.Ints("tokens"), ref.Ints("targets")
			const atol, rtol = 1e-6, 1e-4

			if _, err := m.Forward(tokens, nil, B, T); err != nil {
				t.Fatal(err)
			}
			want, _, _ := ref.Tensor("logits")
			if err := reffixture.Compare("logits", m.Logits(), want, atol, rtol); err != nil {
				t.Error(err)
			}

			loss, err := m.Forward(tokens, targets, B, T)
			if err != nil {
				t.Fatal(err)
			}
			want, _, _ = ref.Tensor("loss")
			if err := reffixture.Compare("loss", []float32{loss}, want, atol, rtol); err != nil {
				t.Error(err)
			}

			m.ZeroGrad()
			if err := m.Backward(); err != nil {
				t.Fatal(err)
			}
			for _, ts := range Layout(m.Config) {
				want, _, _ := ref.Tensor("grad/" + ts.Name)
				if err := reffixture.Compare("grad/"+ts.Name, m.Grads[ts.Offset:ts.Offset+ts.Size], want, atol, rtol); err != nil {
					t.Error(err)
				}
			}
		})
	}
}
