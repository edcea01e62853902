package main

import (
	"fmt"

	"github.com/gptgo/gptgo/checkpoints"
	"github.com/gptgo/gptgo/kernels"
)

func init() {
	commands["export"] = command{
		summary: "write a smaller weights-only (inference) copy of a checkpoint",
		run:     runExport,
	}
}

func runExport(args []string) error {
	fs := newFlagSet("export")
	in := fs.String("checkpoint", "", "model: a .ckpt or run folder (its latest.ckpt), a model.safetensors (or its folder) or an llm.c .bin")
	tokName := fs.String("tokenizer", "", "tokenizer for a model file that has none (llm.c, foreign safetensors)")
	out := fs.String("out", "", "file to write")
	bf16 := fs.Bool("bf16", false, "store the weights as bfloat16 (about half the size)")
	weightsOnly := fs.Bool("weights-only", true, "leave out the training state; false keeps it (re-compress only)")
	level := fs.Int("level", 0, fmt.Sprintf("zstd level 1 (fastest) to 22 (smallest); 0 means %d", checkpoints.DefaultLevel))
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return errorf("unexpected arguments %q", fs.Args())
	case *in == "":
		return errorf("--checkpoint is required (a checkpoint file or a run folder)")
	case *out == "":
		return errorf("--out is required")
	case *bf16 && !*weightsOnly:
		return errorf("--bf16 needs --weights-only: a resumable checkpoint keeps float32")
	case *level < 0 || *level > 22:
		return errorf("--level %d out of range 1..22", *level)
	}
	o, err := openModel(*in, *tokName, !*weightsOnly)
	if err != nil {
		return err
	}
	ck, path := o.Checkpoint(), o.Path
	dtype := kernels.F32
	if *bf16 {
		dtype = kernels.BF16
	}
	if err := checkpoints.Save(*out, ck, checkpoints.SaveOptions{WeightsOnly: *weightsOnly, DType: dtype, Level: *level}); err != nil {
		return errorf("%v", err)
	}
	kind := "weights-only float32"
	switch {
	case *bf16:
		kind = "weights-only bfloat16"
	case ck.Train != nil && !*weightsOnly:
		kind = "resumable"
	}
	fmt.Fprintf(cmdStdout, "wrote %s: %s, %d parameters, %s (from %s, %s)\n",
		*out, kind, len(ck.Params), fileMB(*out), path, fileMB(path))
	return nil
}
