package report

import "testing"

func TestParseMode(t *testing.T) {
	for _, m := range []Mode{Auto, On, Off} {
		if got, err := ParseMode(m.String()); err != nil || got != m {
			t.Errorf("ParseMode(%q) = %v, %v", m.String(), got, err)
		}
	}
	if _, err := ParseMode("yes"); err == nil {
		t.Error("ParseMode accepted yes")
	}
}
