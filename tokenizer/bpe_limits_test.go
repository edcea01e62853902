package tokenizer

import (
	"strings"
	"testing"
)

// Merges that double a token each time are refused at the limit, before
// they are built (40 of them would be a terabyte).
func TestBPELimits(t *testing.T) {
	merges := [][2]int{{'a', 'a'}}
	for i := range 40 {
		merges = append(merges, [2]int{256 + i, 256 + i})
	}
	_, err := NewBPE(merges, PatternNone)
	if err == nil || !strings.Contains(err.Error(), "makes a token of 2048 bytes, more than the 1024 allowed") {
		t.Fatalf("doubling merges: %v", err)
	}
	if _, err := NewBPE(merges[:10], PatternNone); err != nil { // 1024 bytes: allowed
		t.Fatalf("a 1024-byte token: %v", err)
	}
	if _, err := NewBPE(make([][2]int, MaxMerges+1), PatternNone); err == nil || !strings.Contains(err.Error(), "more than the") {
		t.Fatalf("too many merges: %v", err)
	}
}
