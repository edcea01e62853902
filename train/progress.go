package train

import (
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progress reports training progress: a live bar on a terminal, or a plain
// log line every few seconds otherwise (CI, pipes, files).
type progress struct {
	bar      *progressbar.ProgressBar
	w        io.Writer
	total    int
	lastLine time.Time
	every    time.Duration
}

func newProgress(w io.Writer, terminal bool, total, start int) *progress {
	p := &progress{w: w, total: total, every: 10 * time.Second}
	if terminal {
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetWidth(30),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
		_ = p.bar.Set(start)
	}
	return p
}

// step records that step (1-based) finished with the given stats.
func (p *progress) step(step int, epoch, loss, tokPerS, lr float64, eta time.Duration) {
	desc := fmt.Sprintf("epoch %.2f  loss %.4f  %.0f tok/s  lr %.2e", epoch, loss, tokPerS, lr)
	if p.bar != nil {
		p.bar.Describe(desc)
		_ = p.bar.Set(step)
		return
	}
	if now := time.Now(); step == 1 || step == p.total || now.Sub(p.lastLine) >= p.every {
		p.lastLine = now
		fmt.Fprintf(p.w, "step %d/%d  %s  eta %s\n", step, p.total, desc, eta.Round(time.Second))
	}
}

// println writes a line without tearing the bar.
func (p *progress) println(format string, a ...any) {
	if p.bar != nil {
		_ = p.bar.Clear()
	}
	fmt.Fprintf(p.w, format+"\n", a...)
	if p.bar != nil {
		_ = p.bar.RenderBlank()
	}
}

func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}
