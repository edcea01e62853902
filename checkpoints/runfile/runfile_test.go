package runfile

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gptgo/gptgo/checkpoints"
	"github.com/gptgo/gptgo/data"
	"github.com/gptgo/gptgo/model"
	"github.com/gptgo/gptgo/tokenizer"
	"github.com/gptgo/gptgo/train"
)

var opts = train.Options{Batch: 2, Context: 8, MaxSteps: 10, LR: 3e-3, MinLR: 3e-4, Warmup: 2, WeightDecay: 0.1,
	GradClip: 1, GradAccum: 1, EvalEvery: 4, EvalBatches: 1, SaveEvery: 3, Seed: 5, Data: "somewhere",
	Dropout: 0.1, Beta1: 0.85, Beta2: 0.99, Eps: 1e-7, Init: "base.safetensors (safetensors)"}

func run(t *testing.T, dir string, stopAfter int, from *train.Snapshot) *train.Run {
	t.Helper()
	m := (*model.Model)(nil)
	if from != nil {
		m = from.Model
	} else {
		var err error
		if m, err = model.New(model.Config{VocabSize: 257, Context: 8, Layers: 1, Heads: 2, Embd: 8, Activation: model.GELU}, 2); err != nil {
			t.Fatal(err)
		}
	}
	ids := make([]int32, 500)
	for i := range ids {
		ids[i] = int32((i*7 + i/5) % 40)
	}
	r, err := train.NewRun(&train.Run{Model: m, Tokenizer: tokenizer.Byte{}.Spec(), OutDir: dir, Store: Store{Dir: dir},
		TrainData: data.Slice{Label: "t", IDs: ids}, ValData: data.Slice{Label: "v", IDs: ids[:100]},
		StopAfter: stopAfter, Opt: opts}, from)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	return r
}

// Stopping at step 4, reopening the checkpoint file and going on to step
// 10 ends with the same parameters, bit for bit, as 10 steps in one go;
// the options come back from the file.
func TestResumeFromFileIsExact(t *testing.T) {
	oneGo := run(t, t.TempDir(), 0, nil)
	dir := t.TempDir()
	run(t, dir, 4, nil)
	for _, f := range []string{checkpoints.Latest(dir), checkpoints.Best(dir), checkpoints.Step(dir, 3)} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("run folder lacks %s", f)
		}
	}
	snap, tok, path, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if path != checkpoints.Latest(dir) || snap.Step != 4 || snap.Opt != opts || tok.Spec().Name != "byte" {
		t.Fatalf("Open: %s, step %d, options %+v, tokenizer %s", path, snap.Step, snap.Opt, tok.Spec().Name)
	}
	resumed := run(t, dir, 0, snap)
	for i, want := range oneGo.Model.Params {
		if got := resumed.Model.Params[i]; math.Float32bits(got) != math.Float32bits(want) {
			t.Fatalf("parameter %d: %v after a resume, %v in one go", i, got, want)
		}
	}
}

func TestOpenWeightsOnly(t *testing.T) {
	dir := t.TempDir()
	r := run(t, dir, 2, nil)
	ck := &checkpoints.Checkpoint{Config: r.Model.Config, Tokenizer: tokenizer.Byte{}.Spec(), Params: r.Model.Params}
	w := filepath.Join(dir, "w.ckpt")
	if err := checkpoints.Save(w, ck, checkpoints.SaveOptions{WeightsOnly: true}); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := Open(w); err == nil || !strings.Contains(err.Error(), "weights-only checkpoint has no training state") {
		t.Fatalf("Open(weights-only): %v", err)
	}
}
