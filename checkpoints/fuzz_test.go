package checkpoints

import (
	"os"
	"path/filepath"
	"testing"
)

// addFiles adds each file's bytes to f's seed corpus.
func addFiles(f *testing.F, paths ...string) {
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// Any bytes as a gptgo checkpoint: Load never panics, and what it accepts
// builds a model.
func FuzzLoad(f *testing.F) {
	m, _ := filepath.Glob(filepath.Join("testdata", "v1", "*.ckpt"))
	addFiles(f, m...)
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(t.TempDir(), "f.ckpt")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		ck, err := Load(path)
		if err != nil {
			return
		}
		if _, err := ck.Model(); err != nil {
			t.Fatalf("loaded, but no model: %v", err)
		}
	})
}

// Any bytes as an llm.c model file: the importer never panics.
func FuzzImportLlmc(f *testing.F) {
	dir := f.TempDir()
	ck, err := Load(filepath.Join("testdata", "v1", "f32.ckpt"))
	if err != nil {
		f.Fatal(err)
	}
	bin := filepath.Join(dir, "m.bin")
	if err := ExportLlmc(bin, ck); err != nil {
		f.Fatal(err)
	}
	addFiles(f, bin)
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(t.TempDir(), "m.bin")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if ck, _, err := ImportLlmc(path, ImportOptions{}); err == nil {
			if _, err := ck.Model(); err != nil {
				t.Fatalf("imported, but no model: %v", err)
			}
		}
	})
}

// Any config.json beside a real model.safetensors: the Hugging Face
// importer never panics.
func FuzzImportHFConfig(f *testing.F) {
	addFiles(f, filepath.Join("testdata", "hf_tiny", "config.json"), filepath.Join("testdata", "gptgo_tiny", "config.json"))
	st, err := os.ReadFile(filepath.Join("testdata", "hf_tiny", "model.safetensors"))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, cfg []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "model.safetensors"), st, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "config.json"), cfg, 0o644); err != nil {
			t.Fatal(err)
		}
		if ck, _, err := ImportHF(filepath.Join(dir, "model.safetensors"), ImportOptions{}); err == nil {
			if _, err := ck.Model(); err != nil {
				t.Fatalf("imported, but no model: %v", err)
			}
		}
	})
}
