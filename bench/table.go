package bench

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Table writes results as a Markdown table, one row as each is measured
// (so long benchmarks show progress).
type Table struct {
	w         io.Writer
	cols      []column
	mfu       bool // an MFU column
	bandwidth bool // GB/s, read GB/s and of bound columns
}

// column is a table column: its title and width (negative: left-aligned).
type column struct {
	title string
	width int
}

// NewTable returns a table writing to w for models of the given names,
// with an MFU column if mfu and, if bandwidth, the columns comparing tg
// tests with a Meter against the bandwidth bound.
func NewTable(w io.Writer, names []string, mfu, bandwidth bool) *Table {
	width := 5
	for _, n := range names {
		width = max(width, len(n))
	}
	cols := []column{{"model", -width}, {"params", 7}, {"dtype", -5}, {"size", 9}, {"threads", 7}, {"test", -13},
		{"t/s", 16}, {"GFLOP/s", 8}}
	if mfu {
		cols = append(cols, column{"MFU", 6})
	}
	if bandwidth {
		cols = append(cols, column{"GB/s", 6}, column{"read GB/s", 9}, column{"of bound", 8})
	}
	return &Table{w: w, cols: cols, mfu: mfu, bandwidth: bandwidth}
}

// WriteHeader writes the column titles and the rule under them.
func (t *Table) WriteHeader() error {
	if err := t.writeLine(nil); err != nil {
		return err
	}
	var b strings.Builder
	for _, c := range t.cols {
		w := max(c.width, -c.width)
		if c.width < 0 {
			b.WriteString("| " + strings.Repeat("-", w) + " ")
		} else {
			b.WriteString("| " + strings.Repeat("-", w-1) + ": ")
		}
	}
	_, err := fmt.Fprintln(t.w, b.String()+"|")
	return err
}

// WriteRow writes r, a result of the model rep describes.
func (t *Table) WriteRow(rep *Report, r Result) error {
	size := fmt.Sprintf("%.1f MB", float64(rep.WeightBytes)/1e6)
	row := []string{rep.Model, HumanCount(rep.Params), rep.DType, size, strconv.Itoa(rep.Threads), r.Test,
		fmt.Sprintf("%.2f ± %.2f", r.Mean, r.Stddev), fmt.Sprintf("%.1f", r.GFLOPS)}
	if t.mfu {
		row = append(row, fmt.Sprintf("%.1f%%", 100*r.MFU))
	}
	if t.bandwidth {
		switch {
		case r.BWFrac > 0:
			row = append(row, fmt.Sprintf("%.1f", r.GBPerSec), fmt.Sprintf("%.1f", r.ReadGBs), fmt.Sprintf("%.0f%%", 100*r.BWFrac))
		case r.GBPerSec > 0: // batched tg: the weights read once per step for all sequences
			row = append(row, fmt.Sprintf("%.1f", r.GBPerSec), "", "")
		default:
			row = append(row, "", "", "")
		}
	}
	return t.writeLine(row)
}

// writeLine writes one line of cells, padded to the columns' widths; nil
// cells write the titles.
func (t *Table) writeLine(cells []string) error {
	var b strings.Builder
	for i, c := range t.cols {
		v := c.title
		if cells != nil {
			v = cells[i]
		}
		fmt.Fprintf(&b, "| %*s ", c.width, v)
	}
	_, err := fmt.Fprintln(t.w, b.String()+"|")
	return err
}

// HumanCount writes a parameter count as 3.2M or 124.4M.
func HumanCount(n int) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2fB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1fK", float64(n)/1e3)
	}
	return strconv.Itoa(n)
}
