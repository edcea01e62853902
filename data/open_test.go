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
	p.Close()
	encode := func(s string) []int { return []int{len(s), 1} }
	for path, want := range map[string]int{dir: 3, filepath.Join(dir, TrainFile): 5, text: 2} {
		toks, closer, err := OpenEval(path, encode)
		if err != nil || toks.Len() != want {
			t.Fatalf("OpenEval(%s): %v tokens, %v; want %d", path, toks, err, want)
		}
		closer()
	}
	for path, want := range map[string]string{
		filepath.Join(dir, "nope"): "no such file or folder",
		t.TempDir():                "a folder without a val.bin",
		junk:                       "neither a token file nor text",
	} {
		if _, _, err := OpenEval(path, encode); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("OpenEval(%s): %v, want %q", path, err, want)
		}
	}
	if n := Size([]string{text, junk, filepath.Join(dir, "nope")}); n != 8 {
		t.Errorf("Size = %d, want 8", n)
	}
}
