package tokenizer

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// EndOfText is the text form of the end-of-text special token.
const EndOfText = "<|endoftext|>"

// Split patterns a BPE can be trained with.
const (
	// PatternGPT4 is the GPT-4 (cl100k_base) split pattern, written by hand.
	PatternGPT4 = "gpt4"
	// PatternNone treats every text as a single chunk (plain byte-level BPE,
	// as in minbpe's BasicTokenizer).
	PatternNone = "none"
)

// BPE is our own byte-level byte-pair-encoding tokenizer. Ids 0..255 are the
// bytes, id 256+i is the i-th merge, and the last id is <|endoftext|>.
// A BPE is immutable and safe for concurrent use.
type BPE struct {
	pattern string
	merges  [][2]int         // merges[i] = pair that became id 256+i
	ranks   map[uint64]int32 // pair key -> merged id
	vocab   [][]byte         // id -> bytes (EOT excluded)
}

func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

// Limits on a BPE a file may describe, checked before anything is built:
// merges that keep doubling a token would otherwise ask for gigabytes
// from a few hundred bytes of file.
const (
	MaxMerges     = 1 << 20 // o200k has 199,742
	MaxTokenBytes = 1024    // GPT-2's longest token is 128 bytes
)

// NewBPE builds a BPE from its merges (in order) and split pattern
// (PatternGPT4, or PatternNone; "" means PatternGPT4).
func NewBPE(merges [][2]int, pattern string) (*BPE, error) {
	if len(merges) > MaxMerges {
		return nil, fmt.Errorf("bpe: %d merges, more than the %d allowed", len(merges), MaxMerges)
	}
	if pattern == "" {
		pattern = PatternGPT4
	}
	if pattern != PatternGPT4 && pattern != PatternNone {
		return nil, fmt.Errorf("bpe: unknown split pattern %q (want %q or %q)", pattern, PatternGPT4, PatternNone)
	}
	t := &BPE{
		pattern: pattern,
		merges:  make([][2]int, len(merges)),
		ranks:   make(map[uint64]int32, len(merges)),
		vocab:   make([][]byte, 256, 256+len(merges)),
	}
	copy(t.merges, merges)
	for i := range 256 {
		t.vocab[i] = []byte{byte(i)}
	}
	for i, m := range merges {
		id := 256 + i
		if m[0] < 0 || m[0] >= id || m[1] < 0 || m[1] >= id {
			return nil, fmt.Errorf("bpe: merge %d (%d %d) refers to an id not yet defined", id, m[0], m[1])
		}
		k := pairKey(int32(m[0]), int32(m[1]))
		if _, dup := t.ranks[k]; dup {
			return nil, fmt.Errorf("bpe: merge %d (%d %d) repeats an earlier merge", id, m[0], m[1])
		}
		t.ranks[k] = int32(id)
		if n := len(t.vocab[m[0]]) + len(t.vocab[m[1]]); n > MaxTokenBytes {
			return nil, fmt.Errorf("bpe: merge %d (%d %d) makes a token of %d bytes, more than the %d allowed", id, m[0], m[1], n, MaxTokenBytes)
		}
		v := make([]byte, 0, len(t.vocab[m[0]])+len(t.vocab[m[1]]))
		v = append(append(v, t.vocab[m[0]]...), t.vocab[m[1]]...)
		t.vocab = append(t.vocab, v)
	}
	return t, nil
}

// VocabSize is 256 + merges + 1 (the end-of-text token).
func (t *BPE) VocabSize() int { return len(t.vocab) + 1 }

// EOT is the id of <|endoftext|>, the last id.
func (t *BPE) EOT() int { return len(t.vocab) }

// Merges returns a copy of the merges in order.
func (t *BPE) Merges() [][2]int { return append([][2]int(nil), t.merges...) }

// Spec returns the spec that rebuilds t.
func (t *BPE) Spec() Spec { return Spec{Name: "bpe", Pattern: t.pattern, Merges: t.Merges()} }

// TokenBytes returns the bytes of token id (the text <|endoftext|> for EOT,
// nil for an id out of range).
func (t *BPE) TokenBytes(id int) []byte {
	if id >= 0 && id < len(t.vocab) {
		return t.vocab[id]
	}
	if id == len(t.vocab) {
		return []byte(EndOfText)
	}
	return nil
}

// Decode returns the text of ids. EOT decodes to <|endoftext|>, an id out
// of range to U+FFFD.
func (t *BPE) Decode(ids []int) string { return string(t.DecodeBytes(nil, ids)) }

// DecodeBytes appends the bytes of ids to dst and returns it.
func (t *BPE) DecodeBytes(dst []byte, ids []int) []byte {
	for _, id := range ids {
		if b := t.TokenBytes(id); b != nil {
			dst = append(dst, b...)
		} else {
			dst = append(dst, "\uFFFD"...)
		}
	}
	return dst
}

// Encode returns the ids of text. The text <|endoftext|> is encoded as
// ordinary text: append EOT() yourself to mark a document boundary.
func (t *BPE) Encode(text string) []int {
	return t.EncodeBytes(make([]int, 0, len(text)/3+1), []byte(text))
}

// EncodeBytes appends the ids of text to dst and returns it.
func (t *BPE) EncodeBytes(dst []int, text []byte) []int {
	if t.pattern == PatternNone {
		var sc bpeScratch
		return t.encodeChunk(dst, text, &sc)
	}
	var sc bpeScratch
	var cache map[string][]int32
	if len(text) > 4096 {
		cache = make(map[string][]int32, 1024)
	}
	splitGPT4(text, func(chunk []byte) {
		if len(chunk) == 1 {
			dst = append(dst, int(chunk[0]))
			return
		}
		if cache == nil {
			dst = t.encodeChunk(dst, chunk, &sc)
			return
		}
		if ids, ok := cache[string(chunk)]; ok {
			for _, id := range ids {
				dst = append(dst, int(id))
			}
			return
		}
		n := len(dst)
		dst = t.encodeChunk(dst, chunk, &sc)
		ids := make([]int32, len(dst)-n)
		for i, id := range dst[n:] {
			ids[i] = int32(id)
		}
		if len(cache) < 1<<18 {
			cache[string(chunk)] = ids
		}
	})
	return dst
}

type bpeScratch struct{ syms []int32 }

// encodeChunk merges the bytes of one chunk and appends the ids to dst.
// Each round applies the lowest-ranked merge present to all its
// non-overlapping occurrences, left to right (which equals applying it one
// occurrence at a time, since ids made later have higher ranks).
func (t *BPE) encodeChunk(dst []int, chunk []byte, sc *bpeScratch) []int {
	if len(chunk) > 256 {
		return t.encodeLong(dst, chunk)
	}
	syms := sc.syms[:0]
	for _, c := range chunk {
		syms = append(syms, int32(c))
	}
	for len(syms) > 1 {
		best := int32(-1)
		for i := 0; i+1 < len(syms); i++ {
			if id, ok := t.ranks[pairKey(syms[i], syms[i+1])]; ok && (best < 0 || id < best) {
				best = id
			}
		}
		if best < 0 {
			break
		}
		m := t.merges[best-256]
		a, b := int32(m[0]), int32(m[1])
		w := 0
		for i := 0; i < len(syms); i++ {
			if i+1 < len(syms) && syms[i] == a && syms[i+1] == b {
				syms[w] = best
				i++
			} else {
				syms[w] = syms[i]
			}
			w++
		}
		syms = syms[:w]
	}
	for _, s := range syms {
		dst = append(dst, int(s))
	}
	sc.syms = syms
	return dst
}

// encodeLong is encodeChunk for long chunks: a doubly linked list of symbols
// and a min-heap of candidate merges (rank, position), O(n log n).
func (t *BPE) encodeLong(dst []int, chunk []byte) []int {
	n := len(chunk)
	syms := make([]int32, n)
	prev := make([]int32, n)
	next := make([]int32, n)
	for i, c := range chunk {
		syms[i] = int32(c)
		prev[i] = int32(i - 1)
		next[i] = int32(i + 1)
	}
	next[n-1] = -1
	h := &mergeHeap{}
	push := func(i int32) {
		j := next[i]
		if j < 0 {
			return
		}
		if id, ok := t.ranks[pairKey(syms[i], syms[j])]; ok {
			h.push(mergeCand{id: id, pos: i, left: syms[i], right: syms[j]})
		}
	}
	for i := range int32(n - 1) {
		push(i)
	}
	for h.len() > 0 {
		c := h.pop()
		j := next[c.pos]
		if syms[c.pos] != c.left || j < 0 || syms[j] != c.right || syms[c.pos] < 0 {
			continue // stale
		}
		syms[c.pos] = c.id
		syms[j] = -1
		k := next[j]
		next[c.pos] = k
		if k >= 0 {
			prev[k] = c.pos
		}
		if p := prev[c.pos]; p >= 0 {
			push(p)
		}
		push(c.pos)
	}
	for i := int32(0); i >= 0; i = next[i] {
		dst = append(dst, int(syms[i]))
	}
	return dst
}

type mergeCand struct {
	id          int32 // merged id = rank; lower merges first
	pos         int32 // left symbol position; ties go left to right
	left, right int32
}

type mergeHeap struct{ a []mergeCand }

func (h *mergeHeap) len() int { return len(h.a) }
func (h *mergeHeap) less(i, j int) bool {
	if h.a[i].id != h.a[j].id {
		return h.a[i].id < h.a[j].id
	}
	return h.a[i].pos < h.a[j].pos
}
func (h *mergeHeap) push(c mergeCand) {
	h.a = append(h.a, c)
	for i := len(h.a) - 1; i > 0; {
		p := (i - 1) / 2
		if !h.less(i, p) {
			break
		}
		h.a[i], h.a[p] = h.a[p], h.a[i]
		i = p
	}
}
func (h *mergeHeap) pop() mergeCand {
	top := h.a[0]
	last := len(h.a) - 1
	h.a[0] = h.a[last]
	h.a = h.a[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < last && h.less(l, m) {
			m = l
		}
		if r < last && h.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		h.a[i], h.a[m] = h.a[m], h.a[i]
		i = m
	}
	return top
}

// The BPE text format, one item per line:
//
//	gptgo-bpe 1
//	pattern gpt4
//	merges 3839
//	special 4095 <|endoftext|>
//	256 32 116 " t"
//	257 104 101 "he"
//	...
//
// Each merge line is: new id, left id, right id, and the new token's bytes
// as a Go-quoted string (informational; it is checked on load). Merges are
// in order, ids consecutive from 256. Lines starting with # are comments.

// WriteTo writes t in the BPE text format.
func (t *BPE) WriteTo(w io.Writer) (int64, error) {
	bw := bufio.NewWriter(w)
	var n int64
	c, _ := fmt.Fprintf(bw, "gptgo-bpe 1\npattern %s\nmerges %d\nspecial %d %s\n", t.pattern, len(t.merges), t.EOT(), EndOfText)
	n += int64(c)
	for i, m := range t.merges {
		c, _ = fmt.Fprintf(bw, "%d %d %d %q\n", 256+i, m[0], m[1], t.vocab[256+i])
		n += int64(c)
	}
	return n, bw.Flush()
}

// Save writes t to path in the BPE text format.
func (t *BPE) Save(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := t.WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ReadBPE reads a BPE in the text format; name is used in errors.
func ReadBPE(r io.Reader, name string) (*BPE, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	line := 0
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%s:%d: %s", name, line, fmt.Sprintf(format, a...))
	}
	var pattern string
	nMerges := -1
	var merges [][2]int
	var texts []string // quoted token texts, checked after rebuilding
	var lines []int
	sawHeader := false
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" || s[0] == '#' {
			continue
		}
		if !sawHeader {
			if s != "gptgo-bpe 1" {
				return nil, bad("not a gptgo BPE file (want first line %q)", "gptgo-bpe 1")
			}
			sawHeader = true
			continue
		}
		f := strings.Fields(s)
		switch f[0] {
		case "pattern":
			if len(f) != 2 {
				return nil, bad("want: pattern NAME")
			}
			pattern = f[1]
			continue
		case "merges":
			if len(f) != 2 {
				return nil, bad("want: merges COUNT")
			}
			v, err := strconv.Atoi(f[1])
			if err != nil || v < 0 {
				return nil, bad("bad merge count %q", f[1])
			}
			nMerges = v
			continue
		case "special":
			continue // the EOT id is implied: 256 + merges
		}
		if len(f) < 3 {
			return nil, bad("want: ID LEFT RIGHT \"TEXT\"")
		}
		var v [3]int
		for k := range 3 {
			x, err := strconv.Atoi(f[k])
			if err != nil {
				return nil, bad("bad id %q", f[k])
			}
			v[k] = x
		}
		if v[0] != 256+len(merges) {
			return nil, bad("merge id %d out of order (want %d)", v[0], 256+len(merges))
		}
		merges = append(merges, [2]int{v[1], v[2]})
		text := ""
		if q := strings.SplitN(s, " ", 4); len(q) == 4 {
			u, err := strconv.Unquote(q[3])
			if err != nil {
				return nil, bad("bad token text %s", q[3])
			}
			text = u
		}
		texts = append(texts, text)
		lines = append(lines, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	if !sawHeader {
		return nil, fmt.Errorf("%s: empty BPE file", name)
	}
	if nMerges >= 0 && nMerges != len(merges) {
		return nil, fmt.Errorf("%s: header says %d merges, file has %d", name, nMerges, len(merges))
	}
	t, err := NewBPE(merges, pattern)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	for i, text := range texts {
		if text != "" && text != string(t.vocab[256+i]) {
			return nil, fmt.Errorf("%s:%d: token %d is %q, not %q", name, lines[i], 256+i, t.vocab[256+i], text)
		}
	}
	return t, nil
}

// LoadBPE reads a BPE text file.
func LoadBPE(path string) (*BPE, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ReadBPE(bytes.NewReader(b), path)
}
