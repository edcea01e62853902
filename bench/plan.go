package bench

import "github.com/gptgo/gptgo/model"

// Plan is the tests to run on each model.
type Plan struct {
	Kinds        map[string]bool // which of PP, TG and Train to run
	PP, TG       []int           // tokens of each pp and each tg test
	Seqs         []int           // sequences decoded together in each tg test (none: 1)
	TrainBatch   int             // train batch; 0: the model's default
	TrainContext int             // train context, capped at the model's
	Meter        *ReadMeter      // given to every tg test; nil: none
}

// Tests lists the plan's tests for a model of shape c whose default train
// batch is batch: the pp tests, the tg tests, then the train test. Some
// may not fit the model's context (Test.Fits).
func (p Plan) Tests(c model.Config, batch int) []Test {
	var list []Test
	if p.Kinds[PP] {
		for _, n := range p.PP {
			list = append(list, Test{Kind: PP, N: n})
		}
	}
	if p.Kinds[TG] {
		seqs := p.Seqs
		if len(seqs) == 0 {
			seqs = []int{1}
		}
		for _, n := range p.TG {
			for _, S := range seqs {
				t := Test{Kind: TG, N: n, Seqs: S}
				if S <= 1 {
					t.Meter = p.Meter // the bound is per single stream
				}
				list = append(list, t)
			}
		}
	}
	if p.Kinds[Train] {
		if p.TrainBatch > 0 {
			batch = p.TrainBatch
		}
		list = append(list, Test{Kind: Train, B: batch, T: min(p.TrainContext, c.Context)})
	}
	return list
}

// DefaultTrainBatch is the train test's batch for a preset: 8 for tiny, 4
// otherwise (and for a checkpoint, preset "").
func DefaultTrainBatch(preset string) int {
	if preset == "tiny" {
		return 8
	}
	return 4
}
