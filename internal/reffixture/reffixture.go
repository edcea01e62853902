// Package reffixture reads the PyTorch reference fixtures in
// model/testdata/ref_<activation>.bin,
// written by scripts/reference/gen_model_ref.py (see its README for how to
// regenerate them). Tests of model and train compare against them.
//
// File format, all little-endian:
//
//	bytes 0..7  ASCII "GPTGOREF"
//	uint32      version = 1
//	uint32      n = byte length of the JSON header
//	n bytes     UTF-8 JSON header: config, batch, seq, adamw, tensors
//	rest        float64 values; tensor i holds prod(shape) values starting
//	            at element "offset" of this section (row-major)
package reffixture

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
)

const (
	Magic   = "GPTGOREF"
	Version = 1
)

// Activations are the activations with a fixture, testdata/ref_<name>.bin.
var Activations = []string{"gelu", "relu", "tanh", "sigmoid"}

type Config struct {
	Vocab      int    `json:"vocab"`
	Context    int    `json:"context"`
	Layers     int    `json:"layers"`
	Heads      int    `json:"heads"`
	Embd       int    `json:"embd"`
	Activation string `json:"activation"`
}

type AdamW struct {
	LR          float64 `json:"lr"`
	Beta1       float64 `json:"beta1"`
	Beta2       float64 `json:"beta2"`
	Eps         float64 `json:"eps"`
	WeightDecay float64 `json:"weight_decay"` // applied to 2-D tensors only
	GradClip    float64 `json:"grad_clip"`    // global L2 norm; torch: coef = clip/(norm+1e-6) when < 1
	Steps       int     `json:"steps"`
}

// Dropout is the dropout of a fixture made with it (ref_dropout.bin):
// rate P and the key of the pass, whose masks are also stored as tensors
// "mask/embd", "mask/h.N.attn", "mask/h.N.attn_proj", "mask/h.N.mlp_proj"
// (1 kept, 0 dropped). Zero in the other fixtures.
type Dropout struct {
	P   float64 `json:"p"`
	Key uint64  `json:"key"`
}

type tensor struct {
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
type Fixture struct {
	Config  Config
	Batch   int
	Seq     int
	AdamW   AdamW
	Dropout Dropout
	tensors map[string]tensor
}

type header struct {
	Config  Config  `json:"config"`
	Batch   int     `json:"batch"`
	Seq     int     `json:"seq"`
	AdamW   AdamW   `json:"adamw"`
	Dropout Dropout `json:"dropout"`
	Tensors []struct {
		Name   string `json:"name"`
		Shape  []int  `json:"shape"`
		Offset int    `json:"offset"`
	} `json:"tensors"`
}

// Load reads and validates a fixture file.
func Load(path string) (*Fixture, error) {
	buf, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r, err := Parse(buf)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

func Parse(buf []byte) (*Fixture, error) {
	if len(buf) < 16 {
		return nil, fmt.Errorf("file is %d bytes, shorter than the 16-byte preamble", len(buf))
	}
	if string(buf[:8]) != Magic {
		return nil, fmt.Errorf("bad magic %q, want %q", buf[:8], Magic)
	}
	if v := binary.LittleEndian.Uint32(buf[8:12]); v != Version {
		return nil, fmt.Errorf("unsupported version %d, want %d", v, Version)
	}
	n := uint64(binary.LittleEndian.Uint32(buf[12:16]))
	if n > uint64(len(buf)-16) {
		return nil, fmt.Errorf("JSON header length %d runs past the end of the %d-byte file", n, len(buf))
	}
	var h header
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

	r := &Fixture{Config: c, Batch: h.Batch, Seq: h.Seq, AdamW: h.AdamW, Dropout: h.Dropout, tensors: map[string]tensor{}}
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
		r.tensors[e.Name] = tensor{Shape: e.Shape, Data: data[e.Offset : e.Offset+size : e.Offset+size]}
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

// Tensor returns the values and shape of the named tensor; ok is false if the
// fixture has no such tensor. The slices alias the fixture: do not modify them.
func (r *Fixture) Tensor(name string) (data []float64, shape []int, ok bool) {
	t, ok := r.tensors[name]
	return t.Data, t.Shape, ok
}
