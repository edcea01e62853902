package checkpoints

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gptgo/gptgo/kernels"
	"github.com/gptgo/gptgo/model"
	"github.com/gptgo/gptgo/tokenizer"
)

// smallCheckpoint returns a resumable checkpoint of a small model with a
// BPE tokenizer, every field set.
func smallCheckpoint(t *testing.T) *Checkpoint {
	t.Helper()
	c := model.Config{VocabSize: 300, Context: 16, Layers: 2, Heads: 2, Embd: 32, Activation: model.GELU}
	m, err := model.New(c, 7)
	if err != nil {
		t.Fatal(err)
	}
	n := len(m.Params)
	mo, v := make([]float32, n), make([]float32, n)
	for i := range mo {
		mo[i] = float32(math.Sin(float64(i))) * 1e-3
		v[i] = mo[i] * mo[i]
	}
	merges := make([][2]int, 44)
	for i := range merges {
		merges[i] = [2]int{'a' + i%26, 'b' + i/2}
	}
	return &Checkpoint{
		Config:    c,
		Tokenizer: tokenizer.Spec{Name: "bpe", Pattern: "gpt4", Merges: merges},
		Params:    m.Params,
		Train: &TrainState{Step: 123, Epoch: 2,
			Loader:      json.RawMessage(`{"pos":17,"perm_seed":5}`),
			RNG:         json.RawMessage(`[1,2,3]`),
			Hyper:       json.RawMessage(`{"lr":0.001,"batch":8}`),
			BestValLoss: math.Inf(1),
			AdamW: AdamWState{Beta1: 0.9, Beta2: 0.95, Eps: 1e-8, WeightDecay: 0.1, Step: 123,
				M: mo, V: v}},
		Provenance: Provenance{Created: time.Date(2025, 3, 4, 5, 6, 7, 8, time.UTC), Version: "v0.1.0 abc",
			Command: []string{"gpt", "train", "--data", "x.txt"}},
	}
}

func bitsEqual(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

func TestRoundTrip(t *testing.T) {
	ck := smallCheckpoint(t)
	ck.Params[3] = float32(math.NaN())
	ck.Params[4] = float32(math.Inf(-1))
	ck.Params[5] = float32(math.Copysign(0, -1))
	for _, opt := range []SaveOptions{{}, {NoShuffle: true}, {Level: 19}} {
		path := filepath.Join(t.TempDir(), "a.ckpt")
		if err := Save(path, ck, opt); err != nil {
			t.Fatal(err)
		}
		got, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bitsEqual(got.Params, ck.Params) || !bitsEqual(got.Train.AdamW.M, ck.Train.AdamW.M) ||
			!bitsEqual(got.Train.AdamW.V, ck.Train.AdamW.V) {
			t.Fatalf("%+v: tensors differ after the round trip", opt)
		}
		// Compare the rest with the tensors taken out (NaN != NaN).
		strip := func(c *Checkpoint) Checkpoint {
			s := *c
			tr := *c.Train
			tr.AdamW.M, tr.AdamW.V = nil, nil
			s.Params, s.Train = nil, &tr
			return s
		}
		if a, b := strip(got), strip(ck); !reflect.DeepEqual(a, b) {
			t.Fatalf("%+v: metadata differs:\n got %+v\nwant %+v", opt, a, b)
		}
		if !reflect.DeepEqual(got.Tokenizer.Merges, ck.Tokenizer.Merges) {
			t.Fatal("merges differ")
		}
		if _, err := tokenizer.FromSpec(got.Tokenizer); err != nil {
			t.Fatalf("tokenizer from loaded spec: %v", err)
		}
	}
}

func TestWeightsOnly(t *testing.T) {
	ck := smallCheckpoint(t)
	path := filepath.Join(t.TempDir(), "w.ckpt")
	if err := Save(path, ck, SaveOptions{WeightsOnly: true}); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Train != nil {
		t.Fatal("weights-only file has a training state")
	}
	if !bitsEqual(got.Params, ck.Params) {
		t.Fatal("params differ")
	}
	m, err := got.Model()
	if err != nil {
		t.Fatal(err)
	}
	if &m.Params[0] != &got.Params[0] || &m.P.LNFB[0] != &got.Params[len(got.Params)-ck.Config.Embd] {
		t.Fatal("Model does not adopt the parameters")
	}
	if _, err := m.Forward([]int32{1, 2, 3}, nil, 1, 3); err != nil {
		t.Fatal(err)
	}
}

func TestBF16(t *testing.T) {
	// Rounding: ties go to even, NaN stays NaN, overflow goes to Inf.
	for _, c := range []struct {
		in   uint32
		want uint16
	}{
		{0x3f800000, 0x3f80}, // 1
		{0x3f808000, 0x3f80}, // tie, even below
		{0x3f818000, 0x3f82}, // tie, even above
		{0x3f808001, 0x3f81}, // above the tie
		{0x7f7fffff, 0x7f80}, // max float32 rounds to +Inf
		{0xff800000, 0xff80}, // -Inf
	} {
		if got := BF16(math.Float32frombits(c.in)); got != c.want {
			t.Errorf("BF16(%#08x) = %#04x, want %#04x", c.in, got, c.want)
		}
	}
	if !math.IsNaN(float64(FromBF16(BF16(float32(math.NaN()))))) {
		t.Error("NaN does not stay NaN")
	}

	c, err := model.Preset("tiny", 1000)
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.New(c, 1)
	if err != nil {
		t.Fatal(err)
	}
	ck := &Checkpoint{Config: c, Tokenizer: tokenizer.Spec{Name: "byte"}, Params: m.Params}
	dir := t.TempDir()
	f32, b16 := filepath.Join(dir, "f32.ckpt"), filepath.Join(dir, "bf16.ckpt")
	if err := Save(f32, ck, SaveOptions{WeightsOnly: true}); err != nil {
		t.Fatal(err)
	}
	if err := Save(b16, ck, SaveOptions{WeightsOnly: true, DType: kernels.BF16}); err != nil {
		t.Fatal(err)
	}
	got, err := Load(b16)
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range ck.Params {
		if want := FromBF16(BF16(x)); math.Float32bits(got.Params[i]) != math.Float32bits(want) {
			t.Fatalf("param %d: %g loaded as %g, want %g", i, x, got.Params[i], want)
		}
		if d := math.Abs(float64(got.Params[i] - x)); d > math.Abs(float64(x))/256 {
			t.Fatalf("param %d: %g loaded as %g, beyond bf16 precision", i, x, got.Params[i])
		}
	}
	s32, s16 := fileSize(t, f32), fileSize(t, b16)
	t.Logf("tiny model, %d params: raw %d bytes, f32 file %d, bf16 file %d", len(ck.Params), 4*len(ck.Params), s32, s16)
	if r := float64(s16) / float64(s32); r < 0.3 || r > 0.55 {
		t.Errorf("bf16 file is %.2f of the f32 file, want about half", r)
	}

	// bf16 is only for weights-only files.
	ck2 := smallCheckpoint(t)
	err = Save(filepath.Join(dir, "x.ckpt"), ck2, SaveOptions{DType: kernels.BF16})
	if err == nil || !strings.Contains(err.Error(), "weights-only") {
		t.Fatalf("bf16 resumable save: err = %v", err)
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// failingWriter fails once more than n bytes have been written.
type failingWriter struct {
	w io.Writer
	n int
}

func (f *failingWriter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		return 0, errors.New("injected write error")
	}
	f.n -= len(p)
	return f.w.Write(p)
}

func TestAtomicSave(t *testing.T) {
	ck := smallCheckpoint(t)
	dir := t.TempDir()
	path := filepath.Join(dir, LatestName)
	if err := Save(path, ck, SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	ck2 := smallCheckpoint(t)
	ck2.Train.Step = 999
	for _, limit := range []int{0, 10, HeaderSize + 100, 100_000} {
		testHookWriter = func(w io.Writer) io.Writer { return &failingWriter{w: w, n: limit} }
		err := Save(path, ck2, SaveOptions{})
		testHookWriter = nil
		if err == nil || !strings.Contains(err.Error(), "injected write error") || !strings.Contains(err.Error(), path) {
			t.Fatalf("failing write after %d bytes: err = %v", limit, err)
		}
		after, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(after) != string(before) {
			t.Fatalf("failing write after %d bytes changed the previous file", limit)
		}
		if names := listDir(t, dir); len(names) != 1 || names[0] != LatestName {
			t.Fatalf("failing write after %d bytes left %v", limit, names)
		}
	}

	// A folder that does not exist (or cannot be written).
	err = Save(filepath.Join(dir, "missing", "x.ckpt"), ck, SaveOptions{})
	if err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("save into a missing folder: err = %v", err)
	}
	if os.Geteuid() != 0 {
		ro := filepath.Join(dir, "ro")
		if err := os.Mkdir(ro, 0o500); err != nil {
			t.Fatal(err)
		}
		if err := Save(filepath.Join(ro, "x.ckpt"), ck, SaveOptions{}); err == nil {
			t.Fatal("save into a read-only folder succeeded")
		}
	}

	// A successful save replaces the file.
	if err := Save(path, ck2, SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Train.Step != 999 {
		t.Fatalf("step %d after replacing, want 999", got.Train.Step)
	}
	if names := listDir(t, dir); len(names) != 1 {
		t.Fatalf("folder holds %v", names)
	}
}

// loadErr saves ck, applies edit to the file's bytes and returns Load's
// error, checking that it is one line naming the file and containing want.
func loadErr(t *testing.T, name string, edit func([]byte) []byte, want string) {
	t.Helper()
	ck := smallCheckpoint(t)
	path := filepath.Join(t.TempDir(), "c.ckpt")
	if err := Save(path, ck, SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, edit(b), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(path)
	if err == nil {
		t.Fatalf("%s: Load succeeded", name)
	}
	msg := err.Error()
	if !strings.Contains(msg, path) || !strings.Contains(msg, want) || strings.Contains(msg, "\n") {
		t.Fatalf("%s: error %q, want one line naming %s and containing %q", name, msg, path, want)
	}
	t.Logf("%s: %s", name, msg)
}

func TestLoadErrors(t *testing.T) {
	loadErr(t, "wrong magic", func(b []byte) []byte { b[0] = 'X'; return b }, "not a gptgo checkpoint")
	loadErr(t, "foreign file", func([]byte) []byte { return []byte("hello, world\n") }, "not a gptgo checkpoint")
	loadErr(t, "empty file", func([]byte) []byte { return nil }, "not a gptgo checkpoint")
	loadErr(t, "future version", func(b []byte) []byte {
		binary.LittleEndian.PutUint32(b[8:], FormatVersion+1)
		return b
	}, "format version 2, this gptgo reads version 1")
	loadErr(t, "header byte", func(b []byte) []byte { b[20] ^= 1; return b }, "corrupted header")
	loadErr(t, "truncated header", func(b []byte) []byte { return b[:20] }, "truncated")
	loadErr(t, "truncated", func(b []byte) []byte { return b[:len(b)-100] }, "truncated")
	loadErr(t, "trailing data", func(b []byte) []byte { return append(b, 0) }, "trailing data")
	for _, at := range []float64{0.001, 0.3, 0.5, 0.9, 0.999} {
		loadErr(t, "corrupted middle", func(b []byte) []byte {
			i := HeaderSize + int(at*float64(len(b)-HeaderSize))
			b[i] ^= 0x10
			return b
		}, "corrupted")
	}
}

func TestContentChecksum(t *testing.T) {
	// A header whose content checksum does not match (zstd's own frame
	// checksum is fine) is caught by the CRC-32C.
	loadErr(t, "content checksum", func(b []byte) []byte {
		h, err := unmarshalHeader(b[:HeaderSize])
		if err != nil {
			t.Fatal(err)
		}
		h.contentCRC++
		copy(b, h.marshal())
		return b
	}, "content checksum")
}

func TestTensorTableMismatch(t *testing.T) {
	ck := smallCheckpoint(t)
	for _, c := range []struct {
		name string
		edit func(*meta)
		want string
	}{
		{"renamed", func(m *meta) { m.Tensors[3].Name = "h.0.ln_1.gain" }, "tensor table does not match the model layout: entry 3"},
		{"reshaped", func(m *meta) { m.Tensors[0].Shape = []int{32, 300} }, "entry 0"},
		{"dtype", func(m *meta) { m.Tensors[5].DType = "f16" }, "entry 5"},
		{"missing", func(m *meta) { m.Tensors = m.Tensors[1:] }, "tensor table has"},
		{"config", func(m *meta) { m.Config.Heads = 3 }, "bad model config"},
	} {
		path := filepath.Join(t.TempDir(), "c.ckpt")
		testHookMeta = c.edit
		err := Save(path, ck, SaveOptions{})
		testHookMeta = nil
		if err != nil {
			t.Fatal(err)
		}
		_, err = Load(path)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
			t.Fatalf("%s: err = %v, want %q", c.name, err, c.want)
		}
		t.Logf("%s: %v", c.name, err)
	}
}

func TestModelFile(t *testing.T) {
	dir := t.TempDir()
	if got := Latest(dir); got != filepath.Join(dir, "latest.ckpt") {
		t.Errorf("Latest = %s", got)
	}
	if got := Best(dir); got != filepath.Join(dir, "best.ckpt") {
		t.Errorf("Best = %s", got)
	}
	if got := Step(dir, 123); got != filepath.Join(dir, "step-000123.ckpt") {
		t.Errorf("Step = %s", got)
	}
	if _, err := ModelFile(dir); err == nil || !strings.Contains(err.Error(), "latest.ckpt") {
		t.Errorf("ModelFile(empty dir): err = %v", err)
	}
	if _, err := ModelFile(filepath.Join(dir, "nope")); err == nil {
		t.Error("ModelFile(missing) succeeded")
	}
	ck := smallCheckpoint(t)
	if err := Save(Latest(dir), ck, SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := Save(Step(dir, 5), ck, SaveOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, err := ModelFile(dir); err != nil || got != Latest(dir) {
		t.Errorf("ModelFile(dir) = %s, %v", got, err)
	}
	if got, err := ModelFile(Step(dir, 5)); err != nil || got != Step(dir, 5) {
		t.Errorf("ModelFile(file) = %s, %v", got, err)
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "folder") {
		t.Errorf("Load(dir): err = %v", err)
	}
}

func TestSaveRejects(t *testing.T) {
	ck := smallCheckpoint(t)
	path := filepath.Join(t.TempDir(), "x.ckpt")
	bad := *ck
	bad.Params = bad.Params[1:]
	if err := Save(path, &bad, SaveOptions{}); err == nil || !strings.Contains(err.Error(), "parameters") {
		t.Errorf("short params: err = %v", err)
	}
	tr := *ck.Train
	tr.AdamW.M = nil
	bad = *ck
	bad.Train = &tr
	if err := Save(path, &bad, SaveOptions{}); err == nil || !strings.Contains(err.Error(), "moments") {
		t.Errorf("missing moments: err = %v", err)
	}
	if err := Save(path, &bad, SaveOptions{WeightsOnly: true}); err != nil {
		t.Errorf("weights-only save needs no moments: %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Error(err)
	}
}
