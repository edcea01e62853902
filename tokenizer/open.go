package tokenizer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
)

// Open resolves a tokenizer that needs no training: a built-in name (see
// New), a tokenizer.json or .bpe file, or a folder written by gpt prepare
// (its tokenizer.json). "bpe:VOCAB" names a BPE still to be trained on some
// text, which Open cannot do. Errors are one line.
func Open(name string) (Tokenizer, error) {
	if _, ok, _ := ParseBPEVocab(name); ok {
		return nil, fmt.Errorf("%s trains a new BPE: run gpt prepare with it, then pass the tokenizer.json it writes", name)
	}
	if tok, err := New(name); err == nil {
		return tok, nil
	}
	st, err := os.Stat(name)
	if err != nil {
		return nil, fmt.Errorf("unknown tokenizer %q (want gpt2, cl100k, o200k, byte, bpe:VOCAB or a tokenizer.json / .bpe file)", name)
	}
	path := name
	if st.IsDir() {
		path = filepath.Join(name, "tokenizer.json")
	}
	tok, err := Load(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %s", name, strings.ReplaceAll(err.Error(), "\n", " "))
	}
	return tok, nil
}

// AutoBPEVocab is the BPE vocabulary gpt train picks for a corpus of n
// bytes when none is named: about sqrt(n), rounded to a power of two,
// between 512 and 32768 (1024 for the 567 kB of Newton's Opticks).
func AutoBPEVocab(n int64) int {
	v := 512
	for v < 32768 && float64(v)*1.41 < math.Sqrt(float64(n)) {
		v *= 2
	}
	return v
}

// ForFiles returns the tokenizer name asks for to encode files: what Open
// resolves, or for "bpe:VOCAB" a new BPE trained on the files (with the
// GPT-4 split pattern); trained reports whether it was.
func ForFiles(name string, files []string) (tok Tokenizer, trained bool, err error) {
	vocab, isBPE, err := ParseBPEVocab(name)
	if err != nil {
		return nil, false, err
	}
	if !isBPE {
		tok, err := Open(name)
		return tok, false, err
	}
	tr, err := NewBPETrainer(PatternGPT4)
	if err != nil {
		return nil, false, err
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, false, err
		}
		tr.Add(b)
	}
	bpe, err := tr.Train(vocab)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %v", name, err)
	}
	return bpe, true, nil
}

// CheckSpecFile checks that the tokenizer.json at path, if there is one,
// describes tok. A missing file, or a file that is not a JSON spec (a text
// BPE file), passes: there is nothing to compare.
func CheckSpecFile(path string, tok Tokenizer) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var s Spec
	if err := json.Unmarshal(b, &s); err != nil {
		return nil
	}
	want, _ := json.Marshal(tok.Spec())
	got, _ := json.Marshal(s)
	if !bytes.Equal(want, got) {
		return fmt.Errorf("%s is tokenized with %s, the model uses %s", filepath.Dir(path), s.Name, tok.Spec().Name)
	}
	return nil
}
