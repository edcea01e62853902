package model

import (
	"math"
	"testing"
)

func TestFlopCounts(t *testing.T) {
	c, _ := Preset("gpt2", GPT2Vocab)
	// One decoded token at position 0 of GPT-2: ~2 FLOPs per weight it
	// multiplies (85M in the blocks, 38.6M in the head).
	got := DecodeFlopsPerToken(c, 0, 1)
	want := 2*float64(12*12*768*768) + 2*float64(50257*768) + 12*4*768
	if math.Abs(got-want) > 1 {
		t.Fatalf("decode FLOPs %g, want %g", got, want)
	}
	if b := DecodeBytesPerToken(c, 0, 1); math.Abs(b-4*float64(124439808-1023*768+2*12*768)) > 1 {
		t.Fatalf("decode bytes %g", b)
	}
}
