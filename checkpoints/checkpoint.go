package checkpoints

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/gptgo/gptgo/kernels"
	"github.com/gptgo/gptgo/model"
	"github.com/gptgo/gptgo/tokenizer"
)

// FormatVersion is the version of the file format this package writes and
// reads.
const FormatVersion = 1

// Checkpoint is everything a checkpoint file holds.
type Checkpoint struct {
	Config     model.Config
	Tokenizer  tokenizer.Spec
	Params     []float32      // model.NumParams(Config) values in model.Layout order
	Weights    *model.Weights // quantized (q8_0, q4_0) weights, used when Params is nil
	Train      *TrainState    // nil in a weights-only (inference) file
	Provenance Provenance
}

// TrainState is what resuming a training run needs besides the parameters.
type TrainState struct {
	Step, Epoch int
	Loader      json.RawMessage // the data loader's position (opaque here)
	RNG         json.RawMessage // any other RNG state (opaque)
	Hyper       json.RawMessage // training flags to resume with (opaque)
	BestValLoss float64         // may be +Inf (no evaluation yet) or NaN
	AdamW       AdamWState
}

// AdamWState is the optimizer's state; M and V have the parameters' layout.
type AdamWState struct {
	Beta1, Beta2, Eps, WeightDecay float32
	Step                           int
	M, V                           []float32
}

// Provenance records where a checkpoint came from.
type Provenance struct {
	Created time.Time `json:"created"`
	Version string    `json:"version"` // gptgo version (module version and VCS revision)
	Command []string  `json:"command"` // command line
}

// NewProvenance returns the provenance of a checkpoint written now by this
// process: the current time (UTC), Version() and os.Args.
func NewProvenance() Provenance {
	return Provenance{Created: time.Now().UTC(), Version: Version(), Command: append([]string(nil), os.Args...)}
}

// Version describes the running gptgo build: the main module's version and,
// when the binary was built from a VCS checkout, the revision.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if rev != "" && v == "(devel)" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		v += " " + rev + dirty
	}
	return v
}

// Model returns a model with ck's config that adopts ck.Params: the model
// and the checkpoint share the parameter buffer afterwards. Without Params
// it is the quantized model of ck.Weights (see model.FromWeights).
func (ck *Checkpoint) Model() (*model.Model, error) {
	if err := ck.Config.Validate(); err != nil {
		return nil, fmt.Errorf("checkpoint config: %v", err)
	}
	if ck.Params == nil && ck.Weights != nil {
		return model.FromWeights(ck.Config, *ck.Weights)
	}
	if n := model.NumParams(ck.Config); len(ck.Params) != n {
		return nil, fmt.Errorf("checkpoint has %d parameters, its config needs %d", len(ck.Params), n)
	}
	return model.FromParams(ck.Config, ck.Params)
}

// DType is the dtype ck's matrices are in: F32 for Params, else the
// Weights'.
func (ck *Checkpoint) DType() kernels.DType {
	if ck.Params == nil && ck.Weights != nil {
		return ck.Weights.DType
	}
	return kernels.F32
}

// jsonFloat is a float64 whose JSON form allows NaN and ±Inf (as strings).
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	switch {
	case math.IsNaN(v):
		return []byte(`"NaN"`), nil
	case math.IsInf(v, 1):
		return []byte(`"+Inf"`), nil
	case math.IsInf(v, -1):
		return []byte(`"-Inf"`), nil
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}

func (f *jsonFloat) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(s) >= 2 && s[0] == '"' {
		s = s[1 : len(s)-1]
		if s != "NaN" && s != "+Inf" && s != "-Inf" {
			return fmt.Errorf("bad float %q", s)
		}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return err
	}
	*f = jsonFloat(v)
	return nil
}
