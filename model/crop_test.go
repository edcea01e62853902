package model

import (
	"math"
	"testing"
)

// A cropped model gives the same logits as the original on a sequence
// that fits its context, bit for bit, and has the smaller shape.
func TestCropContext(t *testing.T) {
	m := smallModel(t, GELU) // context 8
	cm, err := m.CropContext(5)
	if err != nil {
		t.Fatal(err)
	}
	if cm.Config.Context != 5 || len(cm.Params) != len(m.Params)-3*m.Config.Embd {
		t.Fatalf("cropped: context %d, %d parameters (from %d)", cm.Config.Context, len(cm.Params), len(m.Params))
	}
	tokens := []int32{3, 1, 4, 1, 5, 9, 2, 6, 5, 3}
	if _, err := m.Forward(tokens, nil, 2, 5); err != nil {
		t.Fatal(err)
	}
	want := append([]float32(nil), m.Logits()...)
	if _, err := cm.Forward(tokens, nil, 2, 5); err != nil {
		t.Fatal(err)
	}
	for i, v := range cm.Logits() {
		if math.Float32bits(v) != math.Float32bits(want[i]) {
			t.Fatalf("logit %d: %v cropped, %v whole", i, v, want[i])
		}
	}
	if _, err := cm.Forward(tokens[:6], nil, 1, 6); err == nil {
		t.Fatal("the cropped model ran 6 tokens")
	}
	if same, _ := m.CropContext(8); same != m {
		t.Fatal("cropping to the same context made a copy")
	}
	for _, n := range []int{0, 9} {
		if _, err := m.CropContext(n); err == nil {
			t.Fatalf("CropContext(%d) of a context-8 model succeeded", n)
		}
	}
}
