package checkpoints

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/gptgo/gptgo/kernels"
)

// Format names a model file format gptgo reads and writes.
type Format string

// The model file formats.
const (
	FormatGptgo       Format = "gptgo"       // this package's checkpoint (.ckpt)
	FormatSafetensors Format = "safetensors" // Hugging Face GPT-2 model.safetensors
	FormatLlmc        Format = "llmc"        // llm.c model file (.bin)
)

// Describe is the format's name for people: "gptgo checkpoint", "Hugging
// Face safetensors" or "llm.c model".
func (f Format) Describe() string {
	switch f {
	case FormatGptgo:
		return "gptgo checkpoint"
	case FormatSafetensors:
		return "Hugging Face safetensors"
	case FormatLlmc:
		return "llm.c model"
	}
	return string(f)
}

// tokenFileMagic is llm.c's token file magic (package data), recognised so
// a token file passed as a model gets a helpful error.
const tokenFileMagic = 20240520

// DetectFormat returns the format of the model file at path from its
// first bytes.
func DetectFormat(path string) (Format, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", err
	}
	if fi.IsDir() {
		return "", fmt.Errorf("%s is a folder", path)
	}
	b := make([]byte, 16)
	k, _ := io.ReadFull(f, b)
	b = b[:k]
	switch {
	case len(b) >= len(Magic) && string(b[:len(Magic)]) == Magic:
		return FormatGptgo, nil
	case len(b) >= 4 && binary.LittleEndian.Uint32(b) == LlmcMagic:
		return FormatLlmc, nil
	case len(b) >= 4 && binary.LittleEndian.Uint32(b) == tokenFileMagic:
		return "", fmt.Errorf("%s is a token file (llm.c magic %d), not a model", path, tokenFileMagic)
	case len(b) >= 9 && b[8] == '{':
		return FormatSafetensors, nil
	}
	return "", fmt.Errorf("%s: unknown model format (not a gptgo checkpoint, a safetensors file or an llm.c model file)", path)
}

// FormatForPath returns the format a file name asks for: .ckpt, .safetensors
// or .bin (llm.c).
func FormatForPath(path string) (Format, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".ckpt":
		return FormatGptgo, nil
	case ".safetensors":
		return FormatSafetensors, nil
	case ".bin":
		return FormatLlmc, nil
	}
	return "", fmt.Errorf("%s: unknown output format (want a .ckpt, .safetensors or .bin (llm.c) file name)", path)
}

// Import reads a model in any format DetectFormat knows from path, resolved
// by ModelFile (a folder's model.safetensors, else its latest.ckpt). It returns the checkpoint, the format and notes for the
// user; opt applies to the foreign formats, except that its Tokenizer
// replaces a gptgo checkpoint's too.
func Import(path string, opt ImportOptions) (*Checkpoint, Format, []string, error) {
	path, err := ModelFile(path)
	if err != nil {
		return nil, "", nil, err
	}
	format, err := DetectFormat(path)
	if err != nil {
		return nil, "", nil, err
	}
	var ck *Checkpoint
	var notes []string
	switch format {
	case FormatGptgo:
		ck, err = Load(path)
		if err == nil && opt.Tokenizer != nil {
			ck.Tokenizer = *opt.Tokenizer
		}
	case FormatSafetensors:
		ck, notes, err = ImportHF(path, opt)
	case FormatLlmc:
		ck, notes, err = ImportLlmc(path, opt)
	}
	if err != nil {
		return nil, "", nil, err
	}
	return ck, format, notes, nil
}

// Export writes ck to path in format: a weights-only checkpoint (float32,
// or quantized as ck's Weights are), a Hugging Face model.safetensors
// (with config.json beside it) or an llm.c version 3 model file; the
// foreign formats need float32 Params.
func Export(path string, ck *Checkpoint, format Format) error {
	if dt := ck.DType(); dt != kernels.F32 && format != FormatGptgo {
		return fmt.Errorf("exporting %s: the weights are %v and a %s file holds float32; convert from the float32 checkpoint", path, dt, format.Describe())
	}
	switch format {
	case FormatGptgo:
		return Save(path, ck, SaveOptions{WeightsOnly: true, DType: ck.DType()})
	case FormatSafetensors:
		return ExportHF(path, ck)
	case FormatLlmc:
		return ExportLlmc(path, ck)
	}
	return fmt.Errorf("unknown format %q", format)
}

func fileExists(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir()
}
