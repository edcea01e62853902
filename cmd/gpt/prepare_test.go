package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gptgo/gptgo/data"
	"github.com/gptgo/gptgo/tokenizer"
)

// runCmd runs gpt with args and stdin, capturing what the command writes.
func runCmd(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	oldIn, oldOut, oldErr := cmdStdin, cmdStdout, cmdStderr
	cmdStdin, cmdStdout, cmdStderr = strings.NewReader(stdin), &out, &errb
	defer func() { cmdStdin, cmdStdout, cmdStderr = oldIn, oldOut, oldErr }()
	code = run(args, &errb)
	return code, out.String(), errb.String()
}

// wantFail checks exit code 1 and a one-line "gpt CMD: ..." error
// containing each of want.
func wantFail(t *testing.T, code int, stderr string, want ...string) {
	t.Helper()
	if code != 1 {
		t.Fatalf("exit code %d, want 1 (stderr %q)", code, stderr)
	}
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "gpt ") {
		t.Fatalf("error line %q does not start with 'gpt '", last)
	}
	for _, w := range want {
		if !strings.Contains(last, w) {
			t.Fatalf("error %q does not contain %q", last, w)
		}
	}
}

func writeFile(t *testing.T, path string, b []byte) string {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestPrepareByteAndBPE(t *testing.T) {
	dir := t.TempDir()
	corpus := filepath.Join(dir, "corpus")
	os.MkdirAll(filepath.Join(corpus, "sub"), 0o755)
	text := strings.Repeat("the quick brown fox jumps over the lazy dog.\n", 200)
	writeFile(t, filepath.Join(corpus, "a.txt"), []byte(text))
	writeFile(t, filepath.Join(corpus, "sub", "b.txt"), []byte(text))
	writeFile(t, filepath.Join(corpus, "sub", "skip.bin"), []byte{0, 1, 2, 3})
	out := filepath.Join(dir, "out")
	code, stdout, stderr := runCmd(t, "", "prepare", "--data", corpus, "--tokenizer", "byte", "--out", out)
	if code != 0 {
		t.Fatalf("code %d: %s", code, stderr)
	}
	// Each document: 9000 bytes -> 8100 train, 900 val; joined with one EOT.
	if !strings.Contains(stdout, "train.bin: 16201 tokens") || !strings.Contains(stdout, "val.bin: 1801 tokens") {
		t.Fatalf("stdout %q", stdout)
	}
	ids, err := data.ReadTokens(filepath.Join(out, "train.bin"))
	if err != nil || len(ids) != 16201 || ids[8100] != 256 {
		t.Fatalf("train.bin: %d ids, err %v", len(ids), err)
	}
	code, stdout, stderr = runCmd(t, "", "prepare", "--tokenizer", "bpe:300", "--out", out, "--val-fraction", "0.5", filepath.Join(corpus, "a.txt"))
	if code != 0 {
		t.Fatalf("code %d: %s", code, stderr)
	}
	tok, err := tokenizer.Load(filepath.Join(out, "tokenizer.json"))
	if err != nil || tok.VocabSize() > 300 || tok.VocabSize() < 280 {
		t.Fatalf("tokenizer.json: err %v", err)
	}
	bpe, err := tokenizer.LoadBPE(filepath.Join(out, "tokenizer.bpe"))
	if err != nil || bpe.VocabSize() != tok.VocabSize() {
		t.Fatalf("tokenizer.bpe: %v", err)
	}
	train, _ := data.ReadTokens(filepath.Join(out, "train.bin"))
	val, _ := data.ReadTokens(filepath.Join(out, "val.bin"))
	var all []int
	for _, id := range append(train, val...) {
		all = append(all, int(id))
	}
	if tok.Decode(all) != text {
		t.Fatal("train+val do not decode to the text")
	}
	// The prepared folder works as a tokenizer for gpt tokenize.
	code, stdout, _ = runCmd(t, "the fox", "tokenize", "--tokenizer", out, "--ids")
	if code != 0 || stdout == "" {
		t.Fatalf("tokenize with the prepared folder: %d %q", code, stdout)
	}
}

func TestPrepareShakespeareGPT2(t *testing.T) {
	src := "../../../shared/data/tinyshakespeare.txt"
	if _, err := os.Stat(src); err != nil {
		t.Skipf("tinyshakespeare not available (%v): put it at ../shared/data/tinyshakespeare.txt next to the repository", err)
	}
	out := t.TempDir()
	code, stdout, stderr := runCmd(t, "", "prepare", "--data", src, "--out", out)
	if code != 0 {
		t.Fatalf("code %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "train.bin: 304222 tokens") || !strings.Contains(stdout, "val.bin: 33803 tokens") {
		t.Fatalf("stdout %q", stdout)
	}
}

func TestPrepareBadInput(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, filepath.Join(dir, "good.txt"), []byte("hello world\n"))
	empty := writeFile(t, filepath.Join(dir, "empty.txt"), nil)
	bin := writeFile(t, filepath.Join(dir, "model.bin"), []byte{0x7f, 'E', 'L', 'F', 0, 0, 1, 2})
	out := filepath.Join(dir, "out")
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"--data", filepath.Join(dir, "missing.txt"), "--out", out}, []string{"gpt prepare:", "missing.txt: no such file or directory"}},
		{[]string{"--data", empty, "--out", out}, []string{"empty.txt: empty file"}},
		{[]string{"--data", bin, "--out", out}, []string{"model.bin: binary file"}},
		{[]string{"--data", filepath.Join(dir, "*.zip"), "--out", out}, []string{"*.zip: no files match"}},
		{[]string{"--data", good, "--out", out, "--tokenizer", "gpt5"}, []string{"--tokenizer", `unknown tokenizer "gpt5"`}},
		{[]string{"--data", good, "--out", out, "--tokenizer", "bpe:12"}, []string{"--tokenizer", "bpe:VOCAB"}},
		{[]string{"--data", good, "--out", out, "--val-fraction", "1.5"}, []string{"--val-fraction 1.5"}},
		{[]string{"--data", good}, []string{"--out"}},
		{[]string{"--out", out}, []string{"--data"}},
		{[]string{"--bogus"}, []string{"bogus"}},
	}
	for _, c := range cases {
		code, _, stderr := runCmd(t, "", append([]string{"prepare"}, c.args...)...)
		wantFail(t, code, stderr, c.want...)
	}
}

func TestTokenize(t *testing.T) {
	code, stdout, stderr := runCmd(t, "hello world", "tokenize", "--ids")
	if code != 0 || stdout != "31373 995\n" || !strings.HasPrefix(stderr, "2 tokens, 11 bytes") {
		t.Fatalf("code %d stdout %q stderr %q", code, stdout, stderr)
	}
	code, stdout, _ = runCmd(t, "hello world\n", "tokenize", "--color", "never")
	if code != 0 || stdout != "hello| world|\n" {
		t.Fatalf("boundaries %q", stdout)
	}
	code, stdout, _ = runCmd(t, "héllo", "tokenize", "--tokenizer", "byte", "--color", "always")
	if code != 0 || !strings.Contains(stdout, "é") || !strings.Contains(stdout, "\x1b[") {
		t.Fatalf("colored %q", stdout)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--tokenizer", "gpt5"}, `unknown tokenizer "gpt5"`},
		{[]string{"--tokenizer", "bpe:4096"}, "gpt prepare"},
		{[]string{"--color", "pink"}, "--color"},
		{[]string{"extra"}, "unexpected argument"},
	} {
		code, _, stderr := runCmd(t, "x", append([]string{"tokenize"}, c.args...)...)
		wantFail(t, code, stderr, "gpt tokenize:", c.want)
	}
	bad := writeFile(t, filepath.Join(t.TempDir(), "bad.json"), []byte(`{"name": "bpe", "merges": [[1, 999]]}`))
	code, _, stderr = runCmd(t, "x", "tokenize", "--tokenizer", bad)
	wantFail(t, code, stderr, "bad.json", "not yet defined")
}
