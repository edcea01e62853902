package serve

import (
	"net/http"
	"time"
)

// models answers GET /v1/models: the one model served.
func (s *Server) models(w http.ResponseWriter, r *http.Request) *httpError {
	type entry struct {
		ID      string `json:"id"`
		Object  string `json:"object"`
		Created int64  `json:"created"`
		OwnedBy string `json:"owned_by"`
	}
	writeJSON(w, http.StatusOK, struct {
		Object string  `json:"object"`
		Data   []entry `json:"data"`
	}{"list", []entry{{ID: s.opt.ModelName, Object: "model", Created: time.Now().Unix(), OwnedBy: "gptgo"}}})
	return nil
}

// health answers GET /health: 200 once the server decodes, 503 before.
func (s *Server) health(w http.ResponseWriter, r *http.Request) *httpError {
	if !s.ready.Load() {
		return loadingError()
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

func loadingError() *httpError {
	return &httpError{status: http.StatusServiceUnavailable, typ: "server_error", retryAfterSecond: 1, msg: "the model is loading"}
}

// tokenize answers POST /tokenize {"content": text}: {"tokens": ids}.
func (s *Server) tokenize(w http.ResponseWriter, r *http.Request) *httpError {
	var req struct {
		Content *string `json:"content"`
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	if req.Content == nil {
		return badRequest("content", "content is required: the text to tokenize")
	}
	ids := s.tok.Encode(*req.Content)
	if ids == nil {
		ids = []int{}
	}
	writeJSON(w, http.StatusOK, map[string][]int{"tokens": ids})
	return nil
}

// detokenize answers POST /detokenize {"tokens": ids}: {"content": text}.
func (s *Server) detokenize(w http.ResponseWriter, r *http.Request) *httpError {
	var req struct {
		Tokens []int `json:"tokens"`
	}
	if err := decode(r, &req); err != nil {
		return err
	}
	V := s.tok.VocabSize()
	for i, id := range req.Tokens {
		if id < 0 || id >= V {
			return badRequest("tokens", "tokens[%d] is id %d, outside the vocabulary [0, %d)", i, id, V)
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"content": string(s.tok.Decode(req.Tokens))})
	return nil
}
