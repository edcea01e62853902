package train

import (
	"bytes"
	"encoding/json"
	"os"
)

// Metric is one line of metrics.jsonl.
type Metric struct {
	Step     int      `json:"step"`
	Epoch    float64  `json:"epoch"` // fractional: epochs completed plus progress in the current one
	LR       float64  `json:"lr"`
	Loss     float64  `json:"train_loss"`
	ValLoss  *float64 `json:"val_loss,omitempty"` // only on evaluation steps
	GradNorm float64  `json:"grad_norm"`
	TokPerS  float64  `json:"tok_per_s"`
	Elapsed  float64  `json:"elapsed_s"`
}

// metricsLog appends metrics to a JSONL file.
type metricsLog struct {
	f   *os.File
	enc *json.Encoder
}

// readMetrics returns the lines of the metrics file at path for steps up
// to upTo, and how many lines it dropped because they do not decode (a
// line torn by a crash): those alone, not the lines after them. None when
// upTo is 0 or the file cannot be read.
func readMetrics(path string, upTo int) (kept []Metric, torn int) {
	if upTo <= 0 {
		return nil, 0
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, 0
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var m Metric
		if json.Unmarshal(line, &m) != nil {
			torn++
			continue
		}
		if m.Step <= upTo {
			kept = append(kept, m)
		}
	}
	return kept, torn
}

// createMetrics starts the metrics file at path afresh with the lines kept
// (those of readMetrics: a resumed run continues its curve, and the lines
// of later steps, from a run that was not kept, are dropped); new lines are
// appended to it.
func createMetrics(path string, kept []Metric) (*metricsLog, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	l := &metricsLog{f: f, enc: json.NewEncoder(f)}
	for _, m := range kept {
		if err := l.add(m); err != nil {
			f.Close()
			return nil, err
		}
	}
	return l, nil
}

func (l *metricsLog) add(m Metric) error {
	if l == nil { // a rank other than 0 writes no metrics
		return nil
	}
	return l.enc.Encode(m)
}

// sync makes the lines written so far durable, before a checkpoint of
// their step is saved: a crash never keeps a checkpoint whose step's line
// is lost.
func (l *metricsLog) sync() error {
	if l == nil {
		return nil
	}
	return l.f.Sync()
}

func (l *metricsLog) close() error {
	if l == nil {
		return nil
	}
	return l.f.Close()
}
