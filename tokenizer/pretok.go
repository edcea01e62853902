package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// Character classes used by the split pattern. Invalid UTF-8 bytes are
// classOther, like punctuation, so they take part in punctuation runs.
const (
	classOther = iota
	classLetter
	classNumber
	classSpace
)

// runeAt decodes the rune at b[i:], returning its class and byte width.
// ASCII takes a table lookup.
func runeAt(b []byte, i int) (r rune, class int, width int) {
	c := b[i]
	if c < utf8.RuneSelf {
		return rune(c), int(asciiClass[c]), 1
	}
	r, width = utf8.DecodeRune(b[i:])
	if r == utf8.RuneError && width == 1 {
		return r, classOther, 1
	}
	switch {
	case unicode.IsLetter(r):
		return r, classLetter, width
	case unicode.IsNumber(r):
		return r, classNumber, width
	case unicode.IsSpace(r):
		return r, classSpace, width
	}
	return r, classOther, width
}

var asciiClass = func() (t [128]uint8) {
	for c := 0; c < 128; c++ {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
			t[c] = classLetter
		case '0' <= c && c <= '9':
			t[c] = classNumber
		case c == ' ', c == '\t', c == '\n', c == '\v', c == '\f', c == '\r':
			t[c] = classSpace
		default:
			t[c] = classOther
		}
	}
	return t
}()

// splitGPT4 calls emit for each pre-token of b, in order, following the
// GPT-4 (cl100k_base) split pattern
//
//	(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//
// by hand (Go's regexp has no lookahead). \s is unicode.IsSpace, \p{L}
// unicode.IsLetter and \p{N} unicode.IsNumber. Every byte of b lands in
// exactly one pre-token; invalid UTF-8 bytes count as punctuation.
func splitGPT4(b []byte, emit func(tok []byte)) {
	n := len(b)
	i := 0
	for i < n {
		j := gpt4TokenEnd(b, i)
		emit(b[i:j])
		i = j
	}
}

// gpt4TokenEnd returns the end of the pre-token that starts at b[i].
func gpt4TokenEnd(b []byte, i int) int {
	n := len(b)
	r, cls, w := runeAt(b, i)
	// (?i:'s|'t|'re|'ve|'m|'ll|'d)
	if r == '\'' && i+1 < n {
		c1 := b[i+1] | 0x20 // ASCII lower case
		switch c1 {
		case 's', 't', 'm', 'd':
			if b[i+1] < utf8.RuneSelf && isASCIILetter(b[i+1]) {
				return i + 2
			}
		}
		if i+2 < n && isASCIILetter(b[i+1]) && isASCIILetter(b[i+2]) {
			c2 := b[i+2] | 0x20
			if (c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l') {
				return i + 3
			}
		}
	}
	// [^\r\n\p{L}\p{N}]?\p{L}+
	if cls == classLetter {
		return letterRunEnd(b, i+w)
	}
	if cls != classNumber && r != '\r' && r != '\n' && i+w < n {
		if _, c2, _ := runeAt(b, i+w); c2 == classLetter {
			return letterRunEnd(b, i+w)
		}
	}
	// \p{N}{1,3}
	if cls == classNumber {
		j := i + w
		for k := 0; k < 2 && j < n; k++ {
			_, c, w2 := runeAt(b, j)
			if c != classNumber {
				break
			}
			j += w2
		}
		return j
	}
	//  ?[^\s\p{L}\p{N}]+[\r\n]*
	start := i
	if r == ' ' && i+1 < n {
		if _, c2, _ := runeAt(b, i+1); c2 == classOther {
			start = i + 1
			cls = classOther
		}
	}
	if cls == classOther {
		j := start
		for j < n {
			_, c, w2 := runeAt(b, j)
			if c != classOther {
				break
			}
			j += w2
		}
		for j < n && (b[j] == '\r' || b[j] == '\n') {
			j++
		}
		return j
	}
	// Whitespace: \s*[\r\n]+ | \s+(?!\S) | \s+
	j := i
	lastNL := -1
	for j < n {
		r2, c, w2 := runeAt(b, j)
		if c != classSpace {
			break
		}
		if r2 == '\r' || r2 == '\n' {
			lastNL = j
		}
		j += w2
	}
	if lastNL >= 0 {
		return lastNL + 1
	}
	if j == n {
		return j
	}
	// Followed by a non-space: leave the last whitespace character for the
	// next pre-token unless it is the only one.
	_, lastW := utf8.DecodeLastRune(b[i:j])
	if j-lastW > i {
		return j - lastW
	}
	return j
}

func isASCIILetter(c byte) bool {
	c |= 0x20
	return 'a' <= c && c <= 'z'
}

func letterRunEnd(b []byte, j int) int {
	n := len(b)
	for j < n {
		c := b[j]
		if c < utf8.RuneSelf {
			if asciiClass[c] != classLetter {
				return j
			}
			j++
			continue
		}
		_, cls, w := runeAt(b, j)
		if cls != classLetter {
			return j
		}
		j += w
	}
	return j
}
