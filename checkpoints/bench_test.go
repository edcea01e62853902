package checkpoints

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/gptgo/gptgo/kernels"
	"github.com/gptgo/gptgo/model"
	"github.com/gptgo/gptgo/tokenizer"
)

var (
	gpt2Once sync.Once
	gpt2Ck   *Checkpoint
)

// gpt2Checkpoint returns a GPT-2 124M checkpoint with GPT-2 initialisation
// and AdamW moments as after a few hundred steps of gradients of scale 1e-3.
func gpt2Checkpoint(b *testing.B) *Checkpoint {
	gpt2Once.Do(func() {
		c, err := model.Preset("gpt2", model.GPT2Vocab)
		if err != nil {
			b.Fatal(err)
		}
		m, err := model.New(c, 1)
		if err != nil {
			b.Fatal(err)
		}
		n := len(m.Params)
		mo, v := make([]float32, n), make([]float32, n)
		r := rand.New(rand.NewPCG(1, 2))
		for i := range mo {
			g := float32(r.NormFloat64()) * 1e-3
			mo[i] = g
			v[i] = g*g + float32(r.NormFloat64()*r.NormFloat64())*1e-8
			if v[i] < 0 {
				v[i] = -v[i]
			}
		}
		gpt2Ck = &Checkpoint{Config: c, Tokenizer: tokenizer.Spec{Name: "gpt2"}, Params: m.Params,
			Train: &TrainState{Step: 300, BestValLoss: 3.5,
				AdamW: AdamWState{Beta1: 0.9, Beta2: 0.95, Eps: 1e-8, WeightDecay: 0.1, Step: 300, M: mo, V: v}},
			Provenance: NewProvenance()}
	})
	return gpt2Ck
}

var benchVariants = []struct {
	name string
	opt  SaveOptions
}{
	{"weights-f32-shuffle", SaveOptions{WeightsOnly: true}},
	{"weights-f32-plain", SaveOptions{WeightsOnly: true, NoShuffle: true}},
	{"weights-f32-shuffle-level3", SaveOptions{WeightsOnly: true, Level: 3}},
	{"weights-bf16-shuffle", SaveOptions{WeightsOnly: true, DType: kernels.BF16}},
	{"weights-bf16-plain", SaveOptions{WeightsOnly: true, DType: kernels.BF16, NoShuffle: true}},
	{"weights-q8_0", SaveOptions{WeightsOnly: true, DType: kernels.Q8_0}},
	{"weights-q4_0", SaveOptions{WeightsOnly: true, DType: kernels.Q4_0}},
	{"resumable-shuffle", SaveOptions{}},
	{"resumable-plain", SaveOptions{NoShuffle: true}},
}

// rawBytes is the size of the float32 tensors a file of opt holds.
func rawBytes(ck *Checkpoint, opt SaveOptions) float64 {
	n := float64(4 * len(ck.Params))
	if !opt.WeightsOnly {
		n *= 3
	}
	return n
}

// BenchmarkSave saves GPT-2 124M; MB/s is of the float32 tensors saved.
func BenchmarkSave(b *testing.B) {
	ck := gpt2Checkpoint(b)
	dir := b.TempDir()
	for _, v := range benchVariants {
		b.Run(v.name, func(b *testing.B) {
			path := filepath.Join(dir, v.name+".ckpt")
			for b.Loop() {
				if err := Save(path, ck, v.opt); err != nil {
					b.Fatal(err)
				}
			}
			fi, err := os.Stat(path)
			if err != nil {
				b.Fatal(err)
			}
			raw := rawBytes(ck, v.opt)
			b.ReportMetric(raw/1e6/(b.Elapsed().Seconds()/float64(b.N)), "MB/s")
			b.ReportMetric(float64(fi.Size())/1e6, "fileMB")
			b.ReportMetric(raw/1e6, "rawMB")
			b.ReportMetric(float64(fi.Size())/raw, "ratio")
		})
	}
}

// BenchmarkLoad loads the files of BenchmarkSave's variants.
func BenchmarkLoad(b *testing.B) {
	ck := gpt2Checkpoint(b)
	dir := b.TempDir()
	for _, v := range benchVariants {
		path := filepath.Join(dir, v.name+".ckpt")
		b.Run(v.name, func(b *testing.B) {
			if err := Save(path, ck, v.opt); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := Load(path); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(rawBytes(ck, v.opt)/1e6/(b.Elapsed().Seconds()/float64(b.N)), "MB/s")
		})
		os.Remove(path)
	}
}
