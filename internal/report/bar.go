package report

import (
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
)

// newBar returns the bar gpt draws: 30 wide, with the count and the time
// left, redrawn at most every 200 ms and cleared when finished.
func newBar(w io.Writer, total int, desc string) *progressbar.ProgressBar {
	return progressbar.NewOptions(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetWidth(30),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(200*time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetDescription(desc),
	)
}

// Bar returns a progress callback that draws a bar named desc on w for a
// loop that calls it after each item with the items done and the total
// (known at the first call), finishing the bar at the total. It returns nil
// when m shows no bar on w (Off, or Auto and w is not a terminal).
func Bar(w io.Writer, m Mode, desc string) func(done, total int) {
	if !m.bar(w) {
		return nil
	}
	var bar *progressbar.ProgressBar
	return func(done, total int) {
		if bar == nil {
			bar = newBar(w, total, desc)
		}
		_ = bar.Set(done)
		if done == total {
			_ = bar.Finish()
		}
	}
}
