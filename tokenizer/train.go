package tokenizer

import "fmt"

// BPETrainer learns BPE merges from text added in pieces (so a corpus need
// not be concatenated). It counts distinct pre-token chunks with their
// frequencies; Train then works on the distinct chunks only and updates the
// pair counts incrementally after each merge, picking the next merge from a
// max-heap: the most frequent pair, ties to the smaller (left, right) ids.
type BPETrainer struct {
	pattern string
	counts  map[string]int64
}

// NewBPETrainer returns a trainer for the split pattern (PatternGPT4 or
// PatternNone; "" means PatternGPT4).
func NewBPETrainer(pattern string) (*BPETrainer, error) {
	if pattern == "" {
		pattern = PatternGPT4
	}
	if pattern != PatternGPT4 && pattern != PatternNone {
		return nil, fmt.Errorf("bpe: unknown split pattern %q (want %q or %q)", pattern, PatternGPT4, PatternNone)
	}
	return &BPETrainer{pattern: pattern, counts: make(map[string]int64)}, nil
}

// Add counts the chunks of text. Each call is a separate document: no pair
// spans two calls.
func (tr *BPETrainer) Add(text []byte) {
	if tr.pattern == PatternNone {
		if len(text) > 1 {
			tr.counts[string(text)]++
		}
		return
	}
	splitGPT4(text, func(chunk []byte) {
		if len(chunk) > 1 {
			tr.counts[string(chunk)]++
		}
	})
}

// TrainBPE trains a BPE with vocabSize ids in all (256 bytes, vocabSize-257
// merges and <|endoftext|>) on text split with pattern. It stops early, with
// a smaller vocabulary, when no pair of adjacent tokens is left to merge.
//
// With PatternNone (or PatternGPT4: the text is one pre-token) training on
// "aaabdaaabac" with vocabSize 260 (3 merges) encodes it to
// [258 100 258 97 99], minbpe's example.
func TrainBPE(text []byte, vocabSize int, pattern string) (*BPE, error) {
	tr, err := NewBPETrainer(pattern)
	if err != nil {
		return nil, err
	}
	tr.Add(text)
	return tr.Train(vocabSize)
}

type pairCount struct {
	count int64
	key   uint64
}

// pairHeap is a max-heap on count, ties to the smaller key.
type pairHeap []pairCount

func (h pairHeap) less(i, j int) bool {
	if h[i].count != h[j].count {
		return h[i].count > h[j].count
	}
	return h[i].key < h[j].key
}

func (h *pairHeap) push(p pairCount) {
	*h = append(*h, p)
	a := *h
	for i := len(a) - 1; i > 0; {
		q := (i - 1) / 2
		if !a.less(i, q) {
			break
		}
		a[i], a[q] = a[q], a[i]
		i = q
	}
}

func (h *pairHeap) pop() pairCount {
	a := *h
	top := a[0]
	last := len(a) - 1
	a[0] = a[last]
	a = a[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < last && a.less(l, m) {
			m = l
		}
		if r < last && a.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		a[i], a[m] = a[m], a[i]
		i = m
	}
	*h = a
	return top
}

// Train learns vocabSize-257 merges (fewer if the text runs out of pairs).
func (tr *BPETrainer) Train(vocabSize int) (*BPE, error) {
	if vocabSize < 257 {
		return nil, fmt.Errorf("bpe: vocabulary size %d is below 257 (256 bytes + <|endoftext|>)", vocabSize)
	}
	if vocabSize > 1<<24 {
		return nil, fmt.Errorf("bpe: vocabulary size %d is too large", vocabSize)
	}
	nMerges := vocabSize - 257

	// Words: distinct chunks as symbol sequences in one slab.
	nw := len(tr.counts)
	total := 0
	for w := range tr.counts {
		total += len(w)
	}
	slab := make([]int32, 0, total)
	start := make([]int32, 0, nw)
	length := make([]int32, 0, nw)
	weight := make([]int64, 0, nw)
	for w, c := range tr.counts {
		start = append(start, int32(len(slab)))
		length = append(length, int32(len(w)))
		weight = append(weight, c)
		for i := 0; i < len(w); i++ {
			slab = append(slab, int32(w[i]))
		}
	}

	counts := make(map[uint64]int64, 1<<16)
	where := make(map[uint64][]int32, 1<<16)
	addWhere := func(k uint64, w int32) {
		l := where[k]
		if n := len(l); n > 0 && l[n-1] == w {
			return
		}
		where[k] = append(l, w)
	}
	for w := range start {
		s := slab[start[w] : start[w]+length[w]]
		for i := 0; i+1 < len(s); i++ {
			k := pairKey(s[i], s[i+1])
			counts[k] += weight[w]
			addWhere(k, int32(w))
		}
	}
	h := make(pairHeap, 0, len(counts))
	for k, c := range counts {
		h.push(pairCount{c, k})
	}

	merges := make([][2]int, 0, nMerges)
	seen := make([]int32, nw) // last merge+1 that visited the word
	changed := make(map[uint64]struct{})
	for len(merges) < nMerges {
		// Next valid heap top.
		var best pairCount
		found := false
		for len(h) > 0 {
			p := h.pop()
			c := counts[p.key]
			if c == p.count && c > 0 {
				best, found = p, true
				break
			}
			if c > 0 && c < p.count {
				h.push(pairCount{c, p.key})
			}
		}
		if !found {
			break
		}
		a, b := int32(best.key>>32), int32(uint32(best.key))
		n := int32(256 + len(merges))
		merges = append(merges, [2]int{int(a), int(b)})
		stamp := int32(len(merges))
		clear(changed)
		for _, w := range where[best.key] {
			if seen[w] == stamp {
				continue
			}
			seen[w] = stamp
			s := slab[start[w] : start[w]+length[w]]
			wt := weight[w]
			out := 0
			prevEnd := -2 // index of the b of the previous occurrence
			for i := 0; i < len(s); i++ {
				if i+1 < len(s) && s[i] == a && s[i+1] == b {
					counts[best.key] -= wt
					if i > 0 && prevEnd != i-1 {
						counts[pairKey(s[i-1], a)] -= wt
					}
					if i+2 < len(s) {
						counts[pairKey(b, s[i+2])] -= wt
					}
					if out > 0 {
						k := pairKey(s[out-1], n)
						counts[k] += wt
						addWhere(k, w)
						changed[k] = struct{}{}
					}
					if i+2 < len(s) && !(s[i+2] == a && i+3 < len(s) && s[i+3] == b) {
						k := pairKey(n, s[i+2])
						counts[k] += wt
						addWhere(k, w)
						changed[k] = struct{}{}
					}
					s[out] = n
					prevEnd = i + 1
					i++
				} else {
					s[out] = s[i]
				}
				out++
			}
			length[w] = int32(out)
		}
		delete(where, best.key)
		delete(counts, best.key)
		for k := range changed {
			if c := counts[k]; c > 0 {
				h.push(pairCount{c, k})
			}
		}
	}
	return NewBPE(merges, tr.pattern)
}
