package data

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Token file constants (llm.c's format, plus version 2 for uint32 tokens).
const (
	Magic       = 20240520
	Version16   = 1 // uint16 tokens
	Version32   = 2 // uint32 tokens
	HeaderInts  = 256
	HeaderBytes = HeaderInts * 4
)

// VersionFor returns the token file version for a vocabulary size.
func VersionFor(vocabSize int) int {
	if vocabSize <= 1<<16 {
		return Version16
	}
	return Version32
}

// TokenWriter streams tokens into a token file, atomically: they go to a
// temporary file beside it, which Close completes (the count in the
// header), syncs and renames into place. A failed or abandoned write
// never leaves a partial file at the path.
type TokenWriter struct {
	path    string
	f       *os.File
	w       *bufio.Writer
	version int
	maxID   int
	n       int64
	buf     []byte
	err     error
}

// CreateTokens creates a token file at path for ids below vocabSize.
func CreateTokens(path string, vocabSize int) (*TokenWriter, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, err
	}
	tw := &TokenWriter{path: path, f: f, w: bufio.NewWriterSize(f, 1<<20), version: VersionFor(vocabSize), maxID: vocabSize - 1}
	var hdr [HeaderBytes]byte
	if _, err := tw.w.Write(hdr[:]); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return tw, nil
}

// Write appends ids.
func (tw *TokenWriter) Write(ids []int32) error {
	if tw.err != nil {
		return tw.err
	}
	width := 2
	if tw.version == Version32 {
		width = 4
	}
	tw.buf = tw.buf[:0]
	for _, id := range ids {
		if id < 0 || int(id) > tw.maxID {
			tw.err = fmt.Errorf("%s: token id %d outside the vocabulary (0..%d)", tw.path, id, tw.maxID)
			return tw.err
		}
		if width == 2 {
			tw.buf = binary.LittleEndian.AppendUint16(tw.buf, uint16(id))
		} else {
			tw.buf = binary.LittleEndian.AppendUint32(tw.buf, uint32(id))
		}
	}
	_, tw.err = tw.w.Write(tw.buf)
	tw.n += int64(len(ids))
	return tw.err
}

// Count returns the number of tokens written so far.
func (tw *TokenWriter) Count() int64 { return tw.n }

// Close writes the header and puts the file in place; after an error
// (this one or an earlier Write's) it removes the temporary file instead.
func (tw *TokenWriter) Close() error {
	err := tw.err
	if err == nil {
		err = tw.w.Flush()
	}
	if err == nil && tw.n > 1<<31-1 {
		err = fmt.Errorf("%s: %d tokens do not fit the header's int32 count", tw.path, tw.n)
	}
	if err == nil {
		var hdr [HeaderBytes]byte
		binary.LittleEndian.PutUint32(hdr[0:], Magic)
		binary.LittleEndian.PutUint32(hdr[4:], uint32(tw.version))
		binary.LittleEndian.PutUint32(hdr[8:], uint32(tw.n))
		_, err = tw.f.WriteAt(hdr[:], 0)
	}
	if err == nil {
		err = tw.f.Sync()
	}
	if cerr := tw.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tw.f.Name(), tw.path)
	}
	if err != nil {
		os.Remove(tw.f.Name())
	}
	return err
}

// WriteTokens writes ids to a token file at path, version 1 if every id
// fits 16 bits of vocabSize, else version 2.
func WriteTokens(path string, ids []int32, vocabSize int) error {
	tw, err := CreateTokens(path, vocabSize)
	if err != nil {
		return err
	}
	for len(ids) > 0 {
		n := min(len(ids), 1<<16)
		if err := tw.Write(ids[:n]); err != nil {
			tw.Close()
			return err
		}
		ids = ids[n:]
	}
	return tw.Close()
}

// Tokens is a sequence of token ids the Loader reads from.
type Tokens interface {
	// Name identifies the tokens in errors (a file name).
	Name() string
	// Len is the number of tokens.
	Len() int
	// Copy fills dst with the tokens starting at off.
	Copy(dst []int32, off int)
}

// Slice is an in-memory Tokens.
type Slice struct {
	Label string
	IDs   []int32
}

func (s Slice) Name() string              { return s.Label }
func (s Slice) Len() int                  { return len(s.IDs) }
func (s Slice) Copy(dst []int32, off int) { copy(dst, s.IDs[off:off+len(dst)]) }

// TokenFile is an open token file, memory-mapped where possible.
type TokenFile struct {
	path    string
	version int
	n       int
	data    []byte // the tokens, after the header
	unmap   func() error
}

// OpenTokens opens and validates a token file: its header must have the
// magic number and a known version, and the file must hold exactly count
// tokens. Errors name the file.
func OpenTokens(path string) (*TokenFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s: is a directory, not a token file", path)
	}
	size := st.Size()
	if size < HeaderBytes {
		return nil, fmt.Errorf("%s: not a token file: %d bytes, shorter than the %d-byte header", path, size, HeaderBytes)
	}
	var hdr [12]byte
	if _, err := io.ReadFull(f, hdr[:]); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	magic := int32(binary.LittleEndian.Uint32(hdr[0:]))
	version := int32(binary.LittleEndian.Uint32(hdr[4:]))
	count := int32(binary.LittleEndian.Uint32(hdr[8:]))
	if magic != Magic {
		return nil, fmt.Errorf("%s: not a token file (bad magic %d, want %d)", path, magic, Magic)
	}
	width := int64(0)
	switch version {
	case Version16:
		width = 2
	case Version32:
		width = 4
	default:
		return nil, fmt.Errorf("%s: unknown token file version %d (want %d or %d)", path, version, Version16, Version32)
	}
	if count < 0 {
		return nil, fmt.Errorf("%s: negative token count %d", path, count)
	}
	need := HeaderBytes + int64(count)*width
	if need > size {
		return nil, fmt.Errorf("%s: truncated: header says %d tokens (%d bytes) but the file has %d bytes", path, count, need, size)
	}
	if need < size {
		return nil, fmt.Errorf("%s: %d bytes after the %d tokens the header declares", path, size-need, count)
	}
	tf := &TokenFile{path: path, version: int(version), n: int(count)}
	if count == 0 {
		return tf, nil
	}
	data, unmap, err := mapFile(f, size)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	tf.data = data[HeaderBytes:]
	tf.unmap = unmap
	return tf, nil
}

// Name returns the file's path.
func (t *TokenFile) Name() string { return t.path }

// Check reports the first token that is not an id of a vocabulary of
// vocab, naming the file, the token's index and its byte offset.
func (t *TokenFile) Check(vocab int) error {
	width := 2
	if t.version == Version32 {
		width = 4
	}
	for i := 0; i < t.n; i++ {
		var id uint32
		if width == 2 {
			id = uint32(binary.LittleEndian.Uint16(t.data[2*i:]))
		} else {
			id = binary.LittleEndian.Uint32(t.data[4*i:])
		}
		if id >= uint32(vocab) {
			return fmt.Errorf("%s: token %d (byte offset %d) is id %d, outside the vocabulary of %d", t.path, i, HeaderBytes+width*i, int32(id), vocab)
		}
	}
	return nil
}

// Len returns the number of tokens.
func (t *TokenFile) Len() int { return t.n }

// Version returns the file's format version (Version16 or Version32).
func (t *TokenFile) Version() int { return t.version }

// Copy fills dst with the tokens starting at off.
func (t *TokenFile) Copy(dst []int32, off int) {
	if t.version == Version16 {
		b := t.data[2*off : 2*(off+len(dst))]
		for i := range dst {
			dst[i] = int32(binary.LittleEndian.Uint16(b[2*i:]))
		}
		return
	}
	b := t.data[4*off : 4*(off+len(dst))]
	for i := range dst {
		dst[i] = int32(binary.LittleEndian.Uint32(b[4*i:]))
	}
}

// All returns every token (a copy, in memory).
func (t *TokenFile) All() []int32 {
	ids := make([]int32, t.n)
	t.Copy(ids, 0)
	return ids
}

// Close unmaps the file.
func (t *TokenFile) Close() error {
	if t.unmap == nil {
		return nil
	}
	err := t.unmap()
	t.unmap, t.data = nil, nil
	return err
}

// ReadTokens reads a whole token file into memory.
func ReadTokens(path string) ([]int32, error) {
	tf, err := OpenTokens(path)
	if err != nil {
		return nil, err
	}
	defer tf.Close()
	return tf.All(), nil
}
