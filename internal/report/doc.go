// Package report presents what the libraries compute: the progress of a
// training run (a live bar on a terminal, or log lines), its messages and
// its loss plot (loss.png), and a progress bar for other counted loops
// such as gpt eval's batches. Package train reports through its Observer
// interface and draws nothing itself.
package report
