package train

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A torn line (a crash mid-write) is dropped alone: the lines after it
// are kept.
func TestReadMetricsDropsTornLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), MetricsFile)
	var b strings.Builder
	for s := 1; s <= 6; s++ {
		line, _ := json.Marshal(Metric{Step: s, Loss: float64(s)})
		if s == 3 {
			line = line[:len(line)/2] // torn
		}
		b.Write(line)
		b.WriteString("\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	kept, torn := readMetrics(path, 5)
	var steps []int
	for _, m := range kept {
		steps = append(steps, m.Step)
	}
	if torn != 1 || fmt.Sprint(steps) != "[1 2 4 5]" {
		t.Fatalf("kept steps %v, torn %d; want [1 2 4 5] and 1", steps, torn)
	}
}

// lineCheck is a Store that, at each save, checks that metrics.jsonl
// already holds the saved step's line, durably written.
type lineCheck struct {
	MemoryStore
	t    *testing.T
	path string
}

func (s lineCheck) Save(path string, snap *Snapshot) error {
	kept, _ := readMetrics(s.path, snap.Step)
	if len(kept) == 0 || kept[len(kept)-1].Step != snap.Step {
		s.t.Errorf("saving step %d: metrics.jsonl ends at %v", snap.Step, kept)
	}
	return s.MemoryStore.Save(path, snap)
}

// A checkpoint is saved only after its step's metrics line: a crash
// between the two cannot lose the line of a saved step.
func TestMetricsLineBeforeSave(t *testing.T) {
	dir := t.TempDir()
	r := newTestRun(t, dir, 0, nil)
	r.Store = lineCheck{MemoryStore: MemoryStore{}, t: t, path: filepath.Join(dir, MetricsFile)}
	r.Opt.SaveEvery = 3
	if _, err := r.Train(context.Background()); err != nil {
		t.Fatal(err)
	}
}
