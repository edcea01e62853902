package train

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/color"
	"math"
	"os"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
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

// metricsLog appends metrics to a JSONL file and keeps the curves for the plot.
type metricsLog struct {
	f          *os.File
	enc        *json.Encoder
	trainSteps []float64
	trainLoss  []float64
	valSteps   []float64
	valLoss    []float64
}

// openMetrics opens the metrics file of a run that has done upTo steps: the
// lines of earlier steps are kept (a resumed run continues its curve), later
// ones are dropped (they belong to a run that was not kept), and new lines
// are appended.
func openMetrics(path string, upTo int) (*metricsLog, error) {
	l := &metricsLog{}
	var kept []Metric
	if upTo > 0 {
		if b, err := os.ReadFile(path); err == nil {
			dec := json.NewDecoder(bytes.NewReader(b))
			for {
				var m Metric
				if dec.Decode(&m) != nil {
					break
				}
				if m.Step <= upTo {
					kept = append(kept, m)
				}
			}
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	l.f, l.enc = f, json.NewEncoder(f)
	for _, m := range kept {
		if err := l.add(m); err != nil {
			f.Close()
			return nil, err
		}
	}
	return l, nil
}

func (l *metricsLog) add(m Metric) error {
	l.trainSteps = append(l.trainSteps, float64(m.Step))
	l.trainLoss = append(l.trainLoss, m.Loss)
	if m.ValLoss != nil {
		l.valSteps = append(l.valSteps, float64(m.Step))
		l.valLoss = append(l.valLoss, *m.ValLoss)
	}
	return l.enc.Encode(m)
}

func (l *metricsLog) close() error { return l.f.Close() }

// plot draws the train and validation loss curves into a PNG at path,
// through a temporary file so a reader never sees half a picture.
func (l *metricsLog) plot(path string) error {
	p := plot.New()
	p.Title.Text = "gptgo training loss"
	p.X.Label.Text = "step"
	p.Y.Label.Text = "cross-entropy (nats)"
	p.Add(plotter.NewGrid())
	add := func(xs, ys []float64, name string, c color.Color) error {
		if len(xs) == 0 {
			return nil
		}
		pts := make(plotter.XYs, 0, len(xs))
		for i := range xs {
			if !math.IsNaN(ys[i]) && !math.IsInf(ys[i], 0) {
				pts = append(pts, plotter.XY{X: xs[i], Y: ys[i]})
			}
		}
		line, err := plotter.NewLine(pts)
		if err != nil {
			return err
		}
		line.Color = c
		line.Width = vg.Points(1.5)
		p.Add(line)
		p.Legend.Add(name, line)
		return nil
	}
	if err := add(l.trainSteps, l.trainLoss, "train", color.RGBA{R: 31, G: 119, B: 180, A: 255}); err != nil {
		return err
	}
	if err := add(l.valSteps, l.valLoss, "val", color.RGBA{R: 214, G: 39, B: 40, A: 255}); err != nil {
		return err
	}
	p.Legend.Top = true
	tmp := path + ".tmp.png"
	if err := p.Save(8*vg.Inch, 5*vg.Inch, tmp); err != nil {
		return fmt.Errorf("drawing %s: %w", path, err)
	}
	return os.Rename(tmp, path)
}
