package serve

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gptgo/gptgo/infer"
	"github.com/gptgo/gptgo/model"
	"github.com/gptgo/gptgo/tokenizer"
)

// ErrBusy is returned by submit when every slot is taken and the queue is
// full.
var ErrBusy = errors.New("serve: every slot is busy and the queue is full")

// job is one sequence to generate: a request's choice.
type job struct {
	ctx      context.Context
	prompt   []int
	opts     infer.Options
	logprobs bool
	top      int
	out      *stream
	arrived  time.Time // when the request came in: time to first token counts from it
}

// stream carries a job's output from the scheduler to its handler: the
// scheduler appends and never blocks; the handler waits on ready.
type stream struct {
	mu     sync.Mutex
	text   string
	tokens []infer.Token
	done   bool
	stats  infer.Stats
	err    error
	ready  chan struct{} // has a value while something is unread
}

func newStream() *stream { return &stream{ready: make(chan struct{}, 1)} }

// chunk is what a handler reads from a stream at once.
type chunk struct {
	text   string
	tokens []infer.Token
	done   bool
	stats  infer.Stats
	err    error
}

// add appends output and wakes the reader.
func (s *stream) add(text string, toks []infer.Token) {
	s.mu.Lock()
	s.text += text
	s.tokens = append(s.tokens, toks...)
	s.mu.Unlock()
	s.wake()
}

// finish ends the stream with the generation's statistics or an error.
func (s *stream) finish(st infer.Stats, err error) {
	s.mu.Lock()
	s.done, s.stats, s.err = true, st, err
	s.mu.Unlock()
	s.wake()
}

func (s *stream) wake() {
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// next waits for output (or ctx) and returns everything unread.
func (s *stream) next(ctx context.Context) (chunk, error) {
	for {
		s.mu.Lock()
		c := chunk{text: s.text, tokens: s.tokens, done: s.done, stats: s.stats, err: s.err}
		s.text, s.tokens = "", nil
		s.mu.Unlock()
		if c.text != "" || len(c.tokens) > 0 || c.done {
			return c, nil
		}
		select {
		case <-s.ready:
		case <-ctx.Done():
			return chunk{}, ctx.Err()
		}
	}
}

// scheduler decodes up to len(slots) sequences together (continuous
// batching): each step appends one token to every active sequence in
// one infer.Batch pass; a new job joins at the next step (its prompt is
// prefilled alone first), and a finished or abandoned one leaves.
// Jobs beyond the slots wait in a bounded queue.
type scheduler struct {
	model *model.Model
	tok   tokenizer.Tokenizer
	queue chan *job
	slots []*slot
	batch *infer.Batch
	met   *metrics
	busy  atomic.Int32 // slots decoding, readable from any goroutine
	work  chan func()  // other work for the scheduler's goroutine (do)
}

// slot is one sequence being decoded, with the engine it keeps.
type slot struct {
	engine *infer.Engine
	job    *job
	seq    *infer.Sequence
	next   int // the token to append at the next step
	toks   []infer.Token
	text   string
}

func newScheduler(m *model.Model, tok tokenizer.Tokenizer, parallel, queue int, met *metrics) *scheduler {
	s := &scheduler{model: m, tok: tok, queue: make(chan *job, queue), batch: infer.NewBatch(m), met: met, work: make(chan func())}
	for range parallel {
		s.slots = append(s.slots, &slot{engine: infer.NewEngine(m)})
	}
	return s
}

// submit queues j, or returns ErrBusy when the queue is full.
func (s *scheduler) submit(j *job) error {
	select {
	case s.queue <- j:
		s.met.queued(len(s.queue))
		return nil
	default:
		return ErrBusy
	}
}

// run decodes until ctx is done; then the active jobs end as cancelled.
func (s *scheduler) run(ctx context.Context) {
	for {
		if !s.admit(ctx) {
			s.cancelAll()
			return
		}
		s.step()
	}
}

// admit fills free slots from the queue, waiting for a job when none is
// active, and runs the other work handed to the scheduler (see do). It
// returns false when ctx is done.
func (s *scheduler) admit(ctx context.Context) bool {
	s.runWork()
	for _, sl := range s.slots {
		if sl.job != nil {
			continue
		}
		var j *job
		for j == nil {
			if s.active() > 0 {
				select {
				case j = <-s.queue:
				default:
					return ctx.Err() == nil
				}
				break
			}
			select {
			case j = <-s.queue:
			case w := <-s.work:
				w()
			case <-ctx.Done():
				return false
			}
		}
		s.met.queued(len(s.queue))
		s.start(sl, j)
	}
	return ctx.Err() == nil
}

// runWork runs the work waiting, without blocking.
func (s *scheduler) runWork() {
	for {
		select {
		case w := <-s.work:
			w()
		default:
			return
		}
	}
}

// do runs f on the scheduler's goroutine between two steps, so that it
// may use the model (a forward pass of its own) while the slots decode,
// and waits for it; it gives up when ctx is done.
func (s *scheduler) do(ctx context.Context, f func()) error {
	done := make(chan struct{})
	select {
	case s.work <- func() { f(); close(done) }:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done(): // f still runs to its end on the scheduler
		return ctx.Err()
	}
}

// setBusy publishes the number of busy slots.
func (s *scheduler) setBusy() {
	n := s.active()
	s.busy.Store(int32(n))
	s.met.busy(n)
}

func (s *scheduler) active() int {
	n := 0
	for _, sl := range s.slots {
		if sl.job != nil {
			n++
		}
	}
	return n
}

// start prefills j's prompt on sl and samples its first token.
func (s *scheduler) start(sl *slot, j *job) {
	if j.ctx.Err() != nil {
		j.out.finish(infer.Stats{StopReason: infer.StopCanceled}, j.ctx.Err())
		return
	}
	sl.job = j
	sl.seq = infer.NewSequence(sl.engine, s.tok, j.opts, func(text string) error { sl.text += text; return nil })
	if j.logprobs { // tokens are reported only for their log-probabilities
		sl.seq.LogProbs, sl.seq.TopLogprobs = true, j.top
		sl.seq.OnToken = func(t infer.Token) {
			if t.ID == s.tok.EOT() && !j.opts.IgnoreEOS {
				return // the end of the text, not a token of it
			}
			sl.toks = append(sl.toks, t)
		}
	}
	logits, err := sl.seq.Start(j.prompt)
	if err != nil {
		s.end(sl, err)
		return
	}
	s.setBusy()
	s.sample(sl, logits)
}

// sample draws sl's next token from logits and passes its output on.
func (s *scheduler) sample(sl *slot, logits []float32) {
	tok, done, err := sl.seq.Next(logits)
	sl.job.out.add(sl.text, sl.toks)
	sl.text, sl.toks = "", nil
	s.met.generated(1)
	if sl.seq.Stats.GeneratedTokens == 1 {
		s.met.firstToken(time.Since(sl.job.arrived))
	}
	if done || err != nil {
		s.end(sl, err)
		return
	}
	sl.next = tok
}

// step appends every active sequence's token: the ones whose window must
// slide on their own, the rest in one batched pass; then each samples.
func (s *scheduler) step() {
	var rows []*slot
	var engines []*infer.Engine
	var toks []int
	for _, sl := range s.slots {
		if sl.job == nil {
			continue
		}
		if err := sl.job.ctx.Err(); err != nil { // the client went away
			sl.seq.Cancel()
			s.end(sl, err)
			continue
		}
		if sl.seq.MustSlide() {
			logits, err := sl.seq.Feed(sl.next)
			if err != nil {
				s.end(sl, err)
				continue
			}
			s.sample(sl, logits)
			continue
		}
		rows, engines, toks = append(rows, sl), append(engines, sl.engine), append(toks, sl.next)
	}
	if len(rows) == 0 {
		return
	}
	t0 := time.Now()
	logits, err := s.batch.Decode(engines, toks)
	if err != nil {
		for _, sl := range rows {
			s.end(sl, err)
		}
		return
	}
	s.met.step(len(rows), time.Since(t0))
	V := s.model.Config.VocabSize
	for i, sl := range rows {
		s.sample(sl, logits[i*V:(i+1)*V])
	}
}

// end finishes sl's job and frees the slot.
func (s *scheduler) end(sl *slot, err error) {
	sl.job.out.finish(sl.seq.Stats, err)
	sl.job, sl.seq = nil, nil
	s.setBusy()
}

// cancelAll ends every active and queued job as cancelled.
func (s *scheduler) cancelAll() {
	for _, sl := range s.slots {
		if sl.job != nil {
			sl.seq.Cancel()
			s.end(sl, context.Canceled)
		}
	}
	for {
		select {
		case j := <-s.queue:
			j.out.finish(infer.Stats{StopReason: infer.StopCanceled}, context.Canceled)
		default:
			return
		}
	}
}
