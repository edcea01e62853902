package serve

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gptgo/gptgo/model"
	"github.com/gptgo/gptgo/tokenizer"
)

// Options configure a Server.
type Options struct {
	ModelName string // what /v1/models and the responses call the model
	Parallel  int    // sequences decoded together (slots); at least 1
	Queue     int    // requests waiting for a slot before 503; 0: 4 x Parallel
	MaxTokens int    // the most (and the default) tokens a request generates
	APIKey    string // if set, every /v1 request needs "Authorization: Bearer KEY"
	CORS      string // if set, the origin allowed to call the API from a browser
}

// maxBody is the largest request body accepted (413 beyond it).
const maxBody = 1 << 20

// Server answers OpenAI's completions and chat completions APIs for one
// model, decoding concurrent requests together (see scheduler), and
// serves the web page at /.
type Server struct {
	model *model.Model
	tok   tokenizer.Tokenizer
	opt   Options
	sched *scheduler
	met   *metrics
	ready atomic.Bool
	mux   *http.ServeMux
	ids   atomic.Uint64 // response ids
}

// New returns a server for m and tok. Call Run to start decoding.
func New(m *model.Model, tok tokenizer.Tokenizer, opt Options) (*Server, error) {
	if opt.Parallel < 1 {
		return nil, fmt.Errorf("serve: parallel %d: want 1 or more", opt.Parallel)
	}
	if opt.MaxTokens < 1 {
		return nil, fmt.Errorf("serve: max tokens %d: want 1 or more", opt.MaxTokens)
	}
	if opt.Queue <= 0 {
		opt.Queue = 4 * opt.Parallel
	}
	if opt.ModelName == "" {
		opt.ModelName = "gptgo"
	}
	s := &Server{model: m, tok: tok, opt: opt, met: newMetrics()}
	s.sched = newScheduler(m, tok, opt.Parallel, opt.Queue, s.met)
	s.routes()
	return s, nil
}

// Run decodes requests until ctx is done, then ends the ones in flight.
// /health answers 200 from the moment it starts.
func (s *Server) Run(ctx context.Context) {
	s.ready.Store(true)
	s.sched.run(ctx)
}

// Handler is the HTTP handler of every endpoint.
func (s *Server) Handler() http.Handler { return s.mux }

func (s *Server) routes() {
	s.mux = http.NewServeMux()
	handle := func(method, path string, auth bool, h func(w http.ResponseWriter, r *http.Request) *httpError) {
		s.mux.Handle(path, s.wrap(method+" "+path, auth, func(w http.ResponseWriter, r *http.Request) *httpError {
			if r.Method != method && !(method == http.MethodGet && r.Method == http.MethodHead) {
				w.Header().Set("Allow", method)
				return &httpError{status: http.StatusMethodNotAllowed, typ: "invalid_request_error",
					msg: fmt.Sprintf("%s %s: use %s", r.Method, r.URL.Path, method)}
			}
			return h(w, r)
		}))
	}
	handle("POST", "/v1/completions", true, s.completions)
	handle("POST", "/v1/chat/completions", true, s.chat)
	handle("GET", "/v1/models", true, s.models)
	handle("POST", "/v1/inside", true, s.inside)
	handle("POST", "/tokenize", true, s.tokenize)
	handle("POST", "/detokenize", true, s.detokenize)
	handle("GET", "/health", false, s.health)
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(s.met.reg, promhttp.HandlerOpts{}))
	s.mux.Handle("/", s.wrap("other", false, func(w http.ResponseWriter, r *http.Request) *httpError {
		if r.URL.Path == "/" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			return s.servePage(w, r)
		}
		return &httpError{status: http.StatusNotFound, typ: "not_found_error", msg: fmt.Sprintf("no endpoint %s %s", r.Method, r.URL.Path)}
	}))
}

// wrap adds what every endpoint shares: CORS, the API key, the body limit,
// the error shape and the request metric.
func (s *Server) wrap(name string, auth bool, h func(w http.ResponseWriter, r *http.Request) *httpError) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		defer func() { s.met.request(name, sw.status) }()
		if s.opt.CORS != "" {
			h := sw.Header()
			h.Set("Access-Control-Allow-Origin", s.opt.CORS)
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
			h.Set("Access-Control-Allow-Methods", "GET, POST")
			if r.Method == http.MethodOptions { // a browser's preflight
				sw.WriteHeader(http.StatusNoContent)
				return
			}
		}
		if auth && s.opt.APIKey != "" && !s.authorized(r) {
			writeError(sw, &httpError{status: http.StatusUnauthorized, typ: "authentication_error",
				msg: "missing or wrong API key: send the header Authorization: Bearer KEY"})
			return
		}
		r.Body = http.MaxBytesReader(sw, r.Body, maxBody)
		if err := h(sw, r); err != nil {
			writeError(sw, err)
		}
	})
}

// authorized compares the bearer token with the key in constant time.
func (s *Server) authorized(r *http.Request) bool {
	got := r.Header.Get("Authorization")
	want := "Bearer " + s.opt.APIKey
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// decode reads a JSON body into v: 413 past the size limit, 400 otherwise.
func decode(r *http.Request, v any) *httpError {
	err := json.NewDecoder(r.Body).Decode(v)
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return &httpError{status: http.StatusRequestEntityTooLarge, typ: "invalid_request_error",
			msg: fmt.Sprintf("request body over %d bytes", tooBig.Limit)}
	case err != nil:
		return badRequest("", "the body is not valid JSON for this endpoint: %v", err)
	}
	return nil
}

// writeError answers e in OpenAI's error shape.
func writeError(w http.ResponseWriter, e *httpError) {
	var body apiError
	body.Error.Message, body.Error.Type = e.msg, e.typ
	if e.param != "" {
		body.Error.Param = &e.param
	}
	if e.retryAfterSecond > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.retryAfterSecond))
	}
	writeJSON(w, e.status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// statusWriter records the status for the metrics and passes Flush on.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) { w.status = code; w.ResponseWriter.WriteHeader(code) }
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// NewHTTPServer returns an http.Server for h with timeouts against slow
// clients: 10 s to send the headers, 60 s for a request body, 2 minutes
// idle. Responses have no write timeout, since a stream lasts as long as
// its generation.
func NewHTTPServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 60 * time.Second,
		IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
}

// Serve listens on ln at once, answering 503 ("the model is loading")
// while load runs, then serves the Server it returns until ctx is done.
// Then it shuts down gracefully: it stops accepting, lets the requests in
// flight finish for up to grace, then cancels the rest and returns.
func Serve(ctx context.Context, ln net.Listener, grace time.Duration, load func() (*Server, error)) error {
	var front atomic.Pointer[Server]
	hs := NewHTTPServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s := front.Load(); s != nil {
			s.Handler().ServeHTTP(w, r)
			return
		}
		writeError(w, loadingError())
	}))
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	s, err := load()
	if err != nil {
		_ = hs.Close()
		return err
	}
	decodeCtx, stopDecoding := context.WithCancel(context.Background())
	defer stopDecoding()
	go s.Run(decodeCtx)
	front.Store(s)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := hs.Shutdown(shut); err != nil { // the grace period ran out: cancel what is left
		stopDecoding()
		return hs.Close()
	}
	return nil
}

func itoa(n int) string { return strconv.Itoa(n) }
