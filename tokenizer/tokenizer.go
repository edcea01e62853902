package tokenizer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Tokenizer turns text into token ids and back. Implementations are safe
// for concurrent use.
type Tokenizer interface {
	// Encode returns the ids of text. Special-token text such as
	// <|endoftext|> is encoded as ordinary text; append EOT() yourself.
	Encode(text string) []int
	// Decode returns the text of ids; decoding is concatenation of each
	// id's bytes, so Decode(Encode(s)) == s for every byte string s.
	// EOT decodes to <|endoftext|>, an id out of range to U+FFFD.
	Decode(ids []int) string
	// VocabSize is one more than the largest id (the embedding table size).
	VocabSize() int
	// EOT is the end-of-text id that separates documents.
	EOT() int
	// Spec returns what FromSpec needs to rebuild the tokenizer.
	Spec() Spec
}

// Spec describes a tokenizer: enough to rebuild it, small enough to embed
// in a checkpoint (a trained BPE carries its merges). It is JSON-serialisable.
type Spec struct {
	// Name is gpt2, cl100k, o200k, byte or bpe.
	Name string `json:"name"`
	// Pattern is the split pattern of a bpe (gpt4 or none).
	Pattern string `json:"pattern,omitempty"`
	// Merges are a bpe's merges in order: Merges[i] became id 256+i.
	Merges [][2]int `json:"merges,omitempty"`
}

// Names lists the tokenizer names New accepts (plus bpe:VOCAB in commands).
var Names = []string{"gpt2", "cl100k", "o200k", "byte"}

// New returns a built-in tokenizer by name: gpt2 (r50k_base), cl100k
// (cl100k_base), o200k (o200k_base) or byte. The tiktoken encodings are
// built on first use and shared; nothing touches the network.
func New(name string) (Tokenizer, error) {
	switch name {
	case "gpt2", "r50k_base", "r50k":
		return tiktokenByName("gpt2")
	case "cl100k", "cl100k_base":
		return tiktokenByName("cl100k")
	case "o200k", "o200k_base":
		return tiktokenByName("o200k")
	case "byte", "bytes":
		return Byte{}, nil
	}
	return nil, fmt.Errorf("unknown tokenizer %q (want gpt2, cl100k, o200k, byte or bpe:VOCAB)", name)
}

// FromSpec rebuilds a tokenizer from its spec.
func FromSpec(s Spec) (Tokenizer, error) {
	if s.Name == "bpe" {
		return NewBPE(s.Merges, s.Pattern)
	}
	if len(s.Merges) > 0 {
		return nil, fmt.Errorf("tokenizer spec %q has merges; only bpe does", s.Name)
	}
	return New(s.Name)
}

// MarshalSpec returns the JSON of a tokenizer's spec (tokenizer.json).
func MarshalSpec(t Tokenizer) ([]byte, error) {
	return json.Marshal(t.Spec())
}

// UnmarshalSpec rebuilds a tokenizer from the JSON written by MarshalSpec.
func UnmarshalSpec(b []byte) (Tokenizer, error) {
	var s Spec
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("tokenizer spec: %v", err)
	}
	return FromSpec(s)
}

// Load reads a tokenizer from a file: a spec in JSON (tokenizer.json) or a
// BPE in the text format (anything else).
func Load(path string) (Tokenizer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '{' {
		tok, err := UnmarshalSpec(t)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		return tok, nil
	}
	return ReadBPE(bytes.NewReader(b), path)
}

// ParseBPEVocab parses "bpe:VOCAB" and returns VOCAB; ok is false when name
// does not start with "bpe:".
func ParseBPEVocab(name string) (vocab int, ok bool, err error) {
	rest, found := strings.CutPrefix(name, "bpe:")
	if !found {
		return 0, false, nil
	}
	v, err := strconv.Atoi(rest)
	if err != nil || v < 257 {
		return 0, true, fmt.Errorf("bad tokenizer %q: want bpe:VOCAB with VOCAB >= 257", name)
	}
	return v, true, nil
}

// Byte is the byte-level tokenizer: ids 0..255 are the bytes (so plain
// ASCII text is character-level) and 256 is <|endoftext|>.
type Byte struct{}

func (Byte) Encode(text string) []int {
	ids := make([]int, len(text))
	for i := 0; i < len(text); i++ {
		ids[i] = int(text[i])
	}
	return ids
}

func (Byte) Decode(ids []int) string {
	b := make([]byte, 0, len(ids))
	for _, id := range ids {
		switch {
		case id >= 0 && id < 256:
			b = append(b, byte(id))
		case id == 256:
			b = append(b, EndOfText...)
		default:
			b = append(b, "\uFFFD"...)
		}
	}
	return string(b)
}

func (Byte) VocabSize() int { return 257 }
func (Byte) EOT() int       { return 256 }
func (Byte) Spec() Spec     { return Spec{Name: "byte"} }

// StreamDecoder decodes ids one at a time for streaming output, holding back
// the bytes of an incomplete UTF-8 character until it completes (or until
// it can no longer become valid, when they are released as they are).
type StreamDecoder struct {
	tok     Tokenizer
	pending []byte
	one     [1]int
}

// NewStreamDecoder returns a StreamDecoder for tok.
func NewStreamDecoder(tok Tokenizer) *StreamDecoder { return &StreamDecoder{tok: tok} }

// Next returns the text that id completes (possibly "").
func (d *StreamDecoder) Next(id int) string {
	d.one[0] = id
	d.pending = append(d.pending, d.tok.Decode(d.one[:])...)
	cut := completePrefix(d.pending)
	out := string(d.pending[:cut])
	d.pending = append(d.pending[:0], d.pending[cut:]...)
	return out
}

// Flush returns whatever is held back.
func (d *StreamDecoder) Flush() string {
	out := string(d.pending)
	d.pending = d.pending[:0]
	return out
}

// completePrefix returns the length of b without a trailing incomplete (but
// possibly valid) UTF-8 sequence.
func completePrefix(b []byte) int {
	n := len(b)
	for k := 1; k <= 3 && k <= n; k++ {
		c := b[n-k]
		if c < 0x80 {
			return n // ASCII: nothing pending
		}
		if c >= 0xC0 { // a leading byte k bytes from the end
			need := 0
			switch {
			case c >= 0xF0:
				need = 4
			case c >= 0xE0:
				need = 3
			default:
				need = 2
			}
			if need > k && !utf8.FullRune(b[n-k:]) {
				return n - k
			}
			return n
		}
	}
	return n
}
