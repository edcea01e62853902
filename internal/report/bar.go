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

// ByteBar returns a progress callback for total bytes, drawn as a bar named
// desc on w (with byte counts), and the function that finishes the bar. It
// returns nil and a no-op when m shows no bar on w.
func ByteBar(w io.Writer, m Mode, desc string, total int64) (progress func(done int64), finish func()) {
	if !m.bar(w) {
		return nil, func() {}
	}
	bar := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowBytes(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish())
	return func(done int64) { _ = bar.Set64(done) }, func() { _ = bar.Finish() }
}
