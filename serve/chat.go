package serve

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/gptgo/gptgo/infer"
)

// The chat template, for models trained on plain text (every gptgo model,
// and GPT-2): a system message as a paragraph of its own, then each turn
// as "User: ..." or "Assistant: ..." on its own line, then "Assistant:"
// for the model to continue. "\nUser:" is added to the stop strings, so
// the reply ends where the model starts the next user turn.
//
//	You are terse.
//
//	User: Hi
//	Assistant: Hello.
//	User: Who are you?
//	Assistant:
const chatUserStop = "\nUser:"

// renderChat writes the messages in the template; a role other than
// system, user or assistant is a 400.
func renderChat(msgs []chatMessage) (string, *httpError) {
	if len(msgs) == 0 {
		return "", badRequest("messages", "messages: want at least one message")
	}
	var b strings.Builder
	for i, m := range msgs {
		text, err := messageText(m.Content)
		if err != nil {
			return "", badRequest("messages", "messages[%d].content: %s", i, err.msg)
		}
		switch m.Role {
		case "system", "developer":
			b.WriteString(text + "\n\n")
		case "user":
			b.WriteString("User: " + text + "\n")
		case "assistant":
			b.WriteString("Assistant: " + text + "\n")
		default:
			return "", badRequest("messages", "messages[%d].role %q: want system, user or assistant", i, m.Role)
		}
	}
	b.WriteString("Assistant:")
	return b.String(), nil
}

// messageText reads a message's content: a string, or a list of text parts.
func messageText(raw json.RawMessage) (string, *httpError) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var parts []struct {
		Type, Text string
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", badRequest("messages", "want a string or a list of {\"type\": \"text\", \"text\": ...} parts")
	}
	var b strings.Builder
	for _, p := range parts {
		if p.Type != "text" {
			return "", badRequest("messages", "a %q part: only text is supported", p.Type)
		}
		b.WriteString(p.Text)
	}
	return b.String(), nil
}

// chat answers POST /v1/chat/completions.
func (s *Server) chat(w http.ResponseWriter, r *http.Request) *httpError {
	var req chatRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	limit := req.MaxTokens
	if req.MaxCompletionTokens != nil {
		limit = req.MaxCompletionTokens
	}
	p, herr := s.parseSampling(&req.samplingFields, limit)
	if herr != nil {
		return herr
	}
	if req.TopLogprobs != nil && (*req.TopLogprobs < 0 || *req.TopLogprobs > maxTopLogpro || !req.Logprobs) {
		return badRequest("top_logprobs", "top_logprobs %d: want 0 to %d, with logprobs true", *req.TopLogprobs, maxTopLogpro)
	}
	if req.Logprobs {
		p.logprobs = true
		if req.TopLogprobs != nil {
			p.top = *req.TopLogprobs
		}
	}
	text, herr := renderChat(req.Messages)
	if herr != nil {
		return herr
	}
	prompt := s.encode(text)
	if herr := s.checkPrompt(prompt); herr != nil {
		return herr
	}
	p.opts.Stop = append(p.opts.Stop, chatUserStop)
	jobs, cancel, herr := s.submitAll(r.Context(), [][]int{prompt}, p)
	if herr != nil {
		return herr
	}
	defer cancel()
	head := chatResponse{ID: s.newID("chatcmpl"), Created: time.Now().Unix(), Model: s.opt.ModelName}
	if p.stream {
		return s.streamChat(w, r, jobs, len(prompt), p, head)
	}
	outs, herr := collect(r.Context(), jobs)
	if herr != nil {
		return herr
	}
	head.Object = "chat.completion"
	u := usage{PromptTokens: len(prompt)} // once, however many choices (as OpenAI counts)
	for i, o := range outs {
		reply := strings.TrimPrefix(o.text, " ")
		ch := chatChoice{Index: i, Message: &chatOut{Role: "assistant", Content: &reply}, FinishReason: finishReason(o.stats)}
		if p.logprobs {
			ch.Logprobs = chatTokenLogprobs(o.tokens)
		}
		head.Choices = append(head.Choices, ch)
		u.CompletionTokens += o.stats.GeneratedTokens
	}
	u.TotalTokens = u.PromptTokens + u.CompletionTokens
	head.Usage = &u
	writeJSON(w, http.StatusOK, head)
	return nil
}

// streamChat answers a streaming chat request: the role first, then the
// content as it comes, a finish chunk per choice, usage if asked, [DONE].
func (s *Server) streamChat(w http.ResponseWriter, r *http.Request, jobs []*job, promptLen int, p params, head chatResponse) *httpError {
	out := &sse{w: w}
	head.Object = "chat.completion.chunk"
	send := func(ch chatChoice) bool {
		resp := head
		resp.Choices = []chatChoice{ch}
		return out.send(resp) == nil
	}
	started := make([]bool, len(jobs))
	u := usage{PromptTokens: promptLen}
	for i := range jobs {
		empty := ""
		if !send(chatChoice{Index: i, Delta: &chatOut{Role: "assistant", Content: &empty}}) {
			return nil
		}
	}
	for pc := range fanIn(r.Context(), jobs) {
		if pc.done && pc.err != nil {
			return s.streamError(out, generationError(pc.err))
		}
		text := pc.text
		if !started[pc.index] && text != "" {
			text, started[pc.index] = strings.TrimPrefix(text, " "), true
		}
		ch := chatChoice{Index: pc.index, Delta: &chatOut{Content: &text}}
		if p.logprobs {
			ch.Logprobs = chatTokenLogprobs(pc.tokens)
		}
		if pc.done {
			ch.FinishReason = finishReason(pc.stats)
			u.CompletionTokens += pc.stats.GeneratedTokens
		}
		if !send(ch) {
			return nil
		}
	}
	if r.Context().Err() != nil {
		return nil
	}
	if p.usage {
		u.TotalTokens = u.PromptTokens + u.CompletionTokens
		resp := head
		resp.Choices, resp.Usage = []chatChoice{}, &u
		_ = out.send(resp)
	}
	out.done()
	return nil
}

// chatTokenLogprobs is the chat API's log-probabilities of tokens.
func chatTokenLogprobs(tokens []infer.Token) *chatLogprobs {
	lp := &chatLogprobs{Content: []tokenLogprob{}}
	for _, t := range tokens {
		tl := tokenLogprob{Token: t.Text, Logprob: t.Logprob, Bytes: bytesOf(t.Text), TopLogprobs: []tokenLogprob{}}
		for _, a := range t.Top {
			tl.TopLogprobs = append(tl.TopLogprobs, tokenLogprob{Token: a.Text, Logprob: a.Logprob, Bytes: bytesOf(a.Text)})
		}
		lp.Content = append(lp.Content, tl)
	}
	return lp
}

func bytesOf(s string) []int {
	b := make([]int, len(s))
	for i := range len(s) {
		b[i] = int(s[i])
	}
	return b
}
