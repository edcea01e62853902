package bench

import "github.com/gptgo/gptgo/model"

// Report is one model's results in one weight dtype, as gpt bench -o json
// writes them.
type Report struct {
	Model       string       `json:"model"`
	Params      int          `json:"params"`
	DType       string       `json:"dtype"`        // of the weights: f32, bf16, q8_0, q4_0
	WeightBytes int          `json:"weight_bytes"` // memory the weights occupy
	Config      model.Config `json:"config"`
	Threads     int          `json:"threads"`
	Reps        int          `json:"reps"`
	Results     []Result     `json:"results"`
}
