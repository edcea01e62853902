package reffixture

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gptgo/gptgo/model"
)

// refParamShapes lists every parameter of the fixture's model in the
// model's layout order, with Hugging Face shapes.
func refParamShapes(c Config) (names []string, shapes [][]int) {
	for _, t := range model.Layout(model.Config{VocabSize: c.Vocab, Context: c.Context, Layers: c.Layers,
		Heads: c.Heads, Embd: c.Embd, Activation: model.Activation(c.Activation)}) {
		names, shapes = append(names, t.Name), append(shapes, t.Shape)
	}
	return names, shapes
}

// TestReferenceFixturesLoad checks the structure of the committed fixtures,
// so that a broken regeneration fails here rather than as a confusing
// mismatch in the model comparison.
func TestReferenceFixturesLoad(t *testing.T) {
	for _, act := range Activations {
		t.Run(act, func(t *testing.T) {
			r, err := Load(filepath.Join("..", "..", "model", "testdata", "ref_"+act+".bin"))
			if err != nil {
				t.Fatal(err)
			}
			c := r.Config
			if c.Activation != act {
				t.Fatalf("fixture for %s has activation %q", act, c.Activation)
			}
			B, T, V := r.Batch, r.Seq, c.Vocab
			steps := r.AdamW.Steps
			if r.AdamW.LR <= 0 || r.AdamW.GradClip <= 0 || r.AdamW.Eps <= 0 ||
				r.AdamW.Beta1 <= 0 || r.AdamW.Beta1 >= 1 || r.AdamW.Beta2 <= 0 || r.AdamW.Beta2 >= 1 {
				t.Errorf("implausible adamw settings %+v", r.AdamW)
			}

			want := map[string][]int{
				"tokens": {B, T}, "targets": {B, T}, "logits": {B, T, V},
				"loss": {1}, "losses": {steps + 1}, "grad_norms": {steps},
			}
			names, shapes := refParamShapes(c)
			for i, n := range names {
				for _, kind := range []string{"param/", "grad/", "final/"} {
					want[kind+n] = shapes[i]
				}
			}
			for name, shape := range want {
				data, got, ok := r.Tensor(name)
				if !ok {
					t.Errorf("missing tensor %q", name)
					continue
				}
				if !slices.Equal(got, shape) {
					t.Errorf("tensor %q has shape %v, want %v", name, got, shape)
				}
				for i, v := range data {
					if math.IsNaN(v) || math.IsInf(v, 0) {
						t.Errorf("tensor %q[%d] = %v", name, i, v)
						break
					}
				}
			}
			for name := range r.tensors {
				if _, ok := want[name]; !ok {
					t.Errorf("unexpected tensor %q", name)
				}
			}
			if t.Failed() {
				t.FailNow()
			}

			tokens, _, _ := r.Tensor("tokens")
			for i, v := range tokens {
				if v != math.Trunc(v) || v < 0 || v >= float64(V) {
					t.Errorf("tokens[%d] = %v, want an integer in [0,%d)", i, v, V)
				}
			}
			targets, _, _ := r.Tensor("targets")
			ignored := 0
			for i, v := range targets {
				if v != math.Trunc(v) || v < -1 || v >= float64(V) {
					t.Errorf("targets[%d] = %v, want an integer in [-1,%d)", i, v, V)
				}
				if v == -1 {
					ignored++
				}
			}
			if ignored != 3 {
				t.Errorf("targets have %d ignored (-1) positions, want 3", ignored)
			}

			loss, _, _ := r.Tensor("loss")
			losses, _, _ := r.Tensor("losses")
			if loss[0] != losses[0] {
				t.Errorf("loss %v != losses[0] %v: both are the loss at the initial weights", loss[0], losses[0])
			}
			if d := math.Abs(loss[0] - math.Log(float64(V))); d < 0.05 {
				t.Errorf("initial loss %v is within %.3g of ln(%d): the model is too close to uniform to be a sensitive test", loss[0], d, V)
			}
			for i := 1; i < len(losses); i++ {
				if !(losses[i] < losses[i-1]) {
					t.Errorf("losses do not decrease: losses[%d]=%v, losses[%d]=%v", i-1, losses[i-1], i, losses[i])
				}
			}

			norms, _, _ := r.Tensor("grad_norms")
			clipped := 0
			for _, v := range norms {
				if v > r.AdamW.GradClip {
					clipped++
				}
			}
			if clipped == 0 {
				t.Errorf("grad norms %v never exceed the clip %v: clipping is not exercised", norms, r.AdamW.GradClip)
			}
			// The first pre-clip norm is the global L2 norm of the recorded gradients.
			var sq float64
			moved := 0
			for _, n := range names {
				g, _, _ := r.Tensor("grad/" + n)
				for _, v := range g {
					sq += v * v
				}
				p0, _, _ := r.Tensor("param/" + n)
				p1, _, _ := r.Tensor("final/" + n)
				for i := range p0 {
					if p0[i] != p1[i] {
						moved++
						break
					}
				}
			}
			if d := math.Abs(math.Sqrt(sq) - norms[0]); d > 1e-9*norms[0] {
				t.Errorf("grad_norms[0] = %v but the gradients' L2 norm is %v", norms[0], math.Sqrt(sq))
			}
			if moved != len(names) {
				t.Errorf("only %d of %d parameters changed over the AdamW steps", moved, len(names))
			}
		})
	}
}

// TestLoadReferenceRejectsCorrupt shows that the loader's checks fire.
func TestLoadReferenceRejectsCorrupt(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("..", "..", "model", "testdata", "ref_gelu.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse(good); err != nil {
		t.Fatalf("good fixture rejected: %v", err)
	}
	n := int(binary.LittleEndian.Uint32(good[12:16]))
	header := string(good[16 : 16+n])

	withHeader := func(h string) []byte {
		b := append([]byte{}, good[:12]...)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(h)))
		b = append(b, h...)
		return append(b, good[16+n:]...)
	}
	mutate := func(f func(b []byte) []byte) []byte { return f(append([]byte{}, good...)) }
	cases := []struct {
		name string
		buf  []byte
		want string
	}{
		{"short", good[:10], "shorter than"},
		{"magic", mutate(func(b []byte) []byte { b[0] = 'X'; return b }), "bad magic"},
		{"version", mutate(func(b []byte) []byte { b[8] = 2; return b }), "unsupported version"},
		{"header length", mutate(func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[12:], uint32(len(b)))
			return b
		}), "runs past the end"},
		{"json", withHeader("{" + header), "JSON header"},
		{"ragged data", good[:len(good)-3], "not a whole number"},
		{"truncated data", good[:len(good)-8], "runs past"},
		{"extra data", append(append([]byte{}, good...), make([]byte, 8)...), "cover"},
		{"offset", withHeader(strings.Replace(header, `"offset": 0`, `"offset": 1`, 1)), "overlap"},
	}
	for _, c := range cases {
		_, err := Parse(c.buf)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got error %v, want one containing %q", c.name, err, c.want)
		}
	}
}
