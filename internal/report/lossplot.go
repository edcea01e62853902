package report

import (
	"fmt"
	"image/color"
	"math"
	"os"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/gptgo/gptgo/train"
)

// lossCurves are the points of loss.png: the training loss of every step
// and the validation loss of the evaluated ones.
type lossCurves struct {
	trainSteps, trainLoss []float64
	valSteps, valLoss     []float64
}

// addMetric adds a metrics.jsonl line.
func (l *lossCurves) addMetric(m train.Metric) {
	l.addTrain(m.Step, m.Loss)
	if m.ValLoss != nil {
		l.addVal(m.Step, *m.ValLoss)
	}
}

func (l *lossCurves) addTrain(step int, loss float64) {
	l.trainSteps = append(l.trainSteps, float64(step))
	l.trainLoss = append(l.trainLoss, loss)
}

func (l *lossCurves) addVal(step int, loss float64) {
	l.valSteps = append(l.valSteps, float64(step))
	l.valLoss = append(l.valLoss, loss)
}

// plot draws the train and validation loss curves into a PNG at path,
// through a temporary file so a reader never sees half a picture.
func (l *lossCurves) plot(path string) error {
	p := plot.New()
	p.Title.Text = "gptgo training loss"
	p.X.Label.Text = "step"
	p.Y.Label.Text = "cross-entropy (nats)"
	p.Add(plotter.NewGrid())
	if err := addLine(p, l.trainSteps, l.trainLoss, "train", color.RGBA{R: 31, G: 119, B: 180, A: 255}); err != nil {
		return err
	}
	if err := addLine(p, l.valSteps, l.valLoss, "val", color.RGBA{R: 214, G: 39, B: 40, A: 255}); err != nil {
		return err
	}
	p.Legend.Top = true
	tmp := path + ".tmp.png" // runfile.RemoveTemp knows this name
	if err := p.Save(8*vg.Inch, 5*vg.Inch, tmp); err != nil {
		os.Remove(tmp) // a full disk must not keep a partial picture
		return fmt.Errorf("drawing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// addLine adds the finite points of a curve to p as a line named name,
// and nothing when the curve has no points.
func addLine(p *plot.Plot, xs, ys []float64, name string, c color.Color) error {
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
