package main

import (
	"bytes"
	"fmt"

	"github.com/gptgo/gptgo/model"
	"github.com/gptgo/gptgo/tokenizer"
	"github.com/gptgo/gptgo/train"
)

// openInit opens the model --init names, the start of a fine-tuning run:
// its weights, its tokenizer and its shape, which the shape flags may
// repeat but not change. --context below the model's crops its position
// embeddings; without --context the run trains at train.PresetContext.
// The run's options record where the weights came from.
func (f *trainFlags) openInit(opt *train.Options) error {
	o, err := openModel(f.init, f.tokName, false)
	if err != nil {
		return errorf("--init: %v", err)
	}
	if o.Model.Params == nil {
		return errorf("--init %s: the weights are %v, and training needs float32 ones: start from a float32 file (gpt export without --dtype)", o.Path, o.DType)
	}
	c := o.Model.Config
	if err := f.checkShape(o.Path, c); err != nil {
		return err
	}
	if !f.set["context"] {
		opt.Context = train.PresetContext(c)
	} else if f.ctx > c.Context {
		return errorf("--context %d: the model %s has a context of %d; fine-tuning can crop it, not extend it", f.ctx, o.Path, c.Context)
	} else if o.Model, err = o.Model.CropContext(f.ctx); err != nil {
		return errorf("--context: %v", err)
	}
	if err := checkMemory(o.Model.Config, opt.Batch, opt.Context, opt.Dropout > 0); err != nil {
		return err
	}
	opt.Init = fmt.Sprintf("%s (%s)", o.Path, o.Format.Describe())
	f.base = o
	fmt.Fprintf(cmdStdout, "fine-tuning %s: %s, tokenizer %s\n", o.Path, o.Format.Describe(), o.Tokenizer.Spec().Name)
	return nil
}

// checkShape refuses shape flags that contradict the model of path.
func (f *trainFlags) checkShape(path string, c model.Config) error {
	if f.set["preset"] {
		return errorf("--preset: the shape comes from --init's model %s; drop --preset", path)
	}
	for _, s := range []struct {
		name      string
		flag, has int
	}{{"layers", f.layers, c.Layers}, {"heads", f.heads, c.Heads}, {"embd", f.embd, c.Embd}} {
		if f.set[s.name] && s.flag != s.has {
			return errorf("--%s %d: the model %s has %d; drop --%s when fine-tuning", s.name, s.flag, path, s.has, s.name)
		}
	}
	if f.set["activation"] && model.Activation(f.act) != c.Activation {
		return errorf("--activation %s: the model %s uses %s; drop --activation when fine-tuning", f.act, path, c.Activation)
	}
	return nil
}

// sameTokenizer checks that the prepared folder dir was tokenized with the
// tokenizer of --init's model.
func (f *trainFlags) sameTokenizer(dir string, data tokenizer.Tokenizer) error {
	a, err := tokenizer.MarshalSpec(f.base.Tokenizer)
	if err != nil {
		return errorf("%v", err)
	}
	b, err := tokenizer.MarshalSpec(data)
	if err != nil {
		return errorf("%v", err)
	}
	if !bytes.Equal(a, b) {
		mt, dt := f.base.Tokenizer.Spec().Name, data.Spec().Name
		if mt == dt {
			dt = "another " + dt
		}
		return errorf("--data %s was tokenized with %s, but the model %s uses %s: pass the text itself (it is tokenized with the model's tokenizer) or prepare it with --tokenizer %s",
			dir, dt, f.base.Path, mt, mt)
	}
	return nil
}
