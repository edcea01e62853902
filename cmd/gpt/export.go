package main

import (
	"fmt"

	"github.com/gptgo/gptgo/checkpoints"
	"github.com/gptgo/gptgo/kernels"
	"github.com/gptgo/gptgo/model"
)

func init() {
	commands["export"] = command{
		summary: "write a smaller weights-only (inference) copy of a checkpoint, optionally bf16, q8_0 or q4_0",
		run:     runExport,
	}
}

// exportFlags are gpt export's flags.
type exportFlags struct {
	in, tokName, out   string
	dtype              *dtypeFlag
	bf16               bool
	weightsOnly, force bool
	level              int
}

func runExport(args []string) error {
	f, err := parseExport(args)
	if err != nil {
		return err
	}
	o, err := openModel(f.in, f.tokName, !f.weightsOnly)
	if err != nil {
		return err
	}
	if err := checkOutput("--out", f.out, o.Path, f.force); err != nil {
		return err
	}
	dt, err := f.exportDType(o)
	if err != nil {
		return err
	}
	ck, path := o.Checkpoint(), o.Path
	if err := checkpoints.Save(f.out, ck, checkpoints.SaveOptions{WeightsOnly: f.weightsOnly, DType: dt, Level: f.level}); err != nil {
		return errorf("%v", err)
	}
	kind := "weights-only " + describeDType(dt)
	if ck.Train != nil && !f.weightsOnly {
		kind = "resumable"
	}
	fmt.Fprintf(cmdStdout, "wrote %s: %s, %d parameters, %s (from %s, %s)\n",
		f.out, kind, model.NumParams(ck.Config), fileMB(f.out), path, fileMB(path))
	return nil
}

// parseExport parses and checks gpt export's flags.
func parseExport(args []string) (*exportFlags, error) {
	fs := newFlagSet("export")
	f := &exportFlags{dtype: new(dtypeFlag)}
	fs.StringVar(&f.in, "checkpoint", "", "model: a .ckpt or run folder (its latest.ckpt), a model.safetensors (or its folder) or an llm.c .bin")
	fs.StringVar(&f.tokName, "tokenizer", "", "tokenizer for a model file that has none (llm.c, foreign safetensors)")
	fs.StringVar(&f.out, "out", "", "file to write")
	fs.Var(f.dtype, "dtype", "weights in the file: f32, bf16 (half the size), q8_0 (about 0.27) or q4_0 (about 0.15); default: as the input stores them")
	fs.BoolVar(&f.bf16, "bf16", false, "same as --dtype bf16")
	fs.BoolVar(&f.weightsOnly, "weights-only", true, "leave out the training state; false keeps it (re-compress only)")
	fs.BoolVar(&f.force, "force", false, "replace --out if it exists (never the file being read)")
	fs.IntVar(&f.level, "level", 0, fmt.Sprintf("zstd level 1 (fastest) to 22 (smallest); 0 means %d", checkpoints.DefaultLevel))
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	if f.bf16 {
		if f.dtype.set && f.dtype.dt != kernels.BF16 {
			return nil, errorf("--bf16 and --dtype %v disagree: pass one", f.dtype.dt)
		}
		f.dtype.dt, f.dtype.set = kernels.BF16, true
	}
	switch {
	case fs.NArg() > 0:
		return nil, errorf("unexpected arguments %q", fs.Args())
	case f.in == "":
		return nil, errorf("--checkpoint is required (a checkpoint file or a run folder)")
	case f.out == "":
		return nil, errorf("--out is required")
	case f.dtype.set && f.dtype.dt != kernels.F32 && !f.weightsOnly:
		name := "--dtype " + f.dtype.dt.String()
		if f.bf16 {
			name = "--bf16"
		}
		return nil, errorf("%s needs --weights-only: a resumable checkpoint keeps float32", name)
	case f.level < 0 || f.level > 22:
		return nil, errorf("--level %d out of range 1..22", f.level)
	}
	return f, nil
}

// exportDType is the dtype to write o in: --dtype's, or the file's own.
// Quantized weights export only as they are.
func (f *exportFlags) exportDType(o *checkpoints.Opened) (kernels.DType, error) {
	if !f.dtype.set {
		return o.DType, nil
	}
	dt := f.dtype.dt
	if o.DType != kernels.F32 && dt != o.DType {
		return 0, errorf("--dtype %v: %s holds %v weights; export from the float32 checkpoint", dt, o.Path, o.DType)
	}
	if dt == kernels.Q8_0 || dt == kernels.Q4_0 {
		if err := model.CanQuantize(o.Model.Config); err != nil {
			return 0, errorf("--dtype %v: %v", dt, err)
		}
	}
	return dt, nil
}

// describeDType names a file's weight dtype for people.
func describeDType(dt kernels.DType) string {
	switch dt {
	case kernels.F32:
		return "float32"
	case kernels.BF16:
		return "bfloat16"
	}
	return dt.String()
}
