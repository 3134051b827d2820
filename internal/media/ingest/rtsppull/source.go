package rtsppull

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vionet/vionet/internal/media/hub"
)

// Defaults used when the corresponding option is zero.
const (
	DefaultRetryInitial    = time.Second
	DefaultRetryMax        = 30 * time.Second
	DefaultKeyframeTimeout = 10 * time.Second
	DefaultReadTimeout     = 10 * time.Second
)

// Options configure a Source.
type Options struct {
	Hub  *hub.Hub
	Path string // hub path to publish at
	// URL is the RTSP URL to pull, e.g. rtsp://user:pass@cam/stream1;
	// credentials in the URL are used for basic or digest authentication.
	URL string
	// Transport is "tcp", "udp" or "auto" (or ""): UDP first, then TCP if
	// no packet arrives over UDP.
	Transport string
	// RetryInitial and RetryMax bound the reconnection backoff, which
	// doubles after each failed attempt and restarts from RetryInitial once
	// an attempt has published.
	RetryInitial, RetryMax time.Duration
	// KeyframeTimeout is how long to wait after PLAY for the first video
	// keyframe with known parameter sets (default DefaultKeyframeTimeout).
	KeyframeTimeout time.Duration
	// ReadTimeout ends a connection that delivers nothing for this long
	// (default DefaultReadTimeout).
	ReadTimeout time.Duration
	Logger      *slog.Logger
}

// Stats are a Source's counters.
type Stats struct {
	Publishing   bool      // a publisher is up at the path now
	Attempts     uint64    // connection attempts
	Publishes    uint64    // attempts that got as far as publishing
	Units        uint64    // units written to the hub
	Bytes        uint64    // bytes of unit data written to the hub
	PacketsLost  uint64    // RTP packets reported lost by the client
	DecodeErrors uint64    // packets or units that could not be decoded
	LastError    string    // cause of the last failed attempt
	LastErrorAt  time.Time // when it failed
}

// Source pulls one RTSP URL into one hub path, reconnecting while its
// context lives.
type Source struct {
	opts   Options
	log    *slog.Logger
	cancel context.CancelFunc
	done   chan struct{}

	first     chan struct{} // closed at the first publish or first failure
	firstOnce sync.Once
	firstErr  error

	publishing   atomic.Bool
	attempts     atomic.Uint64
	publishes    atomic.Uint64
	units        atomic.Uint64
	bytes        atomic.Uint64
	packetsLost  atomic.Uint64
	decodeErrors atomic.Uint64

	mu        sync.Mutex
	lastErr   error
	lastErrAt time.Time
}

// Start begins pulling opts.URL into opts.Path and returns at once. The
// source reconnects with backoff until ctx ends or Close is called.
func Start(ctx context.Context, opts Options) *Source {
	if opts.RetryInitial <= 0 {
		opts.RetryInitial = DefaultRetryInitial
	}
	if opts.RetryMax <= 0 {
		opts.RetryMax = DefaultRetryMax
	}
	if opts.RetryMax < opts.RetryInitial {
		opts.RetryMax = opts.RetryInitial
	}
	if opts.KeyframeTimeout <= 0 {
		opts.KeyframeTimeout = DefaultKeyframeTimeout
	}
	if opts.ReadTimeout <= 0 {
		opts.ReadTimeout = DefaultReadTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Source{
		opts:  opts,
		log:   opts.Logger.With("path", opts.Path, "url", redact(opts.URL)),
		done:  make(chan struct{}),
		first: make(chan struct{}),
	}
	ctx, s.cancel = context.WithCancel(ctx)
	go s.run(ctx)
	return s
}

// Wait blocks until the source first publishes (nil) or its first attempt
// fails (that attempt's error, wrapping ErrConnect, ErrUnauthorized,
// ErrNotFound, ErrNoSupportedTrack, ErrNoKeyframe, ...), or until ctx ends.
// The source keeps retrying in the background either way.
func (s *Source) Wait(ctx context.Context) error {
	select {
	case <-s.first:
		return s.firstErr
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops pulling, unpublishes the path and waits for the source's
// goroutines to end.
func (s *Source) Close() {
	s.cancel()
	<-s.done
}

// Stats returns a snapshot of the source's counters.
func (s *Source) Stats() Stats {
	st := Stats{
		Publishing:   s.publishing.Load(),
		Attempts:     s.attempts.Load(),
		Publishes:    s.publishes.Load(),
		Units:        s.units.Load(),
		Bytes:        s.bytes.Load(),
		PacketsLost:  s.packetsLost.Load(),
		DecodeErrors: s.decodeErrors.Load(),
	}
	s.mu.Lock()
	if s.lastErr != nil {
		st.LastError, st.LastErrorAt = s.lastErr.Error(), s.lastErrAt
	}
	s.mu.Unlock()
	return st
}

// settle records the outcome Wait reports, once.
func (s *Source) settle(err error) {
	s.firstOnce.Do(func() {
		s.firstErr = err
		close(s.first)
	})
}

func (s *Source) run(ctx context.Context) {
	defer close(s.done)
	delay := s.opts.RetryInitial
	for {
		s.attempts.Add(1)
		published, err := s.attempt(ctx)
		if ctx.Err() != nil {
			s.settle(ctx.Err())
			return
		}
		s.mu.Lock()
		s.lastErr, s.lastErrAt = err, time.Now()
		s.mu.Unlock()
		s.settle(err)
		if published {
			delay = s.opts.RetryInitial
		}
		s.log.Warn("rtsppull: attempt ended; retrying", "err", err, "in", delay)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if !published {
			delay = min(2*delay, s.opts.RetryMax)
		}
	}
}
