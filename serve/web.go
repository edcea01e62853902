package serve

import (
	_ "embed"
	"net/http"
)

// page is the web page at /: a prompt box, the sampling parameters and
// the streamed output, each token coloured by its probability, with its
// alternatives on hover. It is one file with no dependencies, embedded in
// the binary, and talks to /v1/completions like any other client.
//
//go:embed web/index.html
var page []byte

func (s *Server) servePage(w http.ResponseWriter, r *http.Request) *httpError {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'")
	_, _ = w.Write(page)
	return nil
}
