package model

// Loader for the PyTorch reference fixtures in testdata/ref_<activation>.bin,
// written by scripts/reference/gen_model_ref.py (see its README for how to
// regenerate them). Standard library only.
//
// File format, all little-endian:
//
//	bytes 0..7  ASCII "GPTGOREF"
//	uint32      version = 1
//	uint32      n = byte length of the JSON header
//	n bytes     UTF-8 JSON header: config, batch, seq, adamw, tensors
//	rest        float64 values; tensor i holds prod(shape) values starting
//	            at element "offset" of this section (row-major)

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const (
	refMagic   = "GPTGOREF"
	refVersion = 1
)

// refActivations are the activations with a fixture, testdata/ref_<name>.bin.
var refActivations = []string{"gelu", "relu", "tanh", "sigmoid"}

type refConfig struct {
	Vocab      int    `json:"vocab"`
	Context    int    `json:"context"`
	Layers     int    `json:"layers"`
	Heads      int    `json:"heads"`
	Embd       int    `json:"embd"`
	Activation string `json:"activation"`
}

type refAdamW struct {
	LR          float64 `json:"lr"`
	Beta1       float64 `json:"beta1"`
	Beta2       float64 `json:"beta2"`
	Eps         float64 `json:"eps"`
	WeightDecay float64 `json:"weight_decay"` // applied to 2-D tensors only
	GradClip    float64 `json:"grad_clip"`    // global L2 norm; torch: coef = clip/(norm+1e-6) when < 1
	Steps       int     `json:"steps"`
}

type refTensor struct {
	Shape []int
	Data  []float64
}

// reference is one fixture. Tensor names: "tokens" and "targets" [B,T]
// (integers stored as float64, -1 = ignored target), "logits" [B,T,V],
// "loss" [1], "losses" [steps+1] (the loss before each AdamW step, then after
// the last), "grad_norms" [steps] (pre-clip global norms), and for every
// parameter (Hugging Face names) "param/<name>" (initial), "grad/<name>"
// (gradient at the initial weights, before clipping) and "final/<name>"
// (after the AdamW steps).
type reference struct {
	Config  refConfig
	Batch   int
	Seq     int
	AdamW   refAdamW
	tensors map[string]refTensor
}

type refHeader struct {
	Config  refConfig `json:"config"`
	Batch   int       `json:"batch"`
	Seq     int       `json:"seq"`
	AdamW   refAdamW  `json:"adamw"`
	Tensors []struct {
		Name   string `json:"name"`
		Shape  []int  `json:"shape"`
		Offset int    `json:"offset"`
	} `json:"tensors"`
}

// loadReference reads and validates a fixture file.
func loadReference(path string) (*reference, error) {
	buf, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r, err := parseReference(buf)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

func parseReference(buf []byte) (*reference, error) {
	if len(buf) < 16 {
		return nil, fmt.Errorf("file is %d bytes, shorter than the 16-byte preamble", len(buf))
	}
	if string(buf[:8]) != refMagic {
		return nil, fmt.Errorf("bad magic %q, want %q", buf[:8], refMagic)
	}
	if v := binary.LittleEndian.Uint32(buf[8:12]); v != refVersion {
		return nil, fmt.Errorf("unsupported version %d, want %d", v, refVersion)
	}
	n := uint64(binary.LittleEndian.Uint32(buf[12:16]))
	if n > uint64(len(buf)-16) {
		return nil, fmt.Errorf("JSON header length %d runs past the end of the %d-byte file", n, len(buf))
	}
	var h refHeader
	dec := json.NewDecoder(bytes.NewReader(buf[16 : 16+n]))
	if err := dec.Decode(&h); err != nil {
		return nil, fmt.Errorf("JSON header: %w", err)
	}
	raw := buf[16+n:]
	if len(raw)%8 != 0 {
		return nil, fmt.Errorf("data section is %d bytes, not a whole number of float64s", len(raw))
	}
	data := make([]float64, len(raw)/8)
	for i := range data {
		data[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
	}

	c := h.Config
	if c.Vocab <= 0 || c.Context <= 0 || c.Layers <= 0 || c.Heads <= 0 || c.Embd <= 0 || c.Embd%c.Heads != 0 {
		return nil, fmt.Errorf("invalid config %+v", c)
	}
	if h.Batch <= 0 || h.Seq <= 0 || h.Seq > c.Context {
		return nil, fmt.Errorf("invalid batch %d / seq %d for context %d", h.Batch, h.Seq, c.Context)
	}
	if h.AdamW.Steps <= 0 {
		return nil, fmt.Errorf("invalid adamw steps %d", h.AdamW.Steps)
	}

	r := &reference{Config: c, Batch: h.Batch, Seq: h.Seq, AdamW: h.AdamW, tensors: map[string]refTensor{}}
	type span struct {
		name    string
		lo, end int
	}
	var spans []span
	for i, e := range h.Tensors {
		if e.Name == "" {
			return nil, fmt.Errorf("tensor %d has no name", i)
		}
		if _, dup := r.tensors[e.Name]; dup {
			return nil, fmt.Errorf("tensor %q listed twice", e.Name)
		}
		size := 1
		for _, d := range e.Shape {
			if d <= 0 || size > len(data)/d+1 {
				return nil, fmt.Errorf("tensor %q: bad shape %v for %d values", e.Name, e.Shape, len(data))
			}
			size *= d
		}
		if e.Offset < 0 || e.Offset > len(data) || size > len(data)-e.Offset {
			return nil, fmt.Errorf("tensor %q: offset %d + %d values runs past the %d values of data",
				e.Name, e.Offset, size, len(data))
		}
		r.tensors[e.Name] = refTensor{Shape: e.Shape, Data: data[e.Offset : e.Offset+size : e.Offset+size]}
		spans = append(spans, span{e.Name, e.Offset, e.Offset + size})
	}
	// The tensors must tile the data exactly: no overlap, no gap, nothing left over.
	sort.Slice(spans, func(i, j int) bool { return spans[i].lo < spans[j].lo })
	next := 0
	for _, s := range spans {
		if s.lo != next {
			return nil, fmt.Errorf("tensor %q starts at %d, want %d (tensors overlap or leave a gap)", s.name, s.lo, next)
		}
		next = s.end
	}
	if next != len(data) {
		return nil, fmt.Errorf("tensors cover %d values but the data holds %d", next, len(data))
	}
	return r, nil
}

// tensor returns the values and shape of the named tensor; ok is false if the
// fixture has no such tensor. The slices alias the fixture: do not modify them.
func (r *reference) tensor(name string) (data []float64, shape []int, ok bool) {
	t, ok := r.tensors[name]
	return t.Data, t.Shape, ok
}

// refParamShapes lists every parameter of c with its Hugging Face shape, in
// fixture order.
func refParamShapes(c refConfig) (names []string, shapes [][]int) {
	V, T, C := c.Vocab, c.Context, c.Embd
	add := func(name string, shape ...int) {
		names = append(names, name)
		shapes = append(shapes, shape)
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
	return names, shapes
}

func refShapeEqual(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestReferenceFixturesLoad checks the structure of the committed fixtures,
// so that a broken regeneration fails here rather than as a confusing
// mismatch in the model comparison.
func TestReferenceFixturesLoad(t *testing.T) {
	for _, act := range refActivations {
		t.Run(act, func(t *testing.T) {
			r, err := loadReference(filepath.Join("testdata", "ref_"+act+".bin"))
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
				data, got, ok := r.tensor(name)
				if !ok {
					t.Errorf("missing tensor %q", name)
					continue
				}
				if !refShapeEqual(got, shape) {
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

			tokens, _, _ := r.tensor("tokens")
			for i, v := range tokens {
				if v != math.Trunc(v) || v < 0 || v >= float64(V) {
					t.Errorf("tokens[%d] = %v, want an integer in [0,%d)", i, v, V)
				}
			}
			targets, _, _ := r.tensor("targets")
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

			loss, _, _ := r.tensor("loss")
			losses, _, _ := r.tensor("losses")
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

			norms, _, _ := r.tensor("grad_norms")
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
				g, _, _ := r.tensor("grad/" + n)
				for _, v := range g {
					sq += v * v
				}
				p0, _, _ := r.tensor("param/" + n)
				p1, _, _ := r.tensor("final/" + n)
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
	good, err := os.ReadFile(filepath.Join("testdata", "ref_gelu.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parseReference(good); err != nil {
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
		_, err := parseReference(c.buf)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got error %v, want one containing %q", c.name, err, c.want)
		}
	}
}
