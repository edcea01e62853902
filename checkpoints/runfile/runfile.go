// Package runfile keeps a training run's snapshots as gptgo checkpoint
// files in its folder (latest.ckpt, best.ckpt, step-N.ckpt) and reads one
// back to resume. It joins package train, which knows what a run is, and
// package checkpoints, which knows how a file is laid out, so that neither
// imports the other.
package runfile

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gptgo/gptgo/checkpoints"
	"github.com/gptgo/gptgo/tokenizer"
	"github.com/gptgo/gptgo/train"
)

// Store is a train.Store writing checkpoint files into Dir.
type Store struct{ Dir string }

// Path is Dir's latest.ckpt, best.ckpt or step-N.ckpt.
func (s Store) Path(kind string, step int) string {
	switch kind {
	case train.Best:
		return checkpoints.Best(s.Dir)
	case train.Steps:
		return checkpoints.Step(s.Dir, step)
	}
	return checkpoints.Latest(s.Dir)
}

// Save writes snap as a resumable checkpoint at path, atomically.
func (s Store) Save(path string, snap *train.Snapshot) error {
	ck, err := Checkpoint(snap)
	if err != nil {
		return err
	}
	return checkpoints.Save(path, ck, checkpoints.SaveOptions{})
}

// Checkpoint returns snap as a checkpoint; it shares snap's slices.
func Checkpoint(snap *train.Snapshot) (*checkpoints.Checkpoint, error) {
	ls, err := json.Marshal(snap.Loader)
	if err != nil {
		return nil, err
	}
	opts, err := json.Marshal(snap.Opt)
	if err != nil {
		return nil, err
	}
	a := snap.AdamW
	prov := checkpoints.NewProvenance()
	if snap.Command != nil {
		prov.Command = snap.Command
	}
	return &checkpoints.Checkpoint{
		Config: snap.Model.Config, Tokenizer: snap.Tokenizer, Params: snap.Model.Params, Provenance: prov,
		Train: &checkpoints.TrainState{
			Step: snap.Step, Epoch: snap.Epoch, Loader: ls, Hyper: opts, BestValLoss: snap.BestValLoss,
			AdamW: checkpoints.AdamWState{Beta1: a.Beta1, Beta2: a.Beta2, Eps: a.Eps,
				WeightDecay: a.WeightDecay, Step: a.Step, M: a.M, V: a.V},
		},
	}, nil
}

// Open reads the snapshot of a resumable checkpoint (a file, or a run
// folder's latest.ckpt) with its tokenizer and the file it read. Errors are
// one line naming the file.
func Open(path string) (*train.Snapshot, tokenizer.Tokenizer, string, error) {
	o, err := checkpoints.Open(path, checkpoints.OpenOptions{KeepTrain: true})
	if err != nil {
		return nil, nil, "", err
	}
	st := o.Train
	if st == nil {
		return nil, nil, "", fmt.Errorf("%s: a weights-only checkpoint has no training state", o.Path)
	}
	snap := &train.Snapshot{Model: o.Model, Tokenizer: o.Tokenizer.Spec(), Step: st.Step, Epoch: st.Epoch,
		BestValLoss: st.BestValLoss, Command: o.Provenance.Command}
	if err := json.Unmarshal(st.Hyper, &snap.Opt); err != nil {
		return nil, nil, "", fmt.Errorf("%s: training options: %v", o.Path, err)
	}
	if err := json.Unmarshal(st.Loader, &snap.Loader); err != nil {
		return nil, nil, "", fmt.Errorf("%s: data loader state: %v", o.Path, err)
	}
	a := st.AdamW // its hyper-parameters, step and moments are what NewRun restores
	snap.AdamW = &train.AdamW{Beta1: a.Beta1, Beta2: a.Beta2, Eps: a.Eps, WeightDecay: a.WeightDecay,
		Step: a.Step, M: a.M, V: a.V}
	return snap, o.Tokenizer, o.Path, nil
}

// Existing returns the first file of a run that dir holds (latest.ckpt,
// best.ckpt, a step-N.ckpt or metrics.jsonl), or "" for none: a fresh
// run there would replace it.
func Existing(dir string) string {
	for _, p := range []string{checkpoints.Latest(dir), checkpoints.Best(dir), filepath.Join(dir, train.MetricsFile)} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "step-*.ckpt")); len(m) > 0 {
		return m[0]
	}
	return ""
}

// RemoveTemp deletes the temporary files a killed save left in the run
// folder dir (checkpoints' ".NAME.tmp-*", the plot's "loss.png.tmp.png")
// and returns their names. Call it only while holding dir's Lock: another
// run's save in progress would be one of them.
func RemoveTemp(dir string) ([]string, error) {
	var removed []string
	for _, pattern := range []string{".*.ckpt.tmp-*", "loss.png.tmp.png"} {
		m, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil {
			return removed, err
		}
		for _, p := range m {
			if err := os.Remove(p); err != nil {
				return removed, err
			}
			removed = append(removed, filepath.Base(p))
		}
	}
	return removed, nil
}
