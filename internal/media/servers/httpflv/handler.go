package httpflv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vionet/vionet/internal/media/formats/flv"
	"github.com/vionet/vionet/internal/media/hub"
	"github.com/vionet/vionet/internal/media/token"
)

const (
	// DefaultReadWait is how long a viewer waits for an on-demand stream.
	DefaultReadWait = 10 * time.Second

	writeTimeout = 10 * time.Second // max time one tag may take to reach the client
	maxLag       = 10 * time.Second // a viewer lagging this long is dropped by the hub
	pathPrefix   = "/flv/"
	pathSuffix   = ".flv"
)

// Options configure a Handler.
type Options struct {
	Hub *hub.Hub
	Key token.Key
	// Demand, if set, is called when a viewer with a valid token asks for a
	// path without publisher; it should start the stream. An error refuses
	// the viewer with 503.
	Demand func(ctx context.Context, path string, c token.Claims) error
	// ReadWait is how long a viewer waits for the publisher after Demand
	// (default DefaultReadWait). Without Demand a viewer of an unpublished
	// path gets 404 at once.
	ReadWait time.Duration
	Logger   *slog.Logger // default: discard
}

// Stats are the handler's counters.
type Stats struct {
	Readers       int64  // streams being served now
	ReadersTotal  uint64 // streams started
	BytesOut      uint64 // FLV bytes written to clients
	TokensRefused uint64 // 401 answers
	NotFound      uint64 // 404 answers
	Unavailable   uint64 // 503 answers (Demand failed, or closed)
}

// Handler serves GET /flv/<path>.flv?token=T.
type Handler struct {
	opts Options
	log  *slog.Logger

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup

	readers                              atomic.Int64
	readersTotal, bytesOut               atomic.Uint64
	tokensRefused, notFound, unavailable atomic.Uint64
}

// New returns a Handler. It panics if opts.Hub is nil (a wiring error).
func New(opts Options) *Handler {
	if opts.Hub == nil {
		panic("httpflv: Options.Hub is required")
	}
	if opts.ReadWait <= 0 {
		opts.ReadWait = DefaultReadWait
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Handler{opts: opts, log: log.With("server", "httpflv"), ctx: ctx, cancel: cancel}
}

// Stats returns a snapshot of the counters.
func (h *Handler) Stats() Stats {
	return Stats{
		Readers:       h.readers.Load(),
		ReadersTotal:  h.readersTotal.Load(),
		BytesOut:      h.bytesOut.Load(),
		TokensRefused: h.tokensRefused.Load(),
		NotFound:      h.notFound.Load(),
		Unavailable:   h.unavailable.Load(),
	}
}

// Close ends every stream being served, waits for their handlers to
// return, and makes new requests fail with 503. Call it before
// http.Server.Shutdown, which would otherwise wait for endless responses.
func (h *Handler) Close() {
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
	h.cancel()
	h.wg.Wait()
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	path, ok := streamPath(r.URL.Path)
	if !ok {
		h.notFound.Add(1)
		http.NotFound(w, r)
		return
	}
	log := h.log.With("path", path, "remote", r.RemoteAddr)
	claims, err := h.opts.Key.Verify(r.URL.Query().Get("token"), path, token.Read, time.Now())
	if err != nil {
		h.tokensRefused.Add(1)
		log.Warn("httpflv token refused", "err", err)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}

	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		h.unavailable.Add(1)
		http.Error(w, "shutting down", http.StatusServiceUnavailable)
		return
	}
	h.wg.Add(1)
	h.mu.Unlock()
	defer h.wg.Done()

	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	defer context.AfterFunc(h.ctx, cancel)()

	rd, err := h.openReader(ctx, path, claims)
	if err != nil {
		switch {
		case errors.Is(err, errDemand):
			h.unavailable.Add(1)
			log.Warn("httpflv stream unavailable", "err", err)
			http.Error(w, "stream unavailable", http.StatusServiceUnavailable)
		case errors.Is(err, hub.ErrNoPublisher):
			h.notFound.Add(1)
			log.Info("httpflv no stream", "err", err)
			http.NotFound(w, r)
		case h.ctx.Err() != nil:
			h.unavailable.Add(1)
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
		}
		return // otherwise the client went away
	}
	defer rd.Close()

	cw := &countingWriter{w: w, n: &h.bytesOut}
	fw, err := flv.NewWriter(cw, rd.Tracks())
	if err != nil {
		h.notFound.Add(1)
		log.Info("httpflv no FLV track", "err", err)
		http.NotFound(w, r)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "video/x-flv")
	hd.Set("Access-Control-Allow-Origin", "*")
	hd.Set("Cache-Control", "no-cache, no-store")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}

	h.readers.Add(1)
	h.readersTotal.Add(1)
	defer h.readers.Add(-1)
	log.Info("httpflv stream started")
	err = h.stream(ctx, w, fw, rd)
	log.Info("httpflv stream ended", "err", err)
}

// stream copies units to the client until one side ends.
func (h *Handler) stream(ctx context.Context, w http.ResponseWriter, fw *flv.Writer, rd *hub.Reader) error {
	rc := http.NewResponseController(w)
	// The deadline bounds a write to a client that stopped reading (the hub
	// would keep the reader until maxLag, the TCP stack much longer).
	_ = rc.SetWriteDeadline(time.Now().Add(writeTimeout))
	if err := fw.WriteHeader(); err != nil {
		return err
	}
	if err := rc.Flush(); err != nil {
		return err
	}
	for {
		u, err := rd.Next(ctx)
		if err != nil {
			return err
		}
		_ = rc.SetWriteDeadline(time.Now().Add(writeTimeout))
		if err := fw.WriteUnit(u); err != nil {
			return err
		}
		if err := rc.Flush(); err != nil {
			return err
		}
	}
}

var errDemand = errors.New("httpflv: demand failed")

// openReader attaches to path, asking for the stream on demand.
func (h *Handler) openReader(ctx context.Context, path string, claims token.Claims) (*hub.Reader, error) {
	rd, err := h.opts.Hub.Read(ctx, path, hub.ReadOptions{MaxLag: maxLag})
	if !errors.Is(err, hub.ErrNoPublisher) || h.opts.Demand == nil {
		return rd, err
	}
	if err := h.opts.Demand(ctx, path, claims); err != nil {
		return nil, fmt.Errorf("%w: %w", errDemand, err)
	}
	return h.opts.Hub.Read(ctx, path, hub.ReadOptions{Wait: h.opts.ReadWait, MaxLag: maxLag})
}

// streamPath extracts the hub path from /flv/<path>.flv.
func streamPath(urlPath string) (string, bool) {
	p, ok := strings.CutPrefix(urlPath, pathPrefix)
	if !ok {
		return "", false
	}
	p, ok = strings.CutSuffix(p, pathSuffix)
	if !ok || p == "" || strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") || strings.Contains(p, "//") {
		return "", false
	}
	for seg := range strings.SplitSeq(p, "/") {
		if seg == "." || seg == ".." {
			return "", false
		}
	}
	return p, true
}

// countingWriter adds the bytes written to a shared counter.
type countingWriter struct {
	w io.Writer
	n *atomic.Uint64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(uint64(n))
	return n, err
}
