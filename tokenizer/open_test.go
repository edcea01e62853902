package tokenizer

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestOpenAndForFiles(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "t.txt")
	if err := os.WriteFile(text, []byte(strings.Repeat("hello world, hello there. ", 50)), 0o644); err != nil {
		t.Fatal(err)
	}
	bpe, trained, err := ForFiles("bpe:300", []string{text})
	if err != nil || !trained || bpe.VocabSize() <= 257 || bpe.VocabSize() > 300 {
		t.Fatalf("ForFiles bpe:300: trained %v, err %v", trained, err)
	}
	spec, err := MarshalSpec(bpe)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), spec, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{dir, filepath.Join(dir, "tokenizer.json")} {
		tok, err := Open(name)
		if err != nil {
			t.Fatalf("Open(%s): %v", name, err)
		}
		if got, want := tok.Encode("hello world"), bpe.Encode("hello world"); !slices.Equal(got, want) {
			t.Fatalf("Open(%s) encodes %v, the trained BPE %v", name, got, want)
		}
	}
	if tok, trained, err := ForFiles("byte", nil); err != nil || trained || tok.VocabSize() != 257 {
		t.Fatalf("ForFiles byte: trained %v, err %v", trained, err)
	}
	if err := CheckSpecFile(filepath.Join(dir, "tokenizer.json"), Byte{}); err == nil || !strings.Contains(err.Error(), "is tokenized with bpe, the model uses byte") {
		t.Fatalf("CheckSpecFile with another tokenizer: %v", err)
	}
	if err := CheckSpecFile(filepath.Join(dir, "tokenizer.json"), bpe); err != nil {
		t.Fatalf("CheckSpecFile with the same tokenizer: %v", err)
	}
	for name, want := range map[string]string{"bpe:512": "trains a new BPE", "nope": "unknown tokenizer", text: text} {
		if _, err := Open(name); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Open(%q): %v, want an error with %q", name, err, want)
		}
	}
}

func TestAutoBPEVocab(t *testing.T) {
	for n, want := range map[int64]int{0: 512, 567198: 1024, 4 << 20: 2048, 1 << 40: 32768} {
		if got := AutoBPEVocab(n); got != want {
			t.Errorf("AutoBPEVocab(%d) = %d, want %d", n, got, want)
		}
	}
}
