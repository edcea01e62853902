package bench

import (
	"fmt"
	"testing"

	"github.com/gptgo/gptgo/model"
)

func TestPlan(t *testing.T) {
	c := model.Config{VocabSize: 97, Context: 64, Layers: 2, Heads: 4, Embd: 32, Activation: model.GELU}
	meter := NewReadMeter(1 << 10)
	p := Plan{Kinds: map[string]bool{PP: true, TG: true, Train: true}, PP: []int{16, 100}, TG: []int{8, 60},
		TrainContext: 256, Meter: meter}
	var got []string
	for _, test := range p.Tests(c, DefaultTrainBatch("tiny")) {
		if (test.Kind == TG) != (test.Meter == meter) {
			t.Fatalf("%s: meter %v", test, test.Meter)
		}
		got = append(got, fmt.Sprintf("%s %v", test, test.Fits(c)))
	}
	want := []string{"pp16 true", "pp100 false", "tg8 true", "tg60 false", "train B8 T64 true"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("tests %v, want %v", got, want)
	}

	p = Plan{Kinds: map[string]bool{Train: true}, PP: []int{16}, TrainBatch: 2, TrainContext: 16}
	if got := fmt.Sprint(p.Tests(c, DefaultTrainBatch(""))); got != "[train B2 T16]" {
		t.Fatalf("train only, batch 2: %s", got)
	}
	if DefaultTrainBatch("gpt2") != 4 || DefaultTrainBatch("") != 4 {
		t.Fatal("default train batch is not 4 outside tiny")
	}
}
