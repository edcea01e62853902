package tokenizer

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/dlclark/regexp2"
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

var trickyTexts = []string{
	"",
	"a",
	"Hello, world!",
	"hello world",
	"  leading and trailing  ",
	"don't I'll we've they're she'd I'm it's DON'T IT'S 'sup ''s",
	"x\n\ny\r\n\r\nz\n",
	"tabs\tand\t\tspaces   \n  \n",
	"numbers 1 12 123 1234 12345 3.14159 1e10 x2",
	"punct!!! ... ?!? (a) [b] {c} <|endoftext|> a<|endoftext|>b",
	" \n \n\n   x",
	"日本語のテキスト、そして中文。 Ελληνικά κείμενα. Русский текст!",
	"emoji 👍🏽 🇺🇸 family 👨‍👩‍👧",
	"ends with space ",
	"ends with newline\n",
	"    ",
	"\u00a0nbsp\u00a0 and \u2003em space",
	"invalid \xff\xfe bytes \xc3 and \xe2\x82",
	"\x00\x01\x02 control",
	strings.Repeat("a", 1000),
	strings.Repeat(" ", 700) + "x",
	strings.Repeat("ab", 400),
}

// gpt4Regexp is cl100k_base's split pattern, compiled by regexp2, to check
// the hand-written splitter against.
var gpt4Regexp = regexp2.MustCompile(`(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`, regexp2.None)

func splitRegexp(s string) []string {
	var out []string
	runes := []rune(s)
	m, _ := gpt4Regexp.FindStringMatch(s)
	for m != nil {
		out = append(out, string(runes[m.Index:m.Index+m.Length]))
		m, _ = gpt4Regexp.FindNextMatch(m)
	}
	return out
}

func splitHand(s string) []string {
	var out []string
	splitGPT4([]byte(s), func(tok []byte) { out = append(out, string(tok)) })
	return out
}

func TestSplitGPT4MatchesRegexp(t *testing.T) {
	for _, s := range trickyTexts {
		if !utf8.ValidString(s) {
			continue
		}
		if got, want := splitHand(s), splitRegexp(s); !reflect.DeepEqual(got, want) {
			t.Errorf("split %q:\n got %q\nwant %q", s, got, want)
		}
	}
}

func TestSplitGPT4Shakespeare(t *testing.T) {
	b := readShakespeare(t)
	s := string(b[:200000])
	got, want := splitHand(s), splitRegexp(s)
	if !reflect.DeepEqual(got, want) {
		for i := range min(len(got), len(want)) {
			if got[i] != want[i] {
				t.Fatalf("pre-token %d: got %q want %q", i, got[i], want[i])
			}
		}
		t.Fatalf("got %d pre-tokens, want %d", len(got), len(want))
	}
}

func FuzzSplitGPT4(f *testing.F) {
	for _, s := range trickyTexts {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got := strings.Join(splitHand(s), ""); got != s {
			t.Fatalf("pre-tokens of %q join to %q", s, got)
		}
		// regexp2 and Go's unicode tables agree on ASCII; compare there.
		for i := 0; i < len(s); i++ {
			if s[i] >= 0x80 {
				return
			}
		}
		if got, want := splitHand(s), splitRegexp(s); !reflect.DeepEqual(got, want) {
			t.Fatalf("split %q:\n got %q\nwant %q", s, got, want)
		}
	})
}

func TestMinBPE(t *testing.T) {
	for _, pat := range []string{PatternNone, PatternGPT4} {
		bpe, err := TrainBPE([]byte("aaabdaaabac"), 256+3+1, pat)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := bpe.Encode("aaabdaaabac"), []int{258, 100, 258, 97, 99}; !reflect.DeepEqual(got, want) {
			t.Errorf("pattern %s: got %v, want %v", pat, got, want)
		}
		if bpe.VocabSize() != 260 || bpe.EOT() != 259 {
			t.Errorf("pattern %s: vocab %d EOT %d, want 260 259", pat, bpe.VocabSize(), bpe.EOT())
		}
	}
}

func TestTrainStopsWhenNoPairs(t *testing.T) {
	bpe, err := TrainBPE([]byte("ab"), 1000, PatternNone)
	if err != nil {
		t.Fatal(err)
	}
	if bpe.VocabSize() != 258 {
		t.Fatalf("vocab %d, want 258", bpe.VocabSize())
	}
	if _, err := TrainBPE([]byte("ab"), 100, ""); err == nil || !strings.Contains(err.Error(), "257") {
		t.Fatalf("vocab 100: err %v", err)
	}
	if _, err := TrainBPE([]byte("ab"), 300, "gpt5"); err == nil {
		t.Fatal("unknown pattern accepted")
	}
}

// naiveTrain is minbpe's quadratic algorithm (recount every pair after each
// merge) with the same tie rule, to check the incremental trainer.
func naiveTrain(words [][]int32, nMerges int) [][2]int {
	var merges [][2]int
	for len(merges) < nMerges {
		counts := map[uint64]int64{}
		for _, w := range words {
			for i := 0; i+1 < len(w); i++ {
				counts[pairKey(w[i], w[i+1])]++
			}
		}
		best, bestC := uint64(0), int64(0)
		for k, c := range counts {
			if c > bestC || (c == bestC && k < best) {
				best, bestC = k, c
			}
		}
		if bestC == 0 {
			break
		}
		a, b := int32(best>>32), int32(uint32(best))
		n := int32(256 + len(merges))
		merges = append(merges, [2]int{int(a), int(b)})
		for wi, w := range words {
			out := w[:0]
			for i := 0; i < len(w); i++ {
				if i+1 < len(w) && w[i] == a && w[i+1] == b {
					out = append(out, n)
					i++
				} else {
					out = append(out, w[i])
				}
			}
			words[wi] = out
		}
	}
	return merges
}

func TestTrainMatchesNaive(t *testing.T) {
	text := strings.Join(trickyTexts, " ") + " the cat sat on the mat; the the the aaaa aaaaa ababab"
	var words [][]int32
	splitGPT4([]byte(text), func(c []byte) {
		w := make([]int32, len(c))
		for i := range c {
			w[i] = int32(c[i])
		}
		words = append(words, w)
	})
	want := naiveTrain(words, 300)
	bpe, err := TrainBPE([]byte(text), 257+300, PatternGPT4)
	if err != nil {
		t.Fatal(err)
	}
	if got := bpe.Merges(); !reflect.DeepEqual(got, want) {
		t.Fatalf("merges differ from the naive trainer:\n got %v\nwant %v", got, want)
	}
}

func trainedShakespeare(tb testing.TB, vocab int) (*BPE, []byte) {
	text := readShakespeare(tb)
	bpe, err := TrainBPE(text, vocab, PatternGPT4)
	if err != nil {
		tb.Fatal(err)
	}
	return bpe, text
}

func TestBPEShakespeare(t *testing.T) {
	bpe, text := trainedShakespeare(t, 1024)
	ids := bpe.Encode(string(text))
	if got := bpe.Decode(ids); got != string(text) {
		t.Fatal("decode(encode(tinyshakespeare)) differs")
	}
	ratio := float64(len(text)) / float64(len(ids))
	t.Logf("vocab 1024: %d tokens, %.2f bytes/token", len(ids), ratio)
	if ratio < 2.5 {
		t.Errorf("only %.2f bytes per token", ratio)
	}
	// Save / load gives identical ids, through both formats.
	var buf bytes.Buffer
	if _, err := bpe.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := ReadBPE(bytes.NewReader(buf.Bytes()), "test.bpe")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Encode(string(text)), ids) {
		t.Error("loaded BPE encodes differently")
	}
	js, _ := json.Marshal(bpe.Spec())
	tok, err := UnmarshalSpec(js)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(tok.Encode(string(text)), ids) {
		t.Error("BPE rebuilt from its spec encodes differently")
	}
}

func TestEncodeLongMatchesShort(t *testing.T) {
	bpe, text := trainedShakespeare(t, 600)
	var sc bpeScratch
	for off := 0; off+256 < 30000; off += 97 {
		chunk := text[off : off+200]
		a := bpe.encodeChunk(nil, chunk, &sc)
		b := bpe.encodeLong(nil, chunk)
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("offset %d: short %v long %v", off, a, b)
		}
	}
}

func TestReadBPEErrors(t *testing.T) {
	cases := map[string]string{
		"":                                  "empty BPE file",
		"hello\n":                           "not a gptgo BPE file",
		"gptgo-bpe 1\n256 1 2\n258 1 2\n":   "out of order",
		"gptgo-bpe 1\n256 1 999\n":          "not yet defined",
		"gptgo-bpe 1\nmerges 2\n256 1 2\n":  "header says 2 merges",
		"gptgo-bpe 1\n256 104 105 \"hx\"\n": "not \"hx\"",
		"gptgo-bpe 1\npattern gpt5\n":       "unknown split pattern",
		"gptgo-bpe 1\n256 104 x\n":          "bad id",
		"gptgo-bpe 1\n256 1 2\n257 1 2\n":   "repeats",
	}
	for in, want := range cases {
		_, err := ReadBPE(strings.NewReader(in), "t.bpe")
		if err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "t.bpe") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: err %v, want one line naming t.bpe containing %q", in, err, want)
		}
	}
}

func TestNewAndSpec(t *testing.T) {
	if _, err := New("gpt3"); err == nil || !strings.Contains(err.Error(), `unknown tokenizer "gpt3"`) {
		t.Fatalf("err %v", err)
	}
	for _, name := range []string{"byte", "gpt2"} {
		tok, err := New(name)
		if err != nil {
			t.Fatal(err)
		}
		back, err := FromSpec(tok.Spec())
		if err != nil || back.Spec().Name != name {
			t.Fatalf("%s: FromSpec: %v %v", name, back, err)
		}
	}
	if _, ok, err := ParseBPEVocab("bpe:4096"); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if _, ok, err := ParseBPEVocab("bpe:x"); !ok || err == nil {
		t.Fatal(ok, err)
	}
}

func TestGPT2Shakespeare(t *testing.T) {
	text := readShakespeare(t)
	tok, err := New("gpt2")
	if err != nil {
		t.Fatal(err)
	}
	ids := tok.Encode(string(text))
	if len(ids) != 338025 {
		t.Errorf("got %d tokens, want 338025", len(ids))
	}
	if want := []int{5962, 22307, 25, 198, 8421, 356, 5120, 597, 2252, 11}; !reflect.DeepEqual(ids[:10], want) {
		t.Errorf("first ids %v, want %v", ids[:10], want)
	}
	if tok.Decode(ids) != string(text) {
		t.Error("decode(encode(tinyshakespeare)) differs")
	}
	if tok.VocabSize() != 50257 || tok.EOT() != 50256 {
		t.Errorf("vocab %d eot %d", tok.VocabSize(), tok.EOT())
	}
}

func TestTiktokenKnownIDs(t *testing.T) {
	if testing.Short() {
		t.Skip("loads cl100k and o200k")
	}
	cases := []struct {
		name string
		ids  []int
	}{
		{"gpt2", []int{31373, 995}},
		{"cl100k", []int{15339, 1917}},
		{"o200k", []int{24912, 2375}},
	}
	for _, c := range cases {
		tok, err := New(c.name)
		if err != nil {
			t.Fatal(err)
		}
		if got := tok.Encode("hello world"); !reflect.DeepEqual(got, c.ids) {
			t.Errorf("%s: hello world = %v, want %v", c.name, got, c.ids)
		}
		if got := tok.Decode([]int{tok.EOT()}); got != EndOfText {
			t.Errorf("%s: EOT decodes to %q", c.name, got)
		}
		if got := tok.Encode(EndOfText); len(got) < 2 {
			t.Errorf("%s: <|endoftext|> text encoded as %v; want ordinary text", c.name, got)
		}
		for _, s := range trickyTexts {
			if got := tok.Decode(tok.Encode(s)); got != s {
				t.Errorf("%s: round trip %q -> %q", c.name, s, got)
			}
		}
	}
}

func TestInvalidUTF8GPT2(t *testing.T) {
	tok, _ := New("gpt2")
	s := "caf\xe9 \xff!"
	ids := tok.Encode(s)
	if tok.Decode(ids) != s {
		t.Fatalf("round trip of %q failed: %v", s, ids)
	}
	// The valid part still encodes as tiktoken does.
	if got, want := ids[:2], tok.Encode("caf"); !reflect.DeepEqual(got, want) {
		t.Fatalf("prefix %v want %v", got, want)
	}
}

func TestDecodeOutOfRange(t *testing.T) {
	gpt2, _ := New("gpt2")
	bpe, _ := NewBPE(nil, "")
	for _, tok := range []Tokenizer{Byte{}, gpt2, bpe} {
		h := tok.Encode("h")[0]
		if got := tok.Decode([]int{-1, h, 1 << 30}); got != "\uFFFDh\uFFFD" {
			t.Errorf("%s: got %q", tok.Spec().Name, got)
		}
	}
}

func TestStreamDecoder(t *testing.T) {
	tok := Byte{}
	s := "héllo 👍 \xff end"
	d := NewStreamDecoder(tok)
	var out strings.Builder
	for _, id := range tok.Encode(s) {
		piece := d.Next(id)
		if !utf8.ValidString(piece) && !strings.Contains(piece, "\xff") {
			t.Fatalf("piece %q splits a character", piece)
		}
		out.WriteString(piece)
	}
	out.WriteString(d.Flush())
	if out.String() != s {
		t.Fatalf("got %q want %q", out.String(), s)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	bpe, _ := TrainBPE([]byte("hello hello world"), 270, "")
	p := dir + "/t.bpe"
	if err := bpe.Save(p); err != nil {
		t.Fatal(err)
	}
	js, _ := MarshalSpec(bpe)
	pj := dir + "/tokenizer.json"
	os.WriteFile(pj, js, 0o644)
	for _, path := range []string{p, pj} {
		tok, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(tok.Encode("hello world"), bpe.Encode("hello world")) {
			t.Errorf("%s encodes differently", path)
		}
	}
	if _, err := Load(dir + "/missing.json"); err == nil {
		t.Fatal("missing file loaded")
	}
}

// FuzzRoundTrip checks decode(encode(s)) == s for every tokenizer.
func FuzzRoundTrip(f *testing.F) {
	for _, s := range trickyTexts {
		f.Add([]byte(s))
	}
	bpe, err := TrainBPE([]byte(strings.Join(trickyTexts, "\n")), 400, PatternGPT4)
	if err != nil {
		f.Fatal(err)
	}
	basic, _ := TrainBPE([]byte(strings.Join(trickyTexts, "\n")), 400, PatternNone)
	gpt2, err := New("gpt2")
	if err != nil {
		f.Fatal(err)
	}
	toks := []Tokenizer{Byte{}, bpe, basic, gpt2}
	f.Fuzz(func(t *testing.T, b []byte) {
		s := string(b)
		for _, tok := range toks {
			ids := tok.Encode(s)
			if got := tok.Decode(ids); got != s {
				t.Fatalf("%s: decode(encode(%q)) = %q", tok.Spec().Name, s, got)
			}
			for _, id := range ids {
				if id < 0 || id >= tok.VocabSize() || id == tok.EOT() {
					t.Fatalf("%s: id %d out of range", tok.Spec().Name, id)
				}
			}
		}
	})
}
