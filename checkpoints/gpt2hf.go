package checkpoints

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/gptgo/gptgo/model"
	"github.com/gptgo/gptgo/tokenizer"
)

// ImportOptions adjust how a foreign model file becomes a Checkpoint.
type ImportOptions struct {
	// Tokenizer, if set, is attached to the model. Otherwise the tokenizer
	// recorded in the file by gptgo is used, or GPT-2's (r50k_base) for a
	// vocabulary of 50257; any other file needs one.
	Tokenizer *tokenizer.Spec
}

// GPT2HeadSize is the width of an attention head in every GPT-2 size; an
// import without a config.json infers the number of heads as C/64.
const GPT2HeadSize = 64

// hfTokenizerKey is the safetensors metadata key under which gptgo records
// its tokenizer spec (JSON).
const hfTokenizerKey = "gptgo.tokenizer"

// hfConfig is the part of a Hugging Face GPT-2 config.json gptgo reads and
// writes.
type hfConfig struct {
	Architectures      []string `json:"architectures,omitempty"`
	ModelType          string   `json:"model_type,omitempty"`
	VocabSize          int      `json:"vocab_size"`
	NPositions         int      `json:"n_positions"`
	NCtx               int      `json:"n_ctx,omitempty"`
	NEmbd              int      `json:"n_embd"`
	NLayer             int      `json:"n_layer"`
	NHead              int      `json:"n_head"`
	ActivationFunction string   `json:"activation_function,omitempty"`
	LayerNormEpsilon   float64  `json:"layer_norm_epsilon,omitempty"`
	BOSTokenID         *int     `json:"bos_token_id,omitempty"`
	EOSTokenID         *int     `json:"eos_token_id,omitempty"`
	TieWordEmbeddings  *bool    `json:"tie_word_embeddings,omitempty"`
}

// hfActivations maps Hugging Face activation names to gptgo's. gelu_new
// and gelu_pytorch_tanh are GPT-2's tanh form, which gptgo computes.
var hfActivations = map[string]model.Activation{
	"gelu_new": model.GELU, "gelu_pytorch_tanh": model.GELU, "gelu_fast": model.GELU,
	"relu": model.ReLU, "tanh": model.Tanh, "sigmoid": model.Sigmoid,
}

var hfLayerRE = regexp.MustCompile(`^h\.(\d+)\.`)

// ImportHF reads a Hugging Face GPT-2 model.safetensors (names without a
// prefix or with "transformer."; Conv1D weights [in, out]) and the
// config.json beside it if there is one. The causal-mask buffers
// h.N.attn.bias and h.N.attn.masked_bias are skipped; an lm_head.weight
// must equal wte (the head is tied). The shape comes from the tensors:
// V and C from wte, the context from wpe, the layers from the h.N count,
// the heads from config.json's n_head, else C/64. It returns notes for the
// user about what was inferred or skipped.
func ImportHF(path string, opt ImportOptions) (*Checkpoint, []string, error) {
	ck, notes, err := importHF(path, opt)
	if err != nil {
		return nil, nil, fmt.Errorf("safetensors %s: %v", path, err)
	}
	return ck, notes, nil
}

func importHF(path string, opt ImportOptions) (*Checkpoint, []string, error) {
	s, err := openSafetensors(path)
	if err != nil {
		return nil, nil, err
	}
	defer s.Close()
	var notes []string

	// Map GPT-2 names to file names.
	names := map[string]string{}
	skipped := 0
	lmHead := ""
	layers := 0
	seenLayer := map[int]bool{}
	for _, t := range s.Tensors {
		n := strings.TrimPrefix(t.Name, "transformer.")
		if n == "lm_head.weight" {
			lmHead = t.Name
			continue
		}
		if m := hfLayerRE.FindStringSubmatch(n); m != nil {
			l, err := strconv.Atoi(m[1])
			if err != nil || l >= maxDim {
				return nil, nil, fmt.Errorf("tensor %q: bad layer number", t.Name)
			}
			layers = max(layers, l+1)
			seenLayer[l] = true
			if rest := n[len(m[0]):]; rest == "attn.bias" || rest == "attn.masked_bias" {
				skipped++
				continue
			}
		}
		if prev, ok := names[n]; ok {
			return nil, nil, fmt.Errorf("tensors %q and %q are both %s", prev, t.Name, n)
		}
		names[n] = t.Name
	}
	if skipped > 0 {
		notes = append(notes, fmt.Sprintf("skipped %d causal-mask buffers (h.N.attn.bias, h.N.attn.masked_bias)", skipped))
	}
	shapeOf := func(n string) ([]int, error) {
		fn, ok := names[n]
		if !ok {
			return nil, fmt.Errorf("not a GPT-2 model: no %s tensor", n)
		}
		t, _ := s.Tensor(fn)
		return t.Shape, nil
	}
	wte, err := shapeOf("wte.weight")
	if err != nil {
		return nil, nil, err
	}
	wpe, err := shapeOf("wpe.weight")
	if err != nil {
		return nil, nil, err
	}
	if len(wte) != 2 || len(wpe) != 2 || wte[1] != wpe[1] {
		return nil, nil, fmt.Errorf("shapes do not form a GPT-2: wte.weight %v and wpe.weight %v should be [V, C] and [maxT, C]", wte, wpe)
	}
	if layers == 0 {
		return nil, nil, errors.New("not a GPT-2 model: no h.N layers")
	}
	if len(seenLayer) != layers {
		for l := range layers {
			if !seenLayer[l] {
				return nil, nil, fmt.Errorf("not a GPT-2 model: layers up to h.%d but no h.%d", layers-1, l)
			}
		}
	}
	c := model.Config{VocabSize: wte[0], Context: wpe[0], Layers: layers, Embd: wte[1], Activation: model.GELU}
	if c.VocabSize > maxDim || c.Context > maxDim || c.Embd > maxDim {
		return nil, nil, fmt.Errorf("implausible shapes wte.weight %v, wpe.weight %v", wte, wpe)
	}

	cfgPath := filepath.Join(filepath.Dir(path), "config.json")
	hc, err := readHFConfig(cfgPath)
	switch {
	case errors.Is(err, os.ErrNotExist):
		c.Heads = c.Embd / GPT2HeadSize
		if c.Heads == 0 || c.Embd%GPT2HeadSize != 0 {
			return nil, nil, fmt.Errorf("no config.json beside the file, and the width %d is not a multiple of GPT-2's head size %d: the number of heads is unknown", c.Embd, GPT2HeadSize)
		}
		notes = append(notes, fmt.Sprintf("no config.json beside the file: %d heads inferred from GPT-2's head size %d (C = %d)", c.Heads, GPT2HeadSize, c.Embd))
	case err != nil:
		return nil, nil, err
	default:
		c.Heads = hc.NHead
		if hc.ActivationFunction != "" {
			act, ok := hfActivations[hc.ActivationFunction]
			if !ok {
				return nil, nil, fmt.Errorf("%s: activation_function %q is not one gptgo computes (gelu_new, relu, tanh, sigmoid)", cfgPath, hc.ActivationFunction)
			}
			c.Activation = act
		}
		if hc.LayerNormEpsilon != 0 && math.Abs(hc.LayerNormEpsilon-1e-5) > 1e-12 {
			notes = append(notes, fmt.Sprintf("%s: layer_norm_epsilon %g, gptgo uses 1e-05", cfgPath, hc.LayerNormEpsilon))
		}
		for _, d := range []struct {
			key       string
			cfg, file int
		}{{"vocab_size", hc.VocabSize, c.VocabSize}, {"n_positions", hc.NPositions, c.Context},
			{"n_embd", hc.NEmbd, c.Embd}, {"n_layer", hc.NLayer, c.Layers}} {
			if d.cfg != 0 && d.cfg != d.file {
				return nil, nil, fmt.Errorf("%s says %s %d, the tensors have %d", cfgPath, d.key, d.cfg, d.file)
			}
		}
	}
	if err := c.Validate(); err != nil {
		return nil, nil, fmt.Errorf("not a GPT-2 model: %v", err)
	}

	// Check every tensor's presence and shape before allocating (a
	// crafted h.N name must not make a huge model).
	layout := model.Layout(c)
	for _, t := range layout {
		hn := hfName(t.Name)
		fn, ok := names[hn]
		if !ok {
			return nil, nil, fmt.Errorf("not a GPT-2 model of %d layers: no %s tensor", c.Layers, hn)
		}
		ft, _ := s.Tensor(fn)
		if !sameShape(ft.Shape, t.Shape) {
			return nil, nil, fmt.Errorf("shapes do not form a GPT-2 (V %d, maxT %d, C %d): %s is %v, want %v", c.VocabSize, c.Context, c.Embd, fn, ft.Shape, t.Shape)
		}
	}
	ck := &Checkpoint{Config: c, Params: make([]float32, model.NumParams(c)), Provenance: NewProvenance()}
	for _, t := range layout {
		hn := hfName(t.Name)
		if err := s.read(ck.Params[t.Offset:t.Offset+t.Size], names[hn]); err != nil {
			return nil, nil, err
		}
		delete(names, hn)
	}
	if len(names) > 0 {
		var extra []string
		for _, fn := range names {
			extra = append(extra, fn)
		}
		slices.Sort(extra)
		return nil, nil, fmt.Errorf("unexpected tensor %q: not part of a GPT-2 of %d layers", extra[0], c.Layers)
	}
	if lmHead != "" {
		t, _ := s.Tensor(lmHead)
		if !sameShape(t.Shape, wte) {
			return nil, nil, fmt.Errorf("%s is %v, wte.weight %v: gptgo ties the head to wte", lmHead, t.Shape, wte)
		}
		head := make([]float32, t.NumElements())
		if err := s.read(head, lmHead); err != nil {
			return nil, nil, err
		}
		v := model.NewViews(ck.Params, c)
		for i := range head {
			if math.Float32bits(head[i]) != math.Float32bits(v.WTE[i]) {
				return nil, nil, fmt.Errorf("%s differs from wte.weight (element %d): gptgo needs the head tied to wte", lmHead, i)
			}
		}
		notes = append(notes, lmHead+" equals wte.weight (tied head): not stored separately")
	}

	spec, err := importTokenizer(opt, s.Metadata[hfTokenizerKey], c.VocabSize)
	if err != nil {
		return nil, nil, err
	}
	ck.Tokenizer = spec
	return ck, notes, nil
}

// importTokenizer picks the tokenizer of an imported model: the option,
// else the spec recorded by gptgo (JSON, may be empty), else GPT-2's for
// its vocabulary size.
func importTokenizer(opt ImportOptions, recorded string, vocab int) (tokenizer.Spec, error) {
	switch {
	case opt.Tokenizer != nil:
		return *opt.Tokenizer, nil
	case recorded != "":
		var s tokenizer.Spec
		if err := json.Unmarshal([]byte(recorded), &s); err != nil {
			return tokenizer.Spec{}, fmt.Errorf("bad %s metadata: %v", hfTokenizerKey, err)
		}
		return s, nil
	case vocab == model.GPT2Vocab:
		return tokenizer.Spec{Name: "gpt2"}, nil
	}
	return tokenizer.Spec{}, fmt.Errorf("vocabulary of %d is not GPT-2's %d: name the tokenizer (--tokenizer)", vocab, model.GPT2Vocab)
}

func readHFConfig(path string) (*hfConfig, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var hc hfConfig
	if err := json.Unmarshal(b, &hc); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if hc.NHead <= 0 {
		return nil, fmt.Errorf("%s: n_head missing or not positive", path)
	}
	if hc.ModelType != "" && hc.ModelType != "gpt2" {
		return nil, fmt.Errorf("%s: model_type %q, gptgo reads gpt2", path, hc.ModelType)
	}
	return &hc, nil
}

// hfName is the Hugging Face name of a model.Layout tensor: the same, with
// ".weight" added to the embeddings (wte, wpe).
func hfName(layoutName string) string {
	if layoutName == "wte" || layoutName == "wpe" {
		return layoutName + ".weight"
	}
	return layoutName
}

func sameShape(a, b []int) bool {
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

// hfActivationName is the Hugging Face name of an activation.
func hfActivationName(a model.Activation) string {
	if a == model.GELU {
		return "gelu_new"
	}
	return string(a)
}

// ExportHF writes ck as a Hugging Face GPT-2 model: path (safetensors,
// F32, names as model.Layout, no prefix, no lm_head) and config.json in the
// same folder. The tokenizer spec is kept in the safetensors metadata so
// ImportHF restores it.
func ExportHF(path string, ck *Checkpoint) error {
	c := ck.Config
	if err := c.Validate(); err != nil {
		return fmt.Errorf("exporting %s: config: %v", path, err)
	}
	if n := model.NumParams(c); len(ck.Params) != n {
		return fmt.Errorf("exporting %s: %d parameters for a config of %d", path, len(ck.Params), n)
	}
	spec, err := json.Marshal(ck.Tokenizer)
	if err != nil {
		return fmt.Errorf("exporting %s: %v", path, err)
	}
	var ts []SafetensorsOut
	for _, t := range model.Layout(c) {
		ts = append(ts, SafetensorsOut{Name: hfName(t.Name), Shape: t.Shape, Data: ck.Params[t.Offset : t.Offset+t.Size]})
	}
	meta := map[string]string{"format": "pt", hfTokenizerKey: string(spec), "gptgo.version": Version()}
	if err := WriteSafetensors(path, ts, meta); err != nil {
		return err
	}
	tied := true
	hc := hfConfig{Architectures: []string{"GPT2LMHeadModel"}, ModelType: "gpt2",
		VocabSize: c.VocabSize, NPositions: c.Context, NCtx: c.Context, NEmbd: c.Embd, NLayer: c.Layers, NHead: c.Heads,
		ActivationFunction: hfActivationName(c.Activation), LayerNormEpsilon: 1e-5, TieWordEmbeddings: &tied}
	if ck.Tokenizer.Name == "gpt2" && c.VocabSize >= model.GPT2Vocab {
		eot := model.GPT2Vocab - 1
		hc.BOSTokenID, hc.EOSTokenID = &eot, &eot
	}
	b, err := json.MarshalIndent(hc, "", "  ")
	if err != nil {
		return err
	}
	cfgPath := filepath.Join(filepath.Dir(path), "config.json")
	if err := writeAtomic(cfgPath, func(w io.Writer) error { _, err := w.Write(append(b, '\n')); return err }); err != nil {
		return fmt.Errorf("writing %s: %v", cfgPath, err)
	}
	return nil
}
