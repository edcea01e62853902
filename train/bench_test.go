package train

import (
	"testing"

	"github.com/gptgo/gptgo/kernels"
	"github.com/gptgo/gptgo/model"
)

// benchStep times one full training step (forward, backward, clipping,
// AdamW) and reports tokens/s, GFLOP/s by 6N + 12LCT, and allocations.
func benchStep(b *testing.B, preset string, B, T int) {
	c, err := model.Preset(preset, model.GPT2Vocab)
	if err != nil {
		b.Fatal(err)
	}
	m, err := model.New(c, 1)
	if err != nil {
		b.Fatal(err)
	}
	s := NewStepper(m, 1)
	tokens, targets := make([]int32, B*T), make([]int32, B*T)
	for i := range tokens {
		tokens[i] = int32(i * 7919 % c.VocabSize)
		targets[i] = int32((i + 1) * 7919 % c.VocabSize)
	}
	tb, gb := [][]int32{tokens}, [][]int32{targets}
	if _, _, err := s.Step(tb, gb, B, T, 1e-4, kernels.Dropout{}); err != nil { // warm-up: buffers
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, _, err := s.Step(tb, gb, B, T, 1e-4, kernels.Dropout{}); err != nil {
			b.Fatal(err)
		}
	}
	sec := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(B*T)/sec, "tok/s")
	b.ReportMetric(model.TrainFlopsPerToken(c, T)*float64(B*T)/sec/1e9, "GFLOP/s")
}

// Config T of ../shared/REFERENCE.md: tiny preset, batch 8, context 256.
func BenchmarkTrainStepTiny(b *testing.B) { benchStep(b, "tiny", 8, 256) }

// Config M: GPT-2 124M, batch 4, context 256.
func BenchmarkTrainStepGPT2(b *testing.B) { benchStep(b, "gpt2", 4, 256) }
