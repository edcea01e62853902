package tokenizer

import (
	"bytes"
	"encoding/json"
	"testing"
)

// Any bytes as a BPE file: ReadBPE never panics, and what it accepts
// encodes and decodes text.
func FuzzReadBPE(f *testing.F) {
	var b bytes.Buffer
	bpe, err := TrainBPE([]byte("the cat sat on the mat with the hat"), 300, PatternGPT4)
	if err != nil {
		f.Fatal(err)
	}
	if _, err := bpe.WriteTo(&b); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	f.Add([]byte("gptgo-bpe 1\npattern none\nmerges 1\nspecial 257 <|endoftext|>\n256 97 97\n"))
	f.Fuzz(func(t *testing.T, file []byte) {
		tok, err := ReadBPE(bytes.NewReader(file), "fuzz.bpe")
		if err != nil {
			return
		}
		if got := tok.Decode(tok.Encode("the cat, the hat")); got != "the cat, the hat" {
			t.Fatalf("round trip: %q", got)
		}
	})
}

// Any JSON as a tokenizer spec (tokenizer.json, or a checkpoint's
// metadata): FromSpec never panics.
func FuzzFromSpec(f *testing.F) {
	f.Add([]byte(`{"name":"byte"}`))
	f.Add([]byte(`{"name":"bpe","pattern":"none","merges":[[97,97],[256,256]]}`))
	f.Add([]byte(`{"name":"bpe","merges":[[97,300]]}`))
	f.Fuzz(func(t *testing.T, js []byte) {
		var s Spec
		if json.Unmarshal(js, &s) != nil {
			return
		}
		if s.Name == "gpt2" || s.Name == "cl100k" || s.Name == "o200k" {
			return // the built-in tables: nothing of the input is parsed
		}
		if tok, err := FromSpec(s); err == nil {
			tok.Decode(tok.Encode("fuzz"))
		}
	})
}
