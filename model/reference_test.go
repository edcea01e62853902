package model

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/gptgo/gptgo/internal/reffixture"
	"github.com/gptgo/gptgo/kernels"
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
			matchReference(t, m, ref, kernels.Dropout{})
		})
	}
}

// With dropout, the masks equal the fixture's (drawn by PyTorch's side
// from the same keyed hash), and the logits, loss and every gradient equal
// PyTorch's float64 autograd through explicit masks.
func TestDropoutMatchesPyTorchReference(t *testing.T) {
	m, ref := loadFixtureModel(t, "dropout")
	if ref.Dropout.P == 0 {
		t.Fatal("ref_dropout.bin has no dropout rate")
	}
	drop := kernels.Dropout{P: float32(ref.Dropout.P), Key: ref.Dropout.Key}
	checkMask := func(name string, d kernels.Dropout) {
		want, _, ok := ref.Tensor(name)
		if !ok {
			t.Fatalf("fixture has no %s", name)
		}
		for i, w := range want {
			if d.Keep(uint64(i)) != (w == 1) {
				t.Fatalf("%s[%d]: gptgo keeps %v, the fixture %v", name, i, d.Keep(uint64(i)), w)
			}
		}
	}
	checkMask("mask/embd", drop.Sub(0))
	for l := range m.Config.Layers {
		d := blockDropout(drop, l)
		checkMask(fmt.Sprintf("mask/h.%d.attn", l), d.Att)
		checkMask(fmt.Sprintf("mask/h.%d.attn_proj", l), d.AttProj)
		checkMask(fmt.Sprintf("mask/h.%d.mlp_proj", l), d.FCProj)
	}

	matchReference(t, m, ref, drop)
	B, T := ref.Batch, ref.Seq
	tokens, targets := ref.Ints("tokens"), ref.Ints("targets")
	const atol, rtol = 1e-6, 1e-4
	// Forward itself never drops: it gives the no-dropout fixture's loss.
	plain, _ := reffixture.Load(filepath.Join("testdata", "ref_gelu.bin"))
	l0, _ := m.Forward(tokens, targets, B, T)
	want, _, _ := plain.Tensor("loss")
	if err := reffixture.Compare("loss without dropout", []float32{l0}, want, atol, rtol); err != nil {
		t.Error(err)
	}
}

// matchReference checks m against a fixture with dropout drop (the zero
// Dropout for none): the logits, the loss and every parameter gradient
// within 1e-6 + 1e-4*|ref|.
func matchReference(t *testing.T, m *Model, ref *reffixture.Fixture, drop kernels.Dropout) {
	t.Helper()
	B, T := ref.Batch, ref.Seq
	tokens, targets := ref.Ints("tokens"), ref.Ints("targets")
	const atol, rtol = 1e-6, 1e-4
	if _, err := m.ForwardDropout(tokens, nil, B, T, drop); err != nil {
		t.Fatal(err)
	}
	want, _, _ := ref.Tensor("logits")
	if err := reffixture.Compare("logits", m.Logits(), want, atol, rtol); err != nil {
		t.Error(err)
	}
	loss, err := m.ForwardDropout(tokens, targets, B, T, drop)
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
}
