package data

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"unicode/utf8"
)

// sniffLen is how much of a file IsText looks at.
const sniffLen = 8000

// IsText reports whether b (the start of a file) looks like text: no NUL
// byte, and at most 10% of it control characters (other than tab,
// newline, carriage return, form feed, vertical tab, backspace, escape)
// or invalid UTF-8. A UTF-8 character cut at the end of b is fine.
func IsText(b []byte) bool {
	if len(b) > sniffLen {
		b = b[:sniffLen]
	}
	if bytes.IndexByte(b, 0) >= 0 {
		return false
	}
	bad := 0
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && !strings.ContainsRune("\t\n\r\f\v\b\x1b", rune(c)) || c == 0x7f {
				bad++
			}
			i++
			continue
		}
		r, w := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && w == 1 && !(len(b)-i < utf8.UTFMax && !utf8.FullRune(b[i:])) {
			bad++
		}
		i += w
	}
	return bad*10 <= len(b)
}

// checkText returns why path is not a usable text document ("" if it is).
func checkText(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	buf := make([]byte, sniffLen)
	n, err := f.Read(buf)
	if n == 0 {
		return "empty file", nil
	}
	if i := bytes.IndexByte(buf[:n], 0); i >= 0 {
		return fmt.Sprintf("binary file (NUL byte at offset %d), not text", i), nil
	}
	if !IsText(buf[:n]) {
		return "binary file (control characters or invalid UTF-8), not text", nil
	}
	return "", err
}

func pathError(path string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s: no such file or directory", path)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%s: permission denied", path)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %v", path, pe.Err)
	}
	return fmt.Errorf("%s: %v", path, err)
}

// Collect expands paths into the text files to read, in order: a file is
// taken as is and must be non-empty text; a folder is walked recursively
// (sorted, skipping hidden entries, empty and non-text files); a path with
// glob characters that does not exist is expanded with filepath.Glob and
// must match something. Errors name the path.
func Collect(paths []string) ([]string, error) {
	if len(paths) == 0 {
		return nil, errors.New("no data paths given")
	}
	var files []string
	seen := map[string]bool{}
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			files = append(files, p)
		}
	}
	var addPath func(p string, explicit bool) error
	addPath = func(p string, explicit bool) error {
		st, err := os.Stat(p)
		if err != nil {
			if explicit && strings.ContainsAny(p, "*?[") {
				matches, gerr := filepath.Glob(p)
				if gerr != nil {
					return fmt.Errorf("%s: bad pattern: %v", p, gerr)
				}
				if len(matches) == 0 {
					return fmt.Errorf("%s: no files match", p)
				}
				for _, m := range matches {
					if err := addPath(m, false); err != nil {
						return err
					}
				}
				return nil
			}
			return pathError(p, err)
		}
		if st.IsDir() {
			n := len(files)
			err := filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
				if err != nil {
					return pathError(q, err)
				}
				if q != p && strings.HasPrefix(d.Name(), ".") {
					if d.IsDir() {
						return filepath.SkipDir
					}
					return nil
				}
				if !d.Type().IsRegular() {
					return nil
				}
				why, err := checkText(q)
				if err != nil {
					return pathError(q, err)
				}
				if why == "" {
					add(q)
				}
				return nil
			})
			if err != nil {
				return err
			}
			if explicit && len(files) == n {
				return fmt.Errorf("%s: no text files in this folder", p)
			}
			return nil
		}
		if !st.Mode().IsRegular() {
			return fmt.Errorf("%s: not a regular file", p)
		}
		why, err := checkText(p)
		if err != nil {
			return pathError(p, err)
		}
		if why != "" {
			if explicit {
				return fmt.Errorf("%s: %s", p, why)
			}
			return nil // a glob match that is not text
		}
		add(p)
		return nil
	}
	for _, p := range paths {
		if err := addPath(p, true); err != nil {
			return nil, err
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no text files in %s", strings.Join(paths, " "))
	}
	return files, nil
}

// Options configures Tokenize and Prepare.
type Options struct {
	// Encode turns text into ids; it is called from several goroutines.
	// Long documents are cut into segments at a newline between two
	// printable non-space ASCII characters and the segments encoded
	// separately; every tokenizer in package tokenizer gives the same ids
	// either way (their split patterns always break there).
	Encode func(text string) []int
	// EOT is the end-of-text id that joins documents.
	EOT int
	// VocabSize bounds the ids (it picks the token file version).
	VocabSize int
	// ValFraction is the share of each document's tokens, taken from its
	// end, that goes to validation, in [0, 1).
	ValFraction float64
	// Progress, if set, is called with the bytes of text encoded so far.
	Progress func(done int64)
	// Workers encode in parallel (0: GOMAXPROCS).
	Workers int
	// TokenizerJSON, if set, is written by Prepare to tokenizer.json.
	TokenizerJSON []byte
}

// Stats counts what Tokenize and Prepare produced.
type Stats struct {
	Files       int
	Bytes       int64
	TrainTokens int64
	ValTokens   int64
}

// segmentLen is the target size of the pieces long documents are cut into.
const segmentLen = 256 << 10

// segments cuts text into pieces of about segmentLen bytes at safe points.
func segments(text []byte) [][]byte {
	var out [][]byte
	for len(text) > 2*segmentLen {
		cut := -1
		for i := segmentLen; i+1 < len(text) && i < 2*segmentLen; i++ {
			if text[i] == '\n' && printable(text[i-1]) && printable(text[i+1]) {
				cut = i + 1
				break
			}
		}
		if cut < 0 {
			break
		}
		out = append(out, text[:cut])
		text = text[cut:]
	}
	return append(out, text)
}

func printable(c byte) bool { return c > ' ' && c < 0x7f }

// Split returns how many of a document's n tokens go to training: the
// first floor(n*(1-valFraction)).
func Split(n int, valFraction float64) int {
	return int(float64(n) * (1 - valFraction))
}

// process reads and encodes files in order, calling emit for each
// document's train and validation parts (EOT-joined in each split).
func process(files []string, opt Options, emitTrain, emitVal func([]int32) error) (Stats, error) {
	var st Stats
	if opt.Encode == nil {
		return st, errors.New("no encode function")
	}
	if opt.ValFraction < 0 || opt.ValFraction >= 1 || opt.ValFraction != opt.ValFraction {
		return st, fmt.Errorf("--val-fraction %v is outside [0, 1)", opt.ValFraction)
	}
	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	eot := []int32{int32(opt.EOT)}
	var done int64
	// Files are handled in groups of about 8 MB so that small files are
	// encoded in parallel too.
	for len(files) > 0 {
		var group []string
		var texts [][]byte
		size := 0
		for len(files) > 0 && (size < 8<<20 || len(group) == 0) {
			b, err := os.ReadFile(files[0])
			if err != nil {
				return st, pathError(files[0], err)
			}
			group = append(group, files[0])
			texts = append(texts, b)
			size += len(b)
			files = files[1:]
		}
		type job struct{ doc, seg int }
		var jobs []job
		segs := make([][][]byte, len(texts))
		out := make([][][]int, len(texts))
		for d, t := range texts {
			segs[d] = segments(t)
			out[d] = make([][]int, len(segs[d]))
			for s := range segs[d] {
				jobs = append(jobs, job{d, s})
			}
		}
		var mu sync.Mutex
		var wg sync.WaitGroup
		next := 0
		for range min(workers, len(jobs)) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					mu.Lock()
					if next == len(jobs) {
						mu.Unlock()
						return
					}
					j := jobs[next]
					next++
					mu.Unlock()
					seg := segs[j.doc][j.seg]
					ids := opt.Encode(string(seg))
					mu.Lock()
					out[j.doc][j.seg] = ids
					done += int64(len(seg))
					if opt.Progress != nil {
						opt.Progress(done)
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		for d := range texts {
			var ids []int32
			for _, part := range out[d] {
				for _, id := range part {
					if id < 0 || (opt.VocabSize > 0 && id >= opt.VocabSize) {
						return st, fmt.Errorf("%s: token id %d outside the vocabulary (0..%d)", group[d], id, opt.VocabSize-1)
					}
					ids = append(ids, int32(id))
				}
			}
			out[d] = nil
			if len(ids) == 0 {
				continue
			}
			st.Files++
			st.Bytes += int64(len(texts[d]))
			nt := Split(len(ids), opt.ValFraction)
			for _, p := range []struct {
				ids  []int32
				emit func([]int32) error
				n    *int64
			}{{ids[:nt], emitTrain, &st.TrainTokens}, {ids[nt:], emitVal, &st.ValTokens}} {
				if len(p.ids) == 0 {
					continue
				}
				if *p.n > 0 {
					if err := p.emit(eot); err != nil {
						return st, err
					}
					*p.n++
				}
				if err := p.emit(p.ids); err != nil {
					return st, err
				}
				*p.n += int64(len(p.ids))
			}
		}
	}
	return st, nil
}

// Tokenize encodes files (from Collect) in memory and returns the train
// and validation tokens; gpt train uses it to prepare data on the fly.
func Tokenize(files []string, opt Options) (train, val []int32, st Stats, err error) {
	st, err = process(files, opt,
		func(ids []int32) error { train = append(train, ids...); return nil },
		func(ids []int32) error { val = append(val, ids...); return nil })
	return train, val, st, err
}

// Prepare encodes files (from Collect) into outDir/train.bin and
// outDir/val.bin, streaming, and writes opt.TokenizerJSON to
// outDir/tokenizer.json. outDir is created if needed.
func Prepare(outDir string, files []string, opt Options) (Stats, error) {
	if opt.VocabSize <= 0 {
		return Stats{}, errors.New("vocabulary size not set")
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return Stats{}, pathError(outDir, err)
	}
	train, err := CreateTokens(filepath.Join(outDir, "train.bin"), opt.VocabSize)
	if err != nil {
		return Stats{}, pathError(outDir, err)
	}
	val, err := CreateTokens(filepath.Join(outDir, "val.bin"), opt.VocabSize)
	if err != nil {
		train.Close()
		return Stats{}, pathError(outDir, err)
	}
	st, err := process(files, opt, train.Write, val.Write)
	if cerr := train.Close(); err == nil {
		err = cerr
	}
	if cerr := val.Close(); err == nil {
		err = cerr
	}
	if err == nil && st.TrainTokens == 0 {
		err = fmt.Errorf("no tokens from %d files", len(files))
	}
	if err == nil && opt.TokenizerJSON != nil {
		err = os.WriteFile(filepath.Join(outDir, "tokenizer.json"), opt.TokenizerJSON, 0o644)
	}
	return st, err
}
