package hls

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vionet/vionet/internal/media/hub"
	"github.com/vionet/vionet/internal/media/token"
)

// Defaults used when the corresponding Options field is zero.
const (
	DefaultReadWait        = 10 * time.Second
	DefaultSegmentDuration = time.Second
	DefaultSegmentCount    = 7
	DefaultIdleTimeout     = 30 * time.Second
	DefaultPlaylistWait    = 10 * time.Second
)

// Options configure a Handler. Hub and Key are required.
type Options struct {
	Hub *hub.Hub
	// Key verifies the token in every request URL (token.Read, exact path).
	Key token.Key
	// Demand, if set, is called when a playlist is requested for a path that
	// has no publisher (the app starts the device stream). An error refuses
	// the request with 503 and is logged.
	Demand func(ctx context.Context, path string, c token.Claims) error
	// ReadWait is how long to wait for a publisher after Demand (default 10 s).
	ReadWait time.Duration
	Logger   *slog.Logger
	// SegmentDuration is the minimum segment duration; a segment also ends
	// on a keyframe only, so it is at least one GOP (default 1 s).
	SegmentDuration time.Duration
	// SegmentCount is how many segments the playlists list (default 7).
	SegmentCount int
	// IdleTimeout stops a path's muxer (and its hub reader) after this long
	// without any request for the path (default 30 s).
	IdleTimeout time.Duration
	// PlaylistWait bounds how long a playlist request waits for the muxer's
	// first segments before it is answered 503 (default 10 s).
	PlaylistWait time.Duration
}

// Stats are the handler's counters, for export as metrics.
type Stats struct {
	Readers          int    // running muxers, each one hub reader shared by the path's viewers
	ReadersTotal     uint64 // muxers started since New
	Requests         uint64 // HTTP requests received
	BytesOut         uint64 // response body bytes of playlists, segments and init files
	TokensRefused    uint64 // requests refused for their token (401/403)
	DemandFailures   uint64 // Demand errors (503)
	NoStream         uint64 // playlist requests for a path without a publisher after ReadWait (404)
	PlaylistTimeouts uint64 // playlist requests answered 503 after PlaylistWait
	EncodeErrors     uint64 // units the muxer refused (bad timestamps, corrupt NAL units...)
}

// Handler serves GET /hls/<token>/<path>/<file>. Create it with New.
type Handler struct {
	o      Options
	log    *slog.Logger
	ctx    context.Context // ends at Close; parent of every muxer
	cancel context.CancelFunc

	mu     sync.Mutex
	muxers map[string]*muxer
	closed bool
	wg     sync.WaitGroup // muxer goroutines and detached playlist requests

	readers          atomic.Int64
	readersTotal     atomic.Uint64
	requests         atomic.Uint64
	bytesOut         atomic.Uint64
	tokensRefused    atomic.Uint64
	demandFailures   atomic.Uint64
	noStream         atomic.Uint64
	playlistTimeouts atomic.Uint64
	encodeErrors     atomic.Uint64
}

// New returns a Handler for o. It starts no goroutine until a request comes.
func New(o Options) *Handler {
	if o.ReadWait <= 0 {
		o.ReadWait = DefaultReadWait
	}
	if o.SegmentDuration <= 0 {
		o.SegmentDuration = DefaultSegmentDuration
	}
	if o.SegmentCount <= 0 {
		o.SegmentCount = DefaultSegmentCount
	}
	// gohlslib refuses fewer than 3 segments.
	o.SegmentCount = max(o.SegmentCount, 3)
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.PlaylistWait <= 0 {
		o.PlaylistWait = DefaultPlaylistWait
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Handler{
		o:      o,
		log:    log.With("server", "hls"),
		ctx:    ctx,
		cancel: cancel,
		muxers: make(map[string]*muxer),
	}
}

// Stats returns a snapshot of the counters.
func (h *Handler) Stats() Stats {
	return Stats{
		Readers:          int(h.readers.Load()),
		ReadersTotal:     h.readersTotal.Load(),
		Requests:         h.requests.Load(),
		BytesOut:         h.bytesOut.Load(),
		TokensRefused:    h.tokensRefused.Load(),
		DemandFailures:   h.demandFailures.Load(),
		NoStream:         h.noStream.Load(),
		PlaylistTimeouts: h.playlistTimeouts.Load(),
		EncodeErrors:     h.encodeErrors.Load(),
	}
}

// Close stops every muxer, releases their hub readers and waits for the
// handler's goroutines. Later requests get 503.
func (h *Handler) Close() {
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
	h.cancel()
	h.wg.Wait()
}

// goTracked runs f in a goroutine that Close waits for; it returns false
// (without running f) once the handler is closed.
func (h *Handler) goTracked(f func()) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		f()
	}()
	return true
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.requests.Add(1)
	// Players run in web pages served from other origins (the console, the
	// tenant's site); the token, not the origin, is the access control.
	w.Header().Set("Access-Control-Allow-Origin", "*")
	switch r.Method {
	case http.MethodGet, http.MethodHead:
	case http.MethodOptions:
		w.Header().Set("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
		w.Header().Set("Access-Control-Allow-Headers", "Range")
		w.Header().Set("Access-Control-Max-Age", "86400")
		w.WriteHeader(http.StatusNoContent)
		return
	default:
		w.Header().Set("Allow", "GET, HEAD, OPTIONS")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}

	req, ok := parseURLPath(r.URL.Path)
	if !ok {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	claims, err := h.o.Key.Verify(req.token, req.path, token.Read, time.Now())
	if err != nil {
		h.tokensRefused.Add(1)
		h.log.Info("token refused", "path", req.path, "file", req.file, "remote", r.RemoteAddr, "err", err)
		status := http.StatusUnauthorized
		if errors.Is(err, token.ErrWrongPath) || errors.Is(err, token.ErrAction) {
			status = http.StatusForbidden
		}
		http.Error(w, http.StatusText(status), status)
		return
	}

	m, status, err := h.muxerFor(r.Context(), req, claims)
	if err != nil {
		if status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "2")
		}
		http.Error(w, err.Error(), status)
		return
	}
	defer m.use()()
	if req.isPlaylist() {
		h.servePlaylist(w, r, m)
	} else {
		h.serveFile(w, r, m)
	}
}

// servePlaylist runs gohlslib's playlist handler, which blocks until the
// muxer has content, in a goroutine writing to a buffer, and gives up after
// PlaylistWait (the goroutine ends when the muxer gets content or closes).
func (h *Handler) servePlaylist(w http.ResponseWriter, r *http.Request, m *muxer) {
	rec := newRecorder()
	finished := make(chan struct{})
	r2 := r.Clone(context.Background())
	if !h.goTracked(func() {
		defer close(finished)
		m.hls.Handle(rec, r2)
	}) {
		http.Error(w, "server closing", http.StatusServiceUnavailable)
		return
	}
	timer := time.NewTimer(h.o.PlaylistWait)
	defer timer.Stop()
	select {
	case <-finished:
		if isClosed(m.done) {
			// gohlslib answers 500 to requests it was holding at Close.
			http.Error(w, "stream ended", http.StatusNotFound)
			return
		}
		if rec.status == 0 {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		n := rec.copyTo(w)
		h.bytesOut.Add(uint64(n))
	case <-m.done:
		http.Error(w, "stream ended", http.StatusNotFound)
	case <-timer.C:
		h.playlistTimeouts.Add(1)
		h.log.Warn("no segment in time", "path", m.path, "wait", h.o.PlaylistWait)
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(h.o.SegmentDuration/time.Second))))
		http.Error(w, "stream has no segment yet", http.StatusServiceUnavailable)
	case <-r.Context().Done():
	}
}

// serveFile serves a segment, part or init file; gohlslib writes nothing
// for names it does not know (expired segments, another muxer's prefix).
func (h *Handler) serveFile(w http.ResponseWriter, r *http.Request, m *muxer) {
	cw := &countingWriter{ResponseWriter: w}
	m.hls.Handle(cw, r)
	h.bytesOut.Add(uint64(cw.n))
	if !cw.wrote {
		http.Error(w, "not found", http.StatusNotFound)
	}
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
