package report

import (
	"bufio"
	"strconv"
	"strings"

	"github.com/gptgo/gptgo/tokenizer"
)

// tokenColors are the background colors WriteTokens cycles through.
var tokenColors = []string{"\x1b[48;5;24m", "\x1b[48;5;94m", "\x1b[48;5;28m", "\x1b[48;5;90m", "\x1b[48;5;130m", "\x1b[48;5;30m"}

const colorReset = "\x1b[0m"

// WriteIDs writes token ids separated by spaces, then a newline.
func WriteIDs(w *bufio.Writer, ids []int) {
	var b []byte
	for i, id := range ids {
		if i > 0 {
			b = append(b, ' ')
		}
		b = strconv.AppendInt(b, int64(id), 10)
		if len(b) > 1<<16 {
			w.Write(b)
			b = b[:0]
		}
	}
	w.Write(append(b, '\n'))
}

// WriteTokens writes the text of ids with each token's boundaries shown:
// alternating background colors, or "|" between tokens without color.
// Multi-byte characters split across tokens are decoded whole (a stream
// decoder), so the output stays valid UTF-8.
func WriteTokens(w *bufio.Writer, tok tokenizer.Tokenizer, ids []int, color bool) {
	d := tokenizer.NewStreamDecoder(tok)
	k := 0
	piece := func(s string) {
		if s == "" {
			return
		}
		if !color {
			if k > 0 {
				w.WriteString("|")
			}
			w.WriteString(s)
			k++
			return
		}
		c := tokenColors[k%len(tokenColors)]
		k++
		// Keep the color off line ends so it does not bleed.
		for i, line := range strings.Split(s, "\n") {
			if i > 0 {
				w.WriteString("\n")
			}
			if line != "" {
				w.WriteString(c + line + colorReset)
			}
		}
	}
	for _, id := range ids {
		piece(d.Next(id))
	}
	piece(d.Flush())
}
