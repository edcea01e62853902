package tokenizer

import (
	"fmt"
	"sync"
	"unicode/utf8"

	"github.com/pkoukk/tiktoken-go"
	tiktoken_loader "github.com/pkoukk/tiktoken-go-loader"
)

// Tiktoken wraps one of OpenAI's encodings from github.com/pkoukk/tiktoken-go
// with the ranks embedded by github.com/pkoukk/tiktoken-go-loader (no
// network). Valid UTF-8 encodes exactly as tiktoken does. tiktoken-go
// would turn invalid UTF-8 into U+FFFD; instead each byte of an invalid
// sequence becomes its own single-byte token (every byte has one) and
// ends the pre-token before it, so decoding gives back the exact bytes.
type Tiktoken struct {
	name  string
	enc   *tiktoken.Tiktoken
	vocab int
	eot   int
	bytes [256]int // single-byte token ids
}

type tiktokenEntry struct {
	once sync.Once
	tok  *Tiktoken
	err  error
}

var tiktokenEncodings = map[string]*tiktokenEntry{
	"gpt2":   {},
	"cl100k": {},
	"o200k":  {},
}

// tiktokenInfo maps our names to tiktoken's encoding name, vocabulary size
// (largest id + 1) and end-of-text id.
var tiktokenInfo = map[string]struct {
	encoding   string
	vocab, eot int
}{
	"gpt2":   {tiktoken.MODEL_R50K_BASE, 50257, 50256},
	"cl100k": {tiktoken.MODEL_CL100K_BASE, 100277, 100257},
	"o200k":  {tiktoken.MODEL_O200K_BASE, 200019, 199999},
}

var setLoaderOnce sync.Once

// tiktokenByName returns the shared encoder for gpt2, cl100k or o200k,
// building it on first use.
func tiktokenByName(name string) (*Tiktoken, error) {
	e, ok := tiktokenEncodings[name]
	if !ok {
		return nil, fmt.Errorf("unknown tiktoken encoding %q", name)
	}
	e.once.Do(func() {
		setLoaderOnce.Do(func() { tiktoken.SetBpeLoader(tiktoken_loader.NewOfflineLoader()) })
		info := tiktokenInfo[name]
		enc, err := tiktoken.GetEncoding(info.encoding)
		if err != nil {
			e.err = fmt.Errorf("tokenizer %s: %v", name, err)
			return
		}
		t := &Tiktoken{name: name, enc: enc, vocab: info.vocab, eot: info.eot}
		for i := range t.bytes {
			t.bytes[i] = -1
		}
		// The 256 single-byte tokens come first in every tiktoken encoding.
		found := 0
		for id := 0; id < info.vocab && found < 256; id++ {
			if s := enc.Decode([]int{id}); len(s) == 1 && t.bytes[s[0]] < 0 {
				t.bytes[s[0]] = id
				found++
			}
		}
		if found != 256 {
			e.err = fmt.Errorf("tokenizer %s: found only %d single-byte tokens", name, found)
			return
		}
		e.tok = t
	})
	return e.tok, e.err
}

// Encode returns the ids of text. <|endoftext|> in text is ordinary text.
func (t *Tiktoken) Encode(text string) []int {
	if utf8.ValidString(text) {
		return t.enc.EncodeOrdinary(text)
	}
	var ids []int
	for len(text) > 0 {
		// The longest valid prefix, then the invalid bytes after it.
		i := 0
		for i < len(text) {
			r, w := utf8.DecodeRuneInString(text[i:])
			if r == utf8.RuneError && w == 1 {
				break
			}
			i += w
		}
		if i > 0 {
			ids = append(ids, t.enc.EncodeOrdinary(text[:i])...)
		}
		for i < len(text) {
			r, w := utf8.DecodeRuneInString(text[i:])
			if r != utf8.RuneError || w != 1 {
				break
			}
			ids = append(ids, t.bytes[text[i]])
			i++
		}
		text = text[i:]
	}
	return ids
}

// Decode returns the text of ids; an id out of range decodes to U+FFFD.
func (t *Tiktoken) Decode(ids []int) string {
	for _, id := range ids {
		if id < 0 || id >= t.vocab {
			return t.decodeChecked(ids)
		}
	}
	return t.enc.Decode(ids)
}

func (t *Tiktoken) decodeChecked(ids []int) string {
	var b []byte
	start := 0
	for i, id := range ids {
		if id < 0 || id >= t.vocab {
			b = append(b, t.enc.Decode(ids[start:i])...)
			b = append(b, "\uFFFD"...)
			start = i + 1
		}
	}
	b = append(b, t.enc.Decode(ids[start:])...)
	return string(b)
}

func (t *Tiktoken) VocabSize() int { return t.vocab }
func (t *Tiktoken) EOT() int       { return t.eot }
func (t *Tiktoken) Spec() Spec     { return Spec{Name: t.name} }
