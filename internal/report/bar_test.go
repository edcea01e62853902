package report

import (
	"bytes"
	"strings"
	"testing"
)

// Bar draws only where its mode asks for it, and finishes at the total.
func TestBar(t *testing.T) {
	var out bytes.Buffer
	if Bar(&out, Auto, "eval") != nil || Bar(&out, Off, "eval") != nil {
		t.Error("a bar for a buffer in Auto mode, or in Off mode")
	}
	progress := Bar(&out, On, "eval")
	if progress == nil {
		t.Fatal("no bar in On mode")
	}
	for i := 1; i <= 4; i++ {
		progress(i, 4)
	}
	if s := out.String(); !strings.Contains(s, "eval") || !strings.HasSuffix(s, "\r") {
		t.Errorf("bar output %q: want the description, cleared at the end", s)
	}
}
