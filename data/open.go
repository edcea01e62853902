package data

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// The files of a folder written by Prepare.
const (
	TrainFile     = "train.bin"
	ValFile       = "val.bin"
	TokenizerFile = "tokenizer.json"
)

// IsPrepared reports whether dir is a folder written by Prepare (it holds
// a train.bin).
func IsPrepared(dir string) bool {
	fi, err := os.Stat(filepath.Join(dir, TrainFile))
	return err == nil && !fi.IsDir()
}

// IsTokenFile reports whether the file at path starts with the token file
// magic number (it may still be malformed: OpenTokens checks the rest).
func IsTokenFile(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	var head [4]byte
	k, _ := io.ReadFull(f, head[:])
	return k == 4 && binary.LittleEndian.Uint32(head[:]) == Magic, nil
}

// OpenEval opens tokens to score a model on: a folder written by Prepare
// (its val.bin), a token file, or a text file encoded with encode. The
// closer releases a mapped token file. Errors name the path.
func OpenEval(path string, vocab int, encode func(string) []int) (Tokens, func(), error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: no such file or folder", path)
	}
	if fi.IsDir() {
		val := filepath.Join(path, ValFile)
		if _, err := os.Stat(val); err != nil {
			return nil, nil, fmt.Errorf("%s: a folder without a %s (want a gpt prepare folder, a token file or a text file)", path, ValFile)
		}
		path = val
	}
	isTok, err := IsTokenFile(path)
	if err != nil {
		return nil, nil, err
	}
	if isTok {
		tf, err := OpenTokens(path)
		if err != nil {
			return nil, nil, err
		}
		if err := tf.Check(vocab); err != nil {
			tf.Close()
			return nil, nil, err
		}
		return tf, func() { tf.Close() }, nil
	}
	b, err := ReadFileAtMost(path, MaxTextBytes)
	if err != nil {
		return nil, nil, err
	}
	if !IsText(b) {
		return nil, nil, fmt.Errorf("%s: neither a token file nor text", path)
	}
	ids := encode(string(b))
	s := Slice{Label: path, IDs: make([]int32, len(ids))}
	for i, id := range ids {
		s.IDs[i] = int32(id)
	}
	return s, func() {}, nil
}

// Size is the total size in bytes of files (those that can be read).
func Size(files []string) int64 {
	var n int64
	for _, f := range files {
		if st, err := os.Stat(f); err == nil {
			n += st.Size()
		}
	}
	return n
}

// Prepared is an open folder written by Prepare.
type Prepared struct {
	Dir   string
	Train *TokenFile
	Val   *TokenFile // nil when the folder has no val.bin
}

// OpenPrepared opens the token files of a folder written by Prepare. Its
// tokenizer is in filepath.Join(dir, TokenizerFile).
func OpenPrepared(dir string) (*Prepared, error) {
	tr, err := OpenTokens(filepath.Join(dir, TrainFile))
	if err != nil {
		return nil, err
	}
	p := &Prepared{Dir: dir, Train: tr}
	if _, err := os.Stat(filepath.Join(dir, ValFile)); err == nil {
		if p.Val, err = OpenTokens(filepath.Join(dir, ValFile)); err != nil {
			tr.Close()
			return nil, err
		}
	}
	return p, nil
}

// Check reports the first token of either file outside a vocabulary of
// vocab (see TokenFile.Check).
func (p *Prepared) Check(vocab int) error {
	if err := p.Train.Check(vocab); err != nil {
		return err
	}
	if p.Val != nil {
		return p.Val.Check(vocab)
	}
	return nil
}

// Close releases the token files.
func (p *Prepared) Close() error {
	err := p.Train.Close()
	if p.Val != nil {
		if e := p.Val.Close(); err == nil {
			err = e
		}
	}
	return err
}
