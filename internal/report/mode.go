package report

import "fmt"

// Mode says how progress is shown.
type Mode int

const (
	// Auto draws a bar when the output is a terminal and, for training,
	// writes a log line every few seconds otherwise.
	Auto Mode = iota
	// On always draws a bar.
	On
	// Off shows no bar and no periodic step lines; training still prints
	// its evaluations, samples and the first step's time estimate.
	Off
)

// ParseMode returns the Mode named by s: "auto", "on" or "off".
func ParseMode(s string) (Mode, error) {
	switch s {
	case "auto":
		return Auto, nil
	case "on":
		return On, nil
	case "off":
		return Off, nil
	}
	return Auto, fmt.Errorf("progress %q: want auto, on or off", s)
}

// String returns the name ParseMode reads.
func (m Mode) String() string {
	switch m {
	case Auto:
		return "auto"
	case On:
		return "on"
	case Off:
		return "off"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// bar reports whether m draws a bar on w.
func (m Mode) bar(w any) bool { return m == On || m == Auto && IsTerminal(w) }

// Set parses a --progress value, so a Mode is a flag.Value.
func (m *Mode) Set(s string) error {
	v, err := ParseMode(s)
	if err != nil {
		return err
	}
	*m = v
	return nil
}
