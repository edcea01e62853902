package bench

import "github.com/gptgo/gptgo/model"

// Report is one model's results, as gpt bench -o json writes them.
type Report struct {
	Model   string       `json:"model"`
	Params  int          `json:"params"`
	Config  model.Config `json:"config"`
	Threads int          `json:"threads"`
	Reps    int          `json:"reps"`
	Results []Result     `json:"results"`
}
