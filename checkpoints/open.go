package checkpoints

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/gptgo/gptgo/kernels"
	"github.com/gptgo/gptgo/model"
	"github.com/gptgo/gptgo/tokenizer"
)

// OpenOptions adjust Open.
type OpenOptions struct {
	// Tokenizer, if set, replaces the file's own: needed for an llm.c file
	// or a foreign safetensors file of a vocabulary other than GPT-2's.
	Tokenizer tokenizer.Tokenizer
	// KeepTrain keeps a gptgo checkpoint's training state (optimizer
	// moments and data position); otherwise it is dropped at once.
	KeepTrain bool
}

// Opened is a model read by Open, ready to run.
type Opened struct {
	Model     *model.Model
	Tokenizer tokenizer.Tokenizer
	Path      string // the file read (a folder's latest.ckpt or model.safetensors)
	Format    Format
	// DType is the dtype the file stores the matrices in, and the model
	// holds them in: q8_0 or q4_0 for a quantized checkpoint, else f32
	// (bfloat16 files are widened to float32, which is exact).
	DType      kernels.DType
	Provenance Provenance
	Notes      []string    // what the reader assumed, for the user
	Train      *TrainState // with KeepTrain, a resumable checkpoint's state; else nil
}

// Open reads a model in any format gptgo knows: a gptgo checkpoint or a run
// folder (its latest.ckpt), a Hugging Face model.safetensors or its folder,
// or an llm.c model file. It is the one way every command reads a model,
// so they accept the same paths and fail with the same one-line errors,
// each naming the path.
func Open(path string, opt OpenOptions) (*Opened, error) {
	file, err := ModelFile(path)
	if err != nil {
		return nil, err
	}
	var imp ImportOptions
	if opt.Tokenizer != nil {
		spec := opt.Tokenizer.Spec()
		imp.Tokenizer = &spec
	}
	ck, format, notes, err := Import(file, imp)
	if err != nil {
		return nil, err
	}
	tok, err := checkTokenizer(ck, file, opt.Tokenizer)
	if err != nil {
		return nil, err
	}
	o := &Opened{Tokenizer: tok, Path: file, Format: format, Provenance: ck.Provenance, Notes: notes}
	if opt.KeepTrain {
		o.Train = ck.Train
	}
	ck.Train = nil // the optimizer state is twice the model: let it go
	if o.Model, err = ck.Model(); err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	o.DType = o.Model.W.DType
	return o, nil
}

// Checkpoint returns the opened model as a checkpoint sharing its
// parameters, or its weights once quantized, for Save and Export.
func (o *Opened) Checkpoint() *Checkpoint {
	ck := &Checkpoint{Config: o.Model.Config, Tokenizer: o.Tokenizer.Spec(), Params: o.Model.Params,
		Train: o.Train, Provenance: o.Provenance}
	if ck.Params == nil {
		w := o.Model.W
		ck.Weights = &w
	}
	return ck
}

// ModelFile resolves what Open reads at path: path itself, or for a folder
// its model.safetensors or, failing that, its latest.ckpt.
func ModelFile(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("no model at %s (want a .ckpt or run folder, a model.safetensors or its folder, or an llm.c .bin)", path)
	}
	if !fi.IsDir() {
		return path, nil
	}
	if st := filepath.Join(path, "model.safetensors"); fileExists(st) {
		return st, nil
	}
	if fileExists(Latest(path)) {
		return Latest(path), nil
	}
	return "", fmt.Errorf("%s is a folder without a %s or a model.safetensors", path, LatestName)
}

// checkTokenizer builds ck's tokenizer (or takes the caller's) and checks
// that its ids fit the model's vocabulary.
func checkTokenizer(ck *Checkpoint, path string, given tokenizer.Tokenizer) (tokenizer.Tokenizer, error) {
	tok := given
	if tok == nil {
		var err error
		if tok, err = tokenizer.FromSpec(ck.Tokenizer); err != nil {
			return nil, fmt.Errorf("%s: tokenizer: %v", path, err)
		}
	}
	if tok.VocabSize() > ck.Config.VocabSize {
		return nil, fmt.Errorf("%s: the tokenizer %s has %d ids, the model only %d (pass --tokenizer)",
			path, tok.Spec().Name, tok.VocabSize(), ck.Config.VocabSize)
	}
	return tok, nil
}
