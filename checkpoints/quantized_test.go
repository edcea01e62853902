package checkpoints

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gptgo/gptgo/kernels"
	"github.com/gptgo/gptgo/model"
	"github.com/gptgo/gptgo/tokenizer"
)

// quantConfig is a small model whose width quantizes (a multiple of 32).
var quantConfig = model.Config{VocabSize: 300, Context: 16, Layers: 2, Heads: 2, Embd: 64, Activation: model.GELU}

// floatCheckpoint is a weights-only float32 checkpoint of c: GPT-2's
// initialisation plus noise, so that every tensor (biases and LayerNorms
// too) holds distinct values.
func floatCheckpoint(t *testing.T, c model.Config, seed uint64) *Checkpoint {
	t.Helper()
	m, err := model.New(c, seed)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(seed, 3))
	for i := range m.Params {
		m.Params[i] += float32(r.NormFloat64() * 0.05)
	}
	return &Checkpoint{Config: c, Tokenizer: tokenizer.Spec{Name: "byte"}, Params: m.Params,
		Provenance: Provenance{Version: "test"}}
}

// quantizedModel is ck's model quantized in memory by Model.Quantize.
func quantizedModel(t *testing.T, ck *Checkpoint, dt kernels.DType) *model.Model {
	t.Helper()
	m, err := model.FromParams(ck.Config, slices.Clone(ck.Params))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Quantize(dt); err != nil {
		t.Fatal(err)
	}
	return m
}

// sameWeights reports the first tensor where a and b differ: dtype, QMatrix
// bytes, or float32 bits.
func sameWeights(c model.Config, a, b *model.Weights) string {
	if a.DType != b.DType {
		return "dtype " + a.DType.String() + " vs " + b.DType.String()
	}
	as, bs := a.Slots(), b.Slots()
	for i, ts := range model.Layout(c) {
		if as[i].Q != nil {
			qa, qb := *as[i].Q, *bs[i].Q
			if qa == nil || qb == nil || qa.DType != qb.DType || qa.Rows != qb.Rows || qa.Cols != qb.Cols ||
				!bytes.Equal(qa.Canonical(), qb.Canonical()) {
				return ts.Name
			}
			continue
		}
		if !bitsEqual(*as[i].F, *bs[i].F) {
			return ts.Name
		}
	}
	return ""
}

// logits runs m on a fixed batch of two sequences and returns the logits.
func logits(t *testing.T, m *model.Model) []float32 {
	t.Helper()
	T := m.Config.Context
	tokens := make([]int32, 2*T)
	for i := range tokens {
		tokens[i] = int32((i*37 + 11) % m.Config.VocabSize)
	}
	if _, err := m.Forward(tokens, nil, 2, T); err != nil {
		t.Fatal(err)
	}
	return slices.Clone(m.Logits())
}

// A quantized file holds exactly the weights Model.Quantize makes, whether
// the float32 parameters are quantized at save time or a quantized model's
// weights are written as they are, and loads into a model that computes
// the in-memory quantized model's logits bit for bit.
func TestQuantizedRoundTrip(t *testing.T) {
	for _, dt := range []kernels.DType{kernels.Q8_0, kernels.Q4_0} {
		for _, noShuffle := range []bool{false, true} {
			ck := floatCheckpoint(t, quantConfig, 1)
			want := quantizedModel(t, ck, dt)
			dir := t.TempDir()
			fromParams, fromWeights, again := filepath.Join(dir, "p.ckpt"), filepath.Join(dir, "w.ckpt"), filepath.Join(dir, "again.ckpt")
			opt := SaveOptions{WeightsOnly: true, DType: dt, NoShuffle: noShuffle}
			if err := Save(fromParams, ck, opt); err != nil {
				t.Fatal(err)
			}
			qck := &Checkpoint{Config: ck.Config, Tokenizer: ck.Tokenizer, Weights: &want.W, Provenance: ck.Provenance}
			if err := Save(fromWeights, qck, opt); err != nil {
				t.Fatal(err)
			}
			got := loadQuantized(t, fromParams, dt, want)
			loadQuantized(t, fromWeights, dt, want)
			// A loaded quantized checkpoint saves again to the same weights.
			if err := Save(again, got, opt); err != nil {
				t.Fatal(err)
			}
			loadQuantized(t, again, dt, want)
			if a, b := readFile(t, fromParams), readFile(t, fromWeights); !bytes.Equal(a, b) {
				t.Errorf("%v: the file saved from float32 parameters differs from the one saved from quantized weights", dt)
			}
		}
	}
}

// loadQuantized loads path, checks that it holds want's weights and no
// float32 matrices, and that its model computes want's logits exactly.
func loadQuantized(t *testing.T, path string, dt kernels.DType, want *model.Model) *Checkpoint {
	t.Helper()
	ck, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if ck.Params != nil || ck.Weights == nil || ck.DType() != dt || ck.Train != nil {
		t.Fatalf("%s: params %v, weights %v, dtype %v", path, ck.Params != nil, ck.Weights != nil, ck.DType())
	}
	if name := sameWeights(ck.Config, ck.Weights, &want.W); name != "" {
		t.Fatalf("%s: %s differs from the in-memory quantized model's", path, name)
	}
	for _, s := range ck.Weights.Slots() {
		if s.Q != nil && *s.F != nil {
			t.Fatalf("%s: a float32 matrix was materialized", path)
		}
	}
	m, err := ck.Model()
	if err != nil {
		t.Fatal(err)
	}
	if m.Params != nil || m.W.DType != dt {
		t.Fatalf("%s: model params %v, dtype %v", path, m.Params != nil, m.W.DType)
	}
	if got, w := logits(t, m), logits(t, want); !bitsEqual(got, w) {
		t.Fatalf("%s: logits differ from the in-memory quantized model's", path)
	}
	return ck
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The tensor table lists matrices in the file's dtype with their [out, in]
// shape and everything else as f32; the header has the quantized flag.
func TestQuantizedTable(t *testing.T) {
	ck := floatCheckpoint(t, quantConfig, 2)
	var table []tensorEntry
	testHookMeta = func(m *meta) { table = slices.Clone(m.Tensors) }
	path := filepath.Join(t.TempDir(), "q.ckpt")
	err := Save(path, ck, SaveOptions{WeightsOnly: true, DType: kernels.Q4_0})
	testHookMeta = nil
	if err != nil {
		t.Fatal(err)
	}
	C, V := quantConfig.Embd, quantConfig.VocabSize
	byName := map[string]tensorEntry{}
	for _, e := range table {
		byName[e.Name] = e
	}
	for name, want := range map[string]struct {
		dtype string
		shape []int
	}{
		"wte":                    {"q4_0", []int{V, C}},
		"wpe":                    {"f32", []int{quantConfig.Context, C}},
		"h.0.attn.c_attn.weight": {"q4_0", []int{3 * C, C}},
		"h.0.attn.c_attn.bias":   {"f32", []int{3 * C}},
		"h.1.attn.c_proj.weight": {"q4_0", []int{C, C}},
		"h.1.mlp.c_fc.weight":    {"q4_0", []int{4 * C, C}},
		"h.1.mlp.c_proj.weight":  {"q4_0", []int{C, 4 * C}},
		"h.1.ln_2.weight":        {"f32", []int{C}},
		"ln_f.bias":              {"f32", []int{C}},
	} {
		e := byName[name]
		if e.DType != want.dtype || !slices.Equal(e.Shape, want.shape) {
			t.Errorf("%s: %s %v, want %s %v", name, e.DType, e.Shape, want.dtype, want.shape)
		}
	}
	fc, next := byName["h.0.mlp.c_fc.weight"], byName["h.0.mlp.c_fc.bias"]
	if n := next.Offset - fc.Offset; n != int64(4*C*C/32*18) {
		t.Errorf("h.0.mlp.c_fc.weight takes %d bytes, want %d (18 per 32 weights)", n, 4*C*C/32*18)
	}
	b := readFile(t, path)
	if flags := binary.LittleEndian.Uint32(b[12:]); flags != flagWeightsOnly|flagShuffled|flagQuantized {
		t.Errorf("header flags %#x", flags)
	}
}

// Matrices dominate this model: a q8_0 file is under 0.3 of the float32
// bytes (34 bytes per 32 weights instead of 128), q4_0 under 0.17 (18).
// Against the compressed float32 file the ratios are a little higher:
// zstd takes a float32 of noisy weights to about 27 bits, and does not
// shrink the int8s and nibbles, close to random already.
func TestQuantizedFileSize(t *testing.T) {
	c := model.Config{VocabSize: 256, Context: 16, Layers: 2, Heads: 4, Embd: 128, Activation: model.GELU}
	ck := floatCheckpoint(t, c, 3)
	dir := t.TempDir()
	size := func(dt kernels.DType) float64 {
		path := filepath.Join(dir, dt.String()+".ckpt")
		if err := Save(path, ck, SaveOptions{WeightsOnly: true, DType: dt}); err != nil {
			t.Fatal(err)
		}
		return float64(fileSize(t, path))
	}
	raw, f32, q8, q4 := float64(4*len(ck.Params)), size(kernels.F32), size(kernels.Q8_0), size(kernels.Q4_0)
	t.Logf("float32 %.0f bytes, f32 file %.0f (%.3f), q8_0 %.0f (%.3f, %.3f of the f32 file), q4_0 %.0f (%.3f, %.3f)",
		raw, f32, f32/raw, q8, q8/raw, q8/f32, q4, q4/raw, q4/f32)
	for _, c := range []struct {
		name           string
		size, raw, f32 float64
	}{{"q8_0", q8, 0.3, 0.32}, {"q4_0", q4, 0.17, 0.18}} {
		if c.size >= c.raw*raw || c.size >= c.f32*f32 {
			t.Errorf("%s file is %.3f of the float32 bytes and %.3f of the f32 file, want under %.2f and %.2f",
				c.name, c.size/raw, c.size/f32, c.raw, c.f32)
		}
	}
}

// quantizedLoadErr saves ck as opt with the metadata edited and checks
// that Load fails with one line naming the file and containing want.
func quantizedLoadErr(t *testing.T, name string, ck *Checkpoint, opt SaveOptions, edit func(*meta), want string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "q.ckpt")
	testHookMeta = edit
	err := Save(path, ck, opt)
	testHookMeta = nil
	if err != nil {
		t.Fatal(err)
	}
	_, err = Load(path)
	if err == nil {
		t.Fatalf("%s: Load succeeded", name)
	}
	if msg := err.Error(); !strings.Contains(msg, path) || !strings.Contains(msg, want) || strings.Contains(msg, "\n") {
		t.Fatalf("%s: error %q, want one line naming %s and containing %q", name, msg, path, want)
	}
	t.Logf("%s: %v", name, err)
}

func TestQuantizedLoadErrors(t *testing.T) {
	ck := floatCheckpoint(t, quantConfig, 4)
	q8 := SaveOptions{WeightsOnly: true, DType: kernels.Q8_0}
	entry := func(m *meta, name string) *tensorEntry {
		for i := range m.Tensors {
			if m.Tensors[i].Name == name {
				return &m.Tensors[i]
			}
		}
		t.Fatalf("no tensor %s", name)
		return nil
	}
	C := quantConfig.Embd
	for _, c := range []struct {
		name string
		edit func(*meta)
		want string
	}{
		{"mis-sized", func(m *meta) { entry(m, "h.0.attn.c_attn.bias").Offset -= 34 },
			"h.0.attn.c_attn.weight: 13022 bytes of data, q8_0 [192 64] needs 13056"},
		{"last mis-sized", func(m *meta) { entry(m, "ln_f.bias").Offset += 4 },
			"ln_f.weight: 260 bytes of data, f32 [64] needs 256"},
		{"unknown dtype", func(m *meta) { entry(m, "h.1.mlp.c_fc.weight").DType = "q5_1" },
			`h.1.mlp.c_fc.weight: unknown dtype "q5_1"`},
		{"other dtype", func(m *meta) { entry(m, "h.1.mlp.c_proj.weight").DType = "q4_0" },
			"h.1.mlp.c_proj.weight: dtype q4_0, this file stores it as q8_0"},
		{"quantized wpe", func(m *meta) { entry(m, "wpe").DType = "q8_0" },
			"wpe: dtype q8_0, this file stores it as f32"},
		{"float wte", func(m *meta) { entry(m, "wte").DType = "f32" },
			`wte: dtype "f32" in a quantized file`},
		{"float32 shape", func(m *meta) { entry(m, "h.0.mlp.c_fc.weight").Shape = []int{C, 4 * C} },
			"entry 10 is h.0.mlp.c_fc.weight q8_0 [64 256]"},
	} {
		quantizedLoadErr(t, c.name, ck, q8, c.edit, c.want)
	}

	// A quantized tensor in a resumable file.
	res := smallCheckpoint(t)
	quantizedLoadErr(t, "resumable", res, SaveOptions{}, func(m *meta) { m.Tensors[4].DType = "q8_0" },
		"h.0.attn.c_attn.weight: a q8_0 tensor in a resumable checkpoint")
	// A resumable file with the quantized flag.
	loadErr(t, "resumable flag", func(b []byte) []byte {
		h, err := unmarshalHeader(b[:HeaderSize])
		if err != nil {
			t.Fatal(err)
		}
		h.flags |= flagQuantized
		copy(b, h.marshal())
		return b
	}, "quantized tensors in a resumable checkpoint")
}

// Damaged data in a quantized file is caught, the error naming the file.
func TestQuantizedCorrupted(t *testing.T) {
	ck := floatCheckpoint(t, quantConfig, 5)
	path := filepath.Join(t.TempDir(), "q.ckpt")
	if err := Save(path, ck, SaveOptions{WeightsOnly: true, DType: kernels.Q4_0}); err != nil {
		t.Fatal(err)
	}
	good := readFile(t, path)
	for _, at := range []float64{0.2, 0.5, 0.8} {
		b := slices.Clone(good)
		b[HeaderSize+int(at*float64(len(b)-HeaderSize))] ^= 0x04
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path)
		if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "corrupted") {
			t.Fatalf("byte at %.1f flipped: err = %v", at, err)
		}
		t.Logf("at %.1f: %v", at, err)
	}
}

func TestSaveQuantizedRejects(t *testing.T) {
	ck := floatCheckpoint(t, quantConfig, 6)
	path := filepath.Join(t.TempDir(), "x.ckpt")
	q := quantizedModel(t, ck, kernels.Q8_0)
	qck := &Checkpoint{Config: ck.Config, Tokenizer: ck.Tokenizer, Weights: &q.W}
	b16 := quantizedModel(t, ck, kernels.BF16)
	odd := floatCheckpoint(t, model.Config{VocabSize: 50, Context: 8, Layers: 1, Heads: 2, Embd: 48, Activation: model.GELU}, 1)
	res := smallCheckpoint(t)
	short := q.W
	short.LNFB = short.LNFB[1:]
	for _, c := range []struct {
		name string
		ck   *Checkpoint
		opt  SaveOptions
		want string
	}{
		{"resumable", res, SaveOptions{DType: kernels.Q8_0}, "q8_0 is for weights-only files"},
		{"as f32", qck, SaveOptions{WeightsOnly: true}, "the weights are q8_0: they save as q8_0 only"},
		{"as q4_0", qck, SaveOptions{WeightsOnly: true, DType: kernels.Q4_0}, "the weights are q8_0"},
		{"bf16 in memory", &Checkpoint{Config: ck.Config, Weights: &b16.W}, SaveOptions{WeightsOnly: true, DType: kernels.BF16}, "the weights are bf16"},
		{"width", odd, SaveOptions{WeightsOnly: true, DType: kernels.Q4_0}, "not a multiple of 32"},
		{"short weights", &Checkpoint{Config: ck.Config, Weights: &short}, SaveOptions{WeightsOnly: true, DType: kernels.Q8_0}, "ln_f.bias: 63 floats"},
		{"dtype", ck, SaveOptions{WeightsOnly: true, DType: 9}, "unknown dtype"},
	} {
		err := Save(path, c.ck, c.opt)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("a failed save left %s: %v", path, err)
	}
}

// Open reports the dtype a file stores its matrices in; a quantized
// model's Checkpoint carries its weights, which Export writes back as a
// checkpoint and refuses for the float32-only formats.
func TestOpenQuantized(t *testing.T) {
	c := quantConfig
	c.VocabSize = 257
	ck := floatCheckpoint(t, c, 7)
	dir := t.TempDir()
	for _, dt := range kernels.DTypes {
		if err := Save(filepath.Join(dir, dt.String()+".ckpt"), ck, SaveOptions{WeightsOnly: true, DType: dt}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		file string
		want kernels.DType
	}{{"f32", kernels.F32}, {"bf16", kernels.F32}, {"q8_0", kernels.Q8_0}, {"q4_0", kernels.Q4_0}} {
		o, err := Open(filepath.Join(dir, tc.file+".ckpt"), OpenOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if o.DType != tc.want || o.Model.W.DType != tc.want {
			t.Errorf("%s file: Opened.DType %v, model %v, want %v", tc.file, o.DType, o.Model.W.DType, tc.want)
		}
		back := o.Checkpoint()
		if back.DType() != tc.want || (tc.want != kernels.F32) != (back.Weights != nil) {
			t.Errorf("%s file: Checkpoint() dtype %v, weights %v", tc.file, back.DType(), back.Weights != nil)
		}
	}
	o, err := Open(filepath.Join(dir, "q8_0.ckpt"), OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "copy.ckpt")
	if err := Export(out, o.Checkpoint(), FormatGptgo); err != nil {
		t.Fatal(err)
	}
	loadQuantized(t, out, kernels.Q8_0, o.Model)
	for _, f := range []Format{FormatSafetensors, FormatLlmc} {
		err := Export(filepath.Join(dir, "x"), o.Checkpoint(), f)
		if err == nil || !strings.Contains(err.Error(), "the weights are q8_0") {
			t.Errorf("export q8_0 weights to %s: err = %v", f, err)
		}
	}
}

// A file with no matrices beyond float32 rounding: bf16-stored files keep
// loading as float32 (the quantized flag changed nothing for them).
func TestBF16StillFloat(t *testing.T) {
	ck := floatCheckpoint(t, quantConfig, 8)
	path := filepath.Join(t.TempDir(), "b.ckpt")
	if err := Save(path, ck, SaveOptions{WeightsOnly: true, DType: kernels.BF16}); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Weights != nil || got.DType() != kernels.F32 || len(got.Params) != len(ck.Params) {
		t.Fatalf("bf16 file: weights %v, dtype %v", got.Weights != nil, got.DType())
	}
	for i, x := range ck.Params {
		if want := FromBF16(BF16(x)); math.Float32bits(got.Params[i]) != math.Float32bits(want) {
			t.Fatalf("param %d: %g, want %g", i, got.Params[i], want)
		}
	}
	if b := readFile(t, path); binary.LittleEndian.Uint32(b[12:]) != flagWeightsOnly|flagBF16|flagShuffled {
		t.Errorf("bf16 header flags %#x", binary.LittleEndian.Uint32(b[12:]))
	}
}
