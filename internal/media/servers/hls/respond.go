package hls

import (
	"bytes"
	"net/http"
	"sync"
)

// recorder buffers a response produced on another goroutine, so that the
// request's goroutine can give up waiting without racing on its writer.
type recorder struct {
	mu     sync.Mutex
	header http.Header
	status int
	body   bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: make(http.Header)} }

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(p)
}

// copyTo writes the recorded response to w and returns the body size. It is
// called after the producing goroutine finished.
func (r *recorder) copyTo(w http.ResponseWriter) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, v := range r.header {
		w.Header()[k] = v
	}
	w.WriteHeader(r.status)
	n, _ := w.Write(r.body.Bytes())
	return n
}

// countingWriter counts body bytes and notes whether anything was written.
type countingWriter struct {
	http.ResponseWriter
	wrote bool
	n     int
}

func (c *countingWriter) WriteHeader(status int) {
	c.wrote = true
	c.ResponseWriter.WriteHeader(status)
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.wrote = true
	n, err := c.ResponseWriter.Write(p)
	c.n += n
	return n, err
}
