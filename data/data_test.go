package data

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gptgo/gptgo/tokenizer"
)

const shakespearePath = "../../shared/data/tinyshakespeare.txt"

func readShakespeare(tb testing.TB) []byte {
	tb.Helper()
	b, err := os.ReadFile(shakespearePath)
	if err != nil {
		tb.Skipf("tinyshakespeare not available (%v): put it at ../shared/data/tinyshakespeare.txt next to the repository", err)
	}
	return b
}

// oneLine checks that err is a one-line error containing each of want.
func oneLine(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", want)
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") {
		t.Fatalf("error has several lines: %q", msg)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Fatalf("error %q does not contain %q", msg, w)
		}
	}
}

func TestTokenFileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, vocab := range []int{50257, 1 << 16, 100277} {
		ids := []int32{0, 1, 65535 % int32(vocab), int32(vocab - 1), 42}
		p := filepath.Join(dir, "t.bin")
		if err := WriteTokens(p, ids, vocab); err != nil {
			t.Fatal(err)
		}
		tf, err := OpenTokens(p)
		if err != nil {
			t.Fatal(err)
		}
		if tf.Version() != VersionFor(vocab) || !reflect.DeepEqual(tf.All(), ids) {
			t.Fatalf("vocab %d: version %d ids %v", vocab, tf.Version(), tf.All())
		}
		tf.Close()
		st, _ := os.Stat(p)
		width := map[int]int64{Version16: 2, Version32: 4}[VersionFor(vocab)]
		if st.Size() != HeaderBytes+width*int64(len(ids)) {
			t.Fatalf("size %d", st.Size())
		}
	}
	if err := WriteTokens(filepath.Join(dir, "x.bin"), []int32{70000}, 50257); err == nil {
		t.Fatal("id beyond vocabulary written")
	}
}

func TestTokenFileLlmcHeader(t *testing.T) {
	p := filepath.Join(t.TempDir(), "t.bin")
	WriteTokens(p, []int32{5962, 22307}, 50257)
	b, _ := os.ReadFile(p)
	hdr := []uint32{binary.LittleEndian.Uint32(b), binary.LittleEndian.Uint32(b[4:]), binary.LittleEndian.Uint32(b[8:])}
	if !reflect.DeepEqual(hdr, []uint32{20240520, 1, 2}) || binary.LittleEndian.Uint16(b[1024:]) != 5962 {
		t.Fatalf("header %v", hdr)
	}
}

func writeRaw(t *testing.T, magic, version, count int32, ntok int) string {
	p := filepath.Join(t.TempDir(), "bad.bin")
	b := make([]byte, HeaderBytes+2*ntok)
	binary.LittleEndian.PutUint32(b, uint32(magic))
	binary.LittleEndian.PutUint32(b[4:], uint32(version))
	binary.LittleEndian.PutUint32(b[8:], uint32(count))
	os.WriteFile(p, b, 0o644)
	return p
}

func TestTokenFileBad(t *testing.T) {
	p := writeRaw(t, 20240326, 1, 3, 3)
	_, err := OpenTokens(p)
	oneLine(t, err, p, "bad magic 20240326")
	p = writeRaw(t, Magic, 7, 3, 3)
	_, err = OpenTokens(p)
	oneLine(t, err, p, "unknown token file version 7")
	p = writeRaw(t, Magic, 1, 100, 3)
	_, err = OpenTokens(p)
	oneLine(t, err, p, "truncated", "100 tokens")
	p = writeRaw(t, Magic, 1, 1, 3)
	_, err = OpenTokens(p)
	oneLine(t, err, p, "bytes after the 1 tokens")
	short := filepath.Join(t.TempDir(), "short.bin")
	os.WriteFile(short, []byte("hello"), 0o644)
	_, err = OpenTokens(short)
	oneLine(t, err, short, "shorter than the 1024-byte header")
	_, err = OpenTokens(filepath.Join(t.TempDir(), "missing.bin"))
	oneLine(t, err, "missing.bin")
}

func seqTokens(n int) Slice {
	ids := make([]int32, n)
	for i := range ids {
		ids[i] = int32(i)
	}
	return Slice{Label: "seq", IDs: ids}
}

func TestLoaderSequential(t *testing.T) {
	// 21 tokens, T=4: windows (21-1)/4 = 5, B=2: 2 iterations per epoch.
	l, err := NewLoader(seqTokens(21), 2, 4, 1, true)
	if err != nil {
		t.Fatal(err)
	}
	if l.Windows() != 5 || l.ItersPerEpoch() != 2 {
		t.Fatalf("windows %d iters %d", l.Windows(), l.ItersPerEpoch())
	}
	x, y := make([]int32, 8), make([]int32, 8)
	want := [][]int32{{0, 1, 2, 3, 4, 5, 6, 7}, {8, 9, 10, 11, 12, 13, 14, 15}, {0, 1, 2, 3, 4, 5, 6, 7}}
	for i, w := range want {
		if err := l.Next(x, y); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(x, w) {
			t.Fatalf("batch %d inputs %v want %v", i, x, w)
		}
		for j := range y {
			if y[j] != x[j]+1 {
				t.Fatalf("targets %v not shifted inputs %v", y, x)
			}
		}
	}
	if l.Epoch() != 1 {
		t.Fatalf("epoch %d", l.Epoch())
	}
}

func TestLoaderShuffleCoversAndResumes(t *testing.T) {
	src := seqTokens(1001) // T=10: 100 windows, B=4: 25 iterations
	l, err := NewLoader(src, 4, 10, 42, false)
	if err != nil {
		t.Fatal(err)
	}
	x, y := make([]int32, 40), make([]int32, 40)
	var epochs [2][]int32
	for e := range 2 {
		seen := map[int32]bool{}
		for range l.ItersPerEpoch() {
			l.Next(x, y)
			for b := range 4 {
				start := x[b*10]
				if start%10 != 0 || seen[start] {
					t.Fatalf("window start %d repeated or misaligned", start)
				}
				seen[start] = true
				epochs[e] = append(epochs[e], start)
			}
		}
		if len(seen) != 100 {
			t.Fatalf("epoch %d saw %d windows", e, len(seen))
		}
	}
	if reflect.DeepEqual(epochs[0], epochs[1]) {
		t.Fatal("epochs 0 and 1 have the same order")
	}
	// Save mid-epoch, through JSON, and resume in a new loader.
	l.Next(x, y)
	js, _ := json.Marshal(l.State())
	var want [][]int32
	for range 40 {
		l.Next(x, y)
		want = append(want, append([]int32(nil), x...))
	}
	var st LoaderState
	json.Unmarshal(js, &st)
	l2, _ := NewLoader(src, 4, 10, 7, false)
	if err := l2.Restore(st); err != nil {
		t.Fatal(err)
	}
	for i := range 40 {
		l2.Next(x, y)
		if !reflect.DeepEqual(x, want[i]) {
			t.Fatalf("resumed batch %d differs", i)
		}
	}
	// Same seed, same order.
	a, _ := NewLoader(src, 4, 10, 42, false)
	a.Next(x, y)
	if x[0] != epochs[0][0] {
		t.Fatal("same seed gave a different first window")
	}
	l3, _ := NewLoader(src, 2, 10, 42, false)
	oneLine(t, l3.Restore(st), "seq", "B=4")
}

func TestLoaderTooShort(t *testing.T) {
	_, err := NewLoader(Slice{Label: "tiny.bin", IDs: make([]int32, 64)}, 1, 64, 0, false)
	oneLine(t, err, "tiny.bin", "64 tokens", "context+1 = 65", "context 64")
	_, err = NewLoader(Slice{Label: "small.bin", IDs: make([]int32, 200)}, 8, 64, 0, false)
	oneLine(t, err, "small.bin", "batch size 8")
	l, _ := NewLoader(seqTokens(100), 2, 4, 0, false)
	oneLine(t, l.Next(make([]int32, 3), make([]int32, 8)), "B*T = 8")
}

func TestLoaderTokenFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "t.bin")
	WriteTokens(p, seqTokens(1001).IDs, 50257)
	tf, err := OpenTokens(p)
	if err != nil {
		t.Fatal(err)
	}
	defer tf.Close()
	l, err := NewLoader(tf, 3, 16, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	x, y := make([]int32, 48), make([]int32, 48)
	l.Next(x, y)
	if x[47] != 47 || y[47] != 48 {
		t.Fatalf("x %v y %v", x, y)
	}
	allocs := testing.AllocsPerRun(100, func() { l.Next(x, y) })
	if allocs != 0 {
		t.Fatalf("%v allocations per batch", allocs)
	}
}

func TestIsText(t *testing.T) {
	for s, want := range map[string]bool{
		"hello\n": true, "héllo wörld": true, "tab\tesc\x1b[0m": true,
		"a\x00b": false, "\x01\x02\x03\x04abc": false, "\xff\xfe\xfd\xfc": false,
		"cut at the end \xe2\x82": true,
	} {
		if got := IsText([]byte(s)); got != want {
			t.Errorf("IsText(%q) = %v", s, got)
		}
	}
}

func TestCollect(t *testing.T) {
	dir := t.TempDir()
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "sub", ".git"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "a.txt"), []byte("alpha\n"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "sub", "b.md"), []byte("beta\n"), 0o644))
	must(os.WriteFile(filepath.Join(dir, "sub", "c.bin"), []byte{0, 1, 2}, 0o644))
	must(os.WriteFile(filepath.Join(dir, "sub", "empty.txt"), nil, 0o644))
	must(os.WriteFile(filepath.Join(dir, "sub", ".git", "HEAD"), []byte("ref\n"), 0o644))
	files, err := Collect([]string{dir})
	must(err)
	want := []string{filepath.Join(dir, "a.txt"), filepath.Join(dir, "sub", "b.md")}
	if !reflect.DeepEqual(files, want) {
		t.Fatalf("got %v want %v", files, want)
	}
	files, err = Collect([]string{filepath.Join(dir, "*.txt"), filepath.Join(dir, "a.txt")})
	must(err)
	if len(files) != 1 {
		t.Fatalf("glob: %v", files)
	}
	_, err = Collect([]string{filepath.Join(dir, "nope.txt")})
	oneLine(t, err, "nope.txt: no such file or directory")
	_, err = Collect([]string{filepath.Join(dir, "*.zip")})
	oneLine(t, err, "*.zip: no files match")
	_, err = Collect([]string{filepath.Join(dir, "sub", "empty.txt")})
	oneLine(t, err, "empty.txt: empty file")
	_, err = Collect([]string{filepath.Join(dir, "sub", "c.bin")})
	oneLine(t, err, "c.bin: binary file")
	_, err = Collect(nil)
	oneLine(t, err, "no data paths")
	must(os.MkdirAll(filepath.Join(dir, "void"), 0o755))
	_, err = Collect([]string{filepath.Join(dir, "void")})
	oneLine(t, err, "void: no text files")
}

func TestSplitShakespeareGPT2(t *testing.T) {
	text := readShakespeare(t)
	tok, err := tokenizer.New("gpt2")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	opt := Options{Encode: tok.Encode, EOT: tok.EOT(), VocabSize: tok.VocabSize(), ValFraction: 0.1, TokenizerJSON: []byte(`{"name":"gpt2"}`)}
	st, err := Prepare(dir, []string{shakespearePath}, opt)
	if err != nil {
		t.Fatal(err)
	}
	if st.TrainTokens != 304222 || st.ValTokens != 33803 {
		t.Fatalf("split %d/%d, want 304222/33803", st.TrainTokens, st.ValTokens)
	}
	train, err := ReadTokens(filepath.Join(dir, "train.bin"))
	if err != nil {
		t.Fatal(err)
	}
	val, _ := ReadTokens(filepath.Join(dir, "val.bin"))
	// Segmented parallel encoding equals encoding the whole text at once.
	whole := tok.Encode(string(text))
	if len(segments(text)) < 2 {
		t.Fatal("tinyshakespeare was not segmented")
	}
	for i, id := range append(train, val...) {
		if int(id) != whole[i] {
			t.Fatalf("token %d: %d, whole-text encoding has %d", i, id, whole[i])
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "tokenizer.json")); string(b) != `{"name":"gpt2"}` {
		t.Fatalf("tokenizer.json %q", b)
	}
}

func TestSegmentsSafeForBPE(t *testing.T) {
	text := readShakespeare(t)
	bpe, err := tokenizer.TrainBPE(text[:200000], 2000, tokenizer.PatternGPT4)
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, s := range segments(text) {
		got = append(got, bpe.Encode(string(s))...)
	}
	if !reflect.DeepEqual(got, bpe.Encode(string(text))) {
		t.Fatal("segmented BPE encoding differs")
	}
}

func TestTokenizeJoinsWithEOT(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.txt"), filepath.Join(dir, "b.txt")
	os.WriteFile(a, []byte("0123456789"), 0o644)
	os.WriteFile(b, []byte("abcdefghij"), 0o644)
	tok := tokenizer.Byte{}
	train, val, st, err := Tokenize([]string{a, b}, Options{Encode: tok.Encode, EOT: tok.EOT(), VocabSize: 257, ValFraction: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	if string(bytesOf(train)) != "01234567\x00abcdefgh" || string(bytesOf(val)) != "89\x00ij" || st.Files != 2 {
		t.Fatalf("train %v val %v", train, val)
	}
	_, _, _, err = Tokenize([]string{a}, Options{Encode: tok.Encode, ValFraction: 1})
	oneLine(t, err, "--val-fraction 1")
}

// bytesOf maps ids to bytes, EOT (256) to NUL, for compact comparisons.
func bytesOf(ids []int32) []byte {
	b := make([]byte, len(ids))
	for i, id := range ids {
		if id != 256 {
			b[i] = byte(id)
		}
	}
	return b
}

// FuzzOpenTokens checks that any file content gives a token file or an
// error, never a panic, and that valid files read back.
func FuzzOpenTokens(f *testing.F) {
	dir := f.TempDir()
	good := filepath.Join(dir, "good.bin")
	WriteTokens(good, []int32{1, 2, 3}, 50257)
	b, _ := os.ReadFile(good)
	f.Add(b)
	f.Add(b[:HeaderBytes+3])
	f.Add([]byte("not a token file"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "f.bin")
		os.WriteFile(p, b, 0o644)
		tf, err := OpenTokens(p)
		if err != nil {
			if !strings.Contains(err.Error(), p) {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		tf.All()
		tf.Close()
	})
}
