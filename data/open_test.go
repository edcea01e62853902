package data

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestOpenEvalAndPrepared(t *testing.T) {
	dir := t.TempDir()
	ids := []int32{5, 6, 7, 8, 9}
	if err := WriteTokens(filepath.Join(dir, TrainFile), ids, 300); err != nil {
		t.Fatal(err)
	}
	if err := WriteTokens(filepath.Join(dir, ValFile), ids[:3], 300); err != nil {
		t.Fatal(err)
	}
	text := filepath.Join(dir, "t.txt")
	os.WriteFile(text, []byte("abc"), 0o644)
	junk := filepath.Join(dir, "junk")
	os.WriteFile(junk, []byte{0, 1, 2, 0, 0}, 0o644)

	if !IsPrepared(dir) || IsPrepared(t.TempDir()) {
		t.Fatal("IsPrepared does not follow train.bin")
	}
	p, err := OpenPrepared(dir)
	if err != nil || p.Train.Len() != 5 || p.Val == nil || p.Val.Len() != 3 {
		t.Fatalf("OpenPrepared: %+v, %v", p, err)
	}
	defer p.Close()
	encode := func(s string) []int { return []int{len(s), 1} }
	for path, want := range map[string]int{dir: 3, filepath.Join(dir, TrainFile): 5, text: 2} {
		toks, closer, err := OpenEval(path, 300, encode)
		if err != nil || toks.Len() != want {
			t.Fatalf("OpenEval(%s): %v tokens, %v; want %d", path, toks, err, want)
		}
		closer()
	}
	// A token outside the model's vocabulary is found when the file opens,
	// named by index and byte offset.
	if _, _, err := OpenEval(filepath.Join(dir, TrainFile), 8, encode); err == nil ||
		!strings.Contains(err.Error(), "token 3 (byte offset 1030) is id 8, outside the vocabulary of 8") {
		t.Errorf("OpenEval with vocabulary 8: %v", err)
	}
	if err := p.Check(9); err == nil || !strings.Contains(err.Error(), TrainFile+": token 4 (byte offset 1032) is id 9") {
		t.Errorf("Prepared.Check(9): %v", err)
	}
	if err := p.Check(300); err != nil {
		t.Errorf("Prepared.Check(300): %v", err)
	}
	for path, want := range map[string]string{
		filepath.Join(dir, "nope"): "no such file or folder",
		t.TempDir():                "a folder without a val.bin",
		junk:                       "neither a token file nor text",
	} {
		if _, _, err := OpenEval(path, 300, encode); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("OpenEval(%s): %v, want %q", path, err, want)
		}
	}
	if n := Size([]string{text, junk, filepath.Join(dir, "nope")}); n != 8 {
		t.Errorf("Size = %d, want 8", n)
	}
}

// A token file appears whole or not at all: a write that fails leaves
// nothing at the path and no temporary file beside it.
func TestTokenWriterIsAtomic(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, TrainFile)
	if err := WriteTokens(path, []int32{1, 2, 3}, 300); err != nil {
		t.Fatal(err)
	}
	old, _ := os.ReadFile(path)
	if err := WriteTokens(path, []int32{1, 2, 300}, 300); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("an id outside the vocabulary: %v", err)
	}
	if now, _ := os.ReadFile(path); string(now) != string(old) {
		t.Fatal("the failed write changed the file")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("left %d files, want the one token file", len(entries))
	}
	tw, err := CreateTokens(filepath.Join(dir, "new.bin"), 300)
	if err != nil {
		t.Fatal(err)
	}
	tw.Write([]int32{4, 5})
	if _, err := os.Stat(filepath.Join(dir, "new.bin")); err == nil {
		t.Fatal("the file is at its path before Close")
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if ids, err := ReadTokens(filepath.Join(dir, "new.bin")); err != nil || len(ids) != 2 {
		t.Fatalf("after Close: %v, %v", ids, err)
	}
}

// endless is a reader that never ends, like /dev/zero.
type endless struct{}

func (endless) Read(p []byte) (int, error) { return len(p), nil }

// ReadAtMost reads up to its limit and refuses more, with a line naming
// what it read.
func TestReadAtMost(t *testing.T) {
	if _, err := ReadAtMost(endless{}, 1<<20, "stdin"); err == nil || err.Error() != "stdin: more than 1 MiB, the most read into memory at once" {
		t.Fatalf("endless input: %v", err)
	}
	b, err := ReadAtMost(strings.NewReader("abc"), 3, "x")
	if err != nil || string(b) != "abc" {
		t.Fatalf("exactly the limit: %q, %v", b, err)
	}
}
