package checkpoints

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/gptgo/gptgo/model"
)

// llm.c model file constants.
const (
	LlmcMagic       = 20240326
	LlmcVersionF32  = 3
	LlmcVersionBF16 = 5
	llmcHeaderInts  = 256
	llmcHeaderBytes = 4 * llmcHeaderInts
	llmcVocabAlign  = 128     // llm.c pads V up to a multiple of this
	llmcChunk       = 1 << 16 // elements converted at a time
)

// llmcHeader is the shape an llm.c model file declares.
type llmcHeader struct {
	version                  int
	maxT, V, L, NH, C, Vp    int
	elemSize                 int64
	numParams, expectedBytes int64
}

// llmcTensor is one of the 16 stacked tensors of an llm.c file. rows×cols
// is one layer's (or the whole tensor's) [out, in] matrix; transpose marks
// a matmul weight, which gptgo stores [in, out].
type llmcTensor struct {
	name       string
	layered    bool
	rows, cols int
	transpose  bool
	ours       func(v *model.Views, l int) []float32
}

// llmcTensors lists the tensors in file order for config c.
func llmcTensors(c model.Config, vp int) []llmcTensor {
	C := c.Embd
	return []llmcTensor{
		{"wte", false, vp, C, false, func(v *model.Views, _ int) []float32 { return v.WTE }},
		{"wpe", false, c.Context, C, false, func(v *model.Views, _ int) []float32 { return v.WPE }},
		{"ln1w", true, 1, C, false, func(v *model.Views, l int) []float32 { return v.Blocks[l].LN1W }},
		{"ln1b", true, 1, C, false, func(v *model.Views, l int) []float32 { return v.Blocks[l].LN1B }},
		{"qkvw", true, 3 * C, C, true, func(v *model.Views, l int) []float32 { return v.Blocks[l].QKVW }},
		{"qkvb", true, 1, 3 * C, false, func(v *model.Views, l int) []float32 { return v.Blocks[l].QKVB }},
		{"attprojw", true, C, C, true, func(v *model.Views, l int) []float32 { return v.Blocks[l].AttProjW }},
		{"attprojb", true, 1, C, false, func(v *model.Views, l int) []float32 { return v.Blocks[l].AttProjB }},
		{"ln2w", true, 1, C, false, func(v *model.Views, l int) []float32 { return v.Blocks[l].LN2W }},
		{"ln2b", true, 1, C, false, func(v *model.Views, l int) []float32 { return v.Blocks[l].LN2B }},
		{"fcw", true, 4 * C, C, true, func(v *model.Views, l int) []float32 { return v.Blocks[l].FCW }},
		{"fcb", true, 1, 4 * C, false, func(v *model.Views, l int) []float32 { return v.Blocks[l].FCB }},
		{"fcprojw", true, C, 4 * C, true, func(v *model.Views, l int) []float32 { return v.Blocks[l].FCProjW }},
		{"fcprojb", true, 1, C, false, func(v *model.Views, l int) []float32 { return v.Blocks[l].FCProjB }},
		{"lnfw", false, 1, C, false, func(v *model.Views, _ int) []float32 { return v.LNFW }},
		{"lnfb", false, 1, C, false, func(v *model.Views, _ int) []float32 { return v.LNFB }},
	}
}

// llmcPaddedVocab is V rounded up to a multiple of 128.
func llmcPaddedVocab(v int) int { return (v + llmcVocabAlign - 1) / llmcVocabAlign * llmcVocabAlign }

// parseLlmcHeader checks an llm.c header against the file size.
func parseLlmcHeader(b []byte, size int64) (llmcHeader, error) {
	at := func(i int) int { return int(int32(binary.LittleEndian.Uint32(b[4*i:]))) }
	if m := at(0); m != LlmcMagic {
		return llmcHeader{}, fmt.Errorf("not an llm.c model file (magic %d, want %d)", m, LlmcMagic)
	}
	h := llmcHeader{version: at(1), maxT: at(2), V: at(3), L: at(4), NH: at(5), C: at(6), Vp: at(7)}
	switch h.version {
	case LlmcVersionF32:
		h.elemSize = 4
	case LlmcVersionBF16:
		h.elemSize = 2
	default:
		return llmcHeader{}, fmt.Errorf("unsupported llm.c model version %d (gptgo reads %d, fp32, and %d, bf16)", h.version, LlmcVersionF32, LlmcVersionBF16)
	}
	for _, d := range []struct {
		name string
		v    int
	}{{"maxT", h.maxT}, {"V", h.V}, {"L", h.L}, {"NH", h.NH}, {"C", h.C}, {"Vp", h.Vp}} {
		if d.v <= 0 || d.v > maxDim {
			return llmcHeader{}, fmt.Errorf("bad header: %s = %d", d.name, d.v)
		}
	}
	if h.Vp < h.V {
		return llmcHeader{}, fmt.Errorf("bad header: padded vocabulary Vp %d below V %d", h.Vp, h.V)
	}
	if h.C%h.NH != 0 {
		return llmcHeader{}, fmt.Errorf("bad header: %d heads do not divide C %d", h.NH, h.C)
	}
	C, L := int64(h.C), int64(h.L)
	if f := float64(h.Vp+h.maxT)*float64(C) + float64(L)*(12*float64(C)*float64(C)+13*float64(C)); f > 1<<44 {
		return llmcHeader{}, fmt.Errorf("bad header: implausible shape (V %d, maxT %d, L %d, C %d: %.3g parameters)", h.V, h.maxT, h.L, h.C, f)
	}
	h.numParams = int64(h.Vp)*C + int64(h.maxT)*C + L*12*C*C + L*13*C + 2*C
	h.expectedBytes = llmcHeaderBytes + h.numParams*h.elemSize
	switch {
	case size < h.expectedBytes:
		return llmcHeader{}, fmt.Errorf("truncated: %d bytes, the header's shape (V %d, maxT %d, L %d, C %d) needs %d", size, h.V, h.maxT, h.L, h.C, h.expectedBytes)
	case size > h.expectedBytes:
		return llmcHeader{}, fmt.Errorf("%d bytes of trailing data after the %d the header's shape needs", size-h.expectedBytes, h.expectedBytes)
	}
	return h, nil
}

// ImportLlmc reads an llm.c model file (version 3, fp32, or 5, bf16):
// the stacked [out, in] tensors are transposed into gptgo's [in, out]
// layout and the padded vocabulary rows V..Vp-1 of wte dropped. It
// returns notes for the user.
func ImportLlmc(path string, opt ImportOptions) (*Checkpoint, []string, error) {
	ck, notes, err := importLlmc(path, opt)
	if err != nil {
		return nil, nil, fmt.Errorf("llm.c model %s: %v", path, err)
	}
	return ck, notes, nil
}

func importLlmc(path string, opt ImportOptions) (*Checkpoint, []string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if fi.IsDir() {
		return nil, nil, errors.New("is a folder")
	}
	r := bufio.NewReaderSize(f, 1<<20)
	hb := make([]byte, llmcHeaderBytes)
	if k, err := io.ReadFull(r, hb); err != nil {
		if k >= 4 && int32(binary.LittleEndian.Uint32(hb)) != LlmcMagic {
			return nil, nil, fmt.Errorf("not an llm.c model file (magic %d, want %d)", int32(binary.LittleEndian.Uint32(hb)), LlmcMagic)
		}
		return nil, nil, fmt.Errorf("truncated: %d bytes, the header alone is %d", fi.Size(), llmcHeaderBytes)
	}
	h, err := parseLlmcHeader(hb, fi.Size())
	if err != nil {
		return nil, nil, err
	}
	c := model.Config{VocabSize: h.V, Context: h.maxT, Layers: h.L, Heads: h.NH, Embd: h.C, Activation: model.GELU}
	if err := c.Validate(); err != nil {
		return nil, nil, fmt.Errorf("bad header: %v", err)
	}
	spec, err := importTokenizer(opt, "", h.V)
	if err != nil {
		return nil, nil, err
	}
	ck := &Checkpoint{Config: c, Tokenizer: spec, Params: make([]float32, model.NumParams(c)), Provenance: NewProvenance()}
	v := model.NewViews(ck.Params, c)
	var scratch []float32
	raw := make([]byte, llmcChunk*h.elemSize)
	// read fills dst from the file in chunks (no file-sized buffers).
	read := func(dst []float32) error {
		for lo := 0; lo < len(dst); lo += llmcChunk {
			x := dst[lo:min(lo+llmcChunk, len(dst))]
			b := raw[:len(x)*int(h.elemSize)]
			if _, err := io.ReadFull(r, b); err != nil {
				return fmt.Errorf("truncated: %v", err)
			}
			if h.version == LlmcVersionBF16 {
				decodeBF16(x, b, false)
			} else {
				decodeF32(x, b, false)
			}
		}
		return nil
	}
	for _, t := range llmcTensors(c, h.Vp) {
		layers := 1
		if t.layered {
			layers = c.Layers
		}
		for l := 0; l < layers; l++ {
			dst := t.ours(&v, l)
			switch {
			case t.transpose:
				n := t.rows * t.cols
				if cap(scratch) < n {
					scratch = make([]float32, n)
				}
				if err := read(scratch[:n]); err != nil {
					return nil, nil, err
				}
				transpose(dst, scratch[:n], t.rows, t.cols)
			case t.name == "wte":
				if err := read(dst); err != nil {
					return nil, nil, err
				}
				// The padded rows V..Vp-1 are dropped.
				if _, err := r.Discard((h.Vp - h.V) * h.C * int(h.elemSize)); err != nil {
					return nil, nil, fmt.Errorf("truncated: %v", err)
				}
			default:
				if err := read(dst); err != nil {
					return nil, nil, err
				}
			}
		}
	}
	var notes []string
	if h.version == LlmcVersionBF16 {
		notes = append(notes, "bf16 weights widened to float32")
	}
	if h.Vp > h.V {
		notes = append(notes, fmt.Sprintf("padded vocabulary rows %d..%d of wte dropped", h.V, h.Vp-1))
	}
	return ck, notes, nil
}

// ExportLlmc writes ck as an llm.c model file, version 3 (fp32): the
// vocabulary padded to a multiple of 128 with zero rows, matmul weights
// transposed to [out, in]. llm.c computes GELU, so other activations are
// refused.
func ExportLlmc(path string, ck *Checkpoint) error {
	if err := exportLlmc(path, ck); err != nil {
		return fmt.Errorf("writing llm.c model %s: %v", path, err)
	}
	return nil
}

func exportLlmc(path string, ck *Checkpoint) error {
	c := ck.Config
	if err := c.Validate(); err != nil {
		return fmt.Errorf("config: %v", err)
	}
	if c.Activation != model.GELU {
		return fmt.Errorf("llm.c models use GELU; this model uses %s", c.Activation)
	}
	if n := model.NumParams(c); len(ck.Params) != n {
		return fmt.Errorf("%d parameters for a config of %d", len(ck.Params), n)
	}
	vp := llmcPaddedVocab(c.VocabSize)
	v := model.NewViews(ck.Params, c)
	return writeAtomic(path, func(w io.Writer) error {
		hb := make([]byte, llmcHeaderBytes)
		for i, x := range []int{LlmcMagic, LlmcVersionF32, c.Context, c.VocabSize, c.Layers, c.Heads, c.Embd, vp} {
			binary.LittleEndian.PutUint32(hb[4*i:], uint32(int32(x)))
		}
		if _, err := w.Write(hb); err != nil {
			return err
		}
		var scratch []float32
		raw := make([]byte, 4*llmcChunk)
		// write writes src in chunks.
		write := func(src []float32) error {
			for lo := 0; lo < len(src); lo += llmcChunk {
				x := src[lo:min(lo+llmcChunk, len(src))]
				b := raw[:4*len(x)]
				encodeF32(b, x, false)
				if _, err := w.Write(b); err != nil {
					return err
				}
			}
			return nil
		}
		for _, t := range llmcTensors(c, vp) {
			layers := 1
			if t.layered {
				layers = c.Layers
			}
			for l := 0; l < layers; l++ {
				src := t.ours(&v, l)
				if t.transpose {
					n := t.rows * t.cols
					if cap(scratch) < n {
						scratch = make([]float32, n)
					}
					transpose(scratch[:n], src, t.cols, t.rows) // ours is [in, out] = [cols, rows]
					src = scratch[:n]
				}
				if err := write(src); err != nil {
					return err
				}
				if t.name == "wte" { // zero rows V..Vp-1
					if err := write(make([]float32, (vp-c.VocabSize)*c.Embd)); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
}

// transpose writes the transpose of src, a rows×cols row-major matrix,
// into dst (cols×rows), in cache-friendly blocks.
func transpose(dst, src []float32, rows, cols int) {
	const blk = 32
	for i0 := 0; i0 < rows; i0 += blk {
		i1 := min(i0+blk, rows)
		for j0 := 0; j0 < cols; j0 += blk {
			j1 := min(j0+blk, cols)
			for i := i0; i < i1; i++ {
				row := src[i*cols : i*cols+cols]
				for j := j0; j < j1; j++ {
					dst[j*rows+i] = row[j]
				}
			}
		}
	}
}
