package serve

import (
	"context"
	"encoding/json"
	"net/http"
)

// Server-sent events as OpenAI streams them: each event is
// "data: {json}\n\n", and the stream ends with "data: [DONE]\n\n".

// sse writes events to w, flushing after each.
type sse struct {
	w       http.ResponseWriter
	started bool
}

func (e *sse) send(v any) error {
	if !e.started {
		h := e.w.Header()
		h.Set("Content-Type", "text/event-stream")
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Accel-Buffering", "no")
		e.w.WriteHeader(http.StatusOK)
		e.started = true
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if _, err := e.w.Write(append(append([]byte("data: "), b...), '\n', '\n')); err != nil {
		return err
	}
	e.flush()
	return nil
}

func (e *sse) done() {
	_, _ = e.w.Write([]byte("data: [DONE]\n\n"))
	e.flush()
}

func (e *sse) flush() {
	if f, ok := e.w.(http.Flusher); ok {
		f.Flush()
	}
}

// piece is one job's chunk in a fan-in of several.
type piece struct {
	index int
	chunk
}

// fanIn reads every job's stream and returns the chunks in the order they
// come, tagged with the job's index; the channel closes when every job is
// done or ctx is.
func fanIn(ctx context.Context, jobs []*job) <-chan piece {
	ch := make(chan piece)
	left := make(chan struct{}, len(jobs))
	for i, j := range jobs {
		go func() {
			defer func() { left <- struct{}{} }()
			for {
				c, err := j.out.next(ctx)
				if err != nil {
					return
				}
				select {
				case ch <- piece{i, c}:
				case <-ctx.Done():
					return
				}
				if c.done {
					return
				}
			}
		}()
	}
	go func() {
		for range jobs {
			<-left
		}
		close(ch)
	}()
	return ch
}

// streamCompletions answers a streaming completions request: a chunk per
// group of tokens a choice produced, a last chunk per choice with its
// finish reason, a usage chunk if asked, then [DONE]. An error after the
// stream started is sent as an error event.
func (s *Server) streamCompletions(w http.ResponseWriter, r *http.Request, jobs []*job, prompts [][]int, p params, head completionResponse) *httpError {
	out := &sse{w: w}
	offsets := make([]int, len(jobs))
	u := usage{}
	for pc := range fanIn(r.Context(), jobs) {
		if pc.done && pc.err != nil {
			return s.streamError(out, generationError(pc.err))
		}
		ch := completionChoice{Index: pc.index, Text: pc.text}
		if p.logprobs {
			ch.Logprobs = legacyLogprobs(pc.tokens, offsets[pc.index])
		}
		for _, tk := range pc.tokens { // offsets follow the tokens, whose text may run ahead of the emitted text
			offsets[pc.index] += len(tk.Text)
		}
		if pc.done {
			ch.FinishReason = finishReason(pc.stats)
			u.CompletionTokens += pc.stats.GeneratedTokens
		}
		resp := head
		resp.Choices = []completionChoice{ch}
		if out.send(resp) != nil {
			return nil // the client went away: its jobs are cancelled with the request
		}
	}
	if r.Context().Err() != nil {
		return nil
	}
	if p.usage {
		for _, pr := range prompts {
			u.PromptTokens += len(pr)
		}
		u.TotalTokens = u.PromptTokens + u.CompletionTokens
		resp := head
		resp.Choices, resp.Usage = []completionChoice{}, &u
		_ = out.send(resp)
	}
	out.done()
	return nil
}

// streamError reports e: as the response if nothing was sent yet, else as
// a last event in OpenAI's error shape.
func (s *Server) streamError(out *sse, e *httpError) *httpError {
	if !out.started {
		return e
	}
	var body apiError
	body.Error.Message, body.Error.Type = e.msg, e.typ
	_ = out.send(body)
	return nil
}
