package rtsp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/bluenviron/gortsplib/v5"

	"github.com/vionet/vionet/internal/media/hub"
	"github.com/vionet/vionet/internal/media/token"
)

// Defaults used when the corresponding option is zero.
const (
	DefaultReadWait = 10 * time.Second
	DefaultLinger   = 5 * time.Second
)

const (
	// writeQueueSize is the per-session packet queue of gortsplib. It must
	// hold a replayed GOP plus the live packets that arrive before the
	// session's writer starts.
	writeQueueSize = 2048
	// defaultMaxBurst bounds the RTP GOP cache: a longer GOP is not cached
	// and late joiners of that GOP start live.
	defaultMaxBurst = writeQueueSize * 3 / 4
	// gateTimeout bounds how long the feeder of a path waits for a PLAY
	// response after replaying the GOP cache to that session.
	gateTimeout = time.Second
)

// Options configure a Server.
type Options struct {
	Hub *hub.Hub
	Key token.Key
	// Addr is the RTSP (TCP) listen address, e.g. ":554" or "127.0.0.1:0".
	Addr string
	// UDPRTPAddr and UDPRTCPAddr enable the UDP transport when both are set.
	// The ports must be consecutive, RTP even (e.g. ":8000" and ":8001").
	UDPRTPAddr, UDPRTCPAddr string
	// Demand, if set, is called when a reader asks for a path that has no
	// publisher, to start the stream (e.g. invite the camera). An error
	// refuses the reader with 503.
	Demand func(ctx context.Context, path string, c token.Claims) error
	// ReadWait is how long a reader waits for a publisher to appear
	// (default DefaultReadWait).
	ReadWait time.Duration
	// Linger keeps a path's shared stream (and so its hub reader) open this
	// long after its last session left, so that the DESCRIBE-then-SETUP of
	// a client and quick reconnects do not restart it (default DefaultLinger).
	Linger time.Duration
	Logger *slog.Logger
}

// Stats are the server's counters; see Server.Stats.
type Stats struct {
	Readers       int    // RTSP sessions set up now
	ReadersTotal  uint64 // RTSP sessions ever set up
	Paths         int    // hub paths being served now (one hub reader each)
	BytesOut      uint64 // RTP/RTCP bytes sent to sessions
	TokensRefused uint64 // requests refused with 401
	DemandErrors  uint64 // reads refused because Demand failed (503)
	NotFound      uint64 // reads refused because no publisher came (404)
	WriteDrops    uint64 // packets dropped because a session's queue was full
	UnitErrors    uint64 // hub units that could not be packetized
}

// Server is an RTSP server for the paths of a hub.
type Server struct {
	opts     Options
	log      *slog.Logger
	rs       *gortsplib.Server
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	maxBurst int

	mu       sync.Mutex
	closed   bool
	paths    map[string]*pathEntry
	gates    map[*gortsplib.ServerConn]*pathStream  // PLAYs awaiting their response
	connAuth map[*gortsplib.ServerConn]token.Claims // last authorized DESCRIBE per connection
	sessions map[*gortsplib.ServerSession]*sessionInfo

	stats counters
}

// pathEntry is a served path, or one being opened (ready not yet closed).
type pathEntry struct {
	ready chan struct{}
	ps    *pathStream
	err   error
}

// New starts an RTSP server that serves the hub's paths.
func New(opts Options) (*Server, error) {
	if opts.Hub == nil {
		return nil, errors.New("rtsp: Options.Hub is nil")
	}
	if opts.Addr == "" {
		return nil, errors.New("rtsp: Options.Addr is empty")
	}
	if opts.ReadWait <= 0 {
		opts.ReadWait = DefaultReadWait
	}
	if opts.Linger <= 0 {
		opts.Linger = DefaultLinger
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Server{
		opts:     opts,
		log:      opts.Logger,
		maxBurst: defaultMaxBurst,
		paths:    make(map[string]*pathEntry),
		gates:    make(map[*gortsplib.ServerConn]*pathStream),
		connAuth: make(map[*gortsplib.ServerConn]token.Claims),
		sessions: make(map[*gortsplib.ServerSession]*sessionInfo),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.rs = &gortsplib.Server{
		Handler:        &handler{s: s},
		RTSPAddress:    opts.Addr,
		UDPRTPAddress:  opts.UDPRTPAddr,
		UDPRTCPAddress: opts.UDPRTCPAddr,
		WriteQueueSize: writeQueueSize,
		Listen: func(network, address string) (net.Listener, error) {
			ln, err := net.Listen(network, address)
			if err != nil {
				return nil, err
			}
			return batchListener{ln}, nil
		},
	}
	if err := s.rs.Start(); err != nil {
		s.cancel()
		return nil, fmt.Errorf("rtsp: %w", err)
	}
	return s, nil
}

// Addr returns the address the RTSP listener is bound to.
func (s *Server) Addr() net.Addr {
	return s.rs.NetListener().Addr()
}

// Close disconnects every client, stops every path feeder and releases the
// listeners. It waits for the server's goroutines to end.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	var all []*pathStream
	for _, e := range s.paths {
		if e.ps != nil {
			all = append(all, e.ps)
			if e.ps.linger != nil {
				e.ps.linger.Stop()
			}
		}
	}
	s.mu.Unlock()
	// Cancelling the context ends the feeders and any pending Demand or
	// hub wait in a handler, so gortsplib's Close does not wait on them.
	s.cancel()
	for _, ps := range all {
		ps.close()
	}
	s.wg.Wait()
	s.rs.Close()
}

// Stats returns a snapshot of the server's counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	st := Stats{Readers: len(s.sessions)}
	live := make([]*gortsplib.ServerSession, 0, len(s.sessions))
	for ss := range s.sessions {
		live = append(live, ss)
	}
	for _, e := range s.paths {
		if e.ps != nil {
			st.Paths++
		}
	}
	s.mu.Unlock()
	st.BytesOut = s.stats.bytesClosed.Load()
	for _, ss := range live {
		st.BytesOut += ss.Stats().OutboundBytes
	}
	st.ReadersTotal = s.stats.sessionsTotal.Load()
	st.TokensRefused = s.stats.tokensRefused.Load()
	st.DemandErrors = s.stats.demandErrors.Load()
	st.NotFound = s.stats.notFound.Load()
	st.WriteDrops = s.stats.writeDrops.Load()
	st.UnitErrors = s.stats.unitErrors.Load()
	return st
}

// errDemand wraps an error returned by Options.Demand.
type errDemand struct{ err error }

func (e errDemand) Error() string { return "demand: " + e.err.Error() }
func (e errDemand) Unwrap() error { return e.err }

// acquire returns the path stream of path, opening it (Demand, then a hub
// read that waits for the publisher) if needed. With ss set, the session is
// registered on the stream; otherwise (DESCRIBE) the linger timer restarts
// so a stream opened for a DESCRIBE alone is eventually closed.
func (s *Server) acquire(path string, c token.Claims, ss *gortsplib.ServerSession) (*pathStream, error) {
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return nil, errors.New("rtsp: server closed")
		}
		e := s.paths[path]
		if e == nil {
			e = &pathEntry{ready: make(chan struct{})}
			s.paths[path] = e
			s.mu.Unlock()
			s.open(e, path, c)
			s.mu.Lock()
		}
		if e.ps != nil || e.err != nil {
			s.mu.Unlock()
		} else {
			s.mu.Unlock()
			select {
			case <-e.ready:
			case <-s.ctx.Done():
				return nil, s.ctx.Err()
			}
		}
		if e.err != nil {
			return nil, e.err
		}
		s.mu.Lock()
		ps := e.ps
		if ps.closing || s.paths[path] != e {
			// Closed in between (publisher gone or lingered out): reopen.
			s.mu.Unlock()
			continue
		}
		if ss != nil {
			ps.sessions[ss] = struct{}{}
		}
		s.touchLocked(ps)
		s.mu.Unlock()
		return ps, nil
	}
}

// open makes e ready: it reads path from the hub (after Demand if there is
// no publisher) and starts its path stream.
func (s *Server) open(e *pathEntry, path string, c token.Claims) {
	ps, err := s.openStream(path, c)
	s.mu.Lock()
	e.ps, e.err = ps, err
	if err != nil || s.closed {
		if s.paths[path] == e {
			delete(s.paths, path)
		}
	}
	closed := s.closed
	s.mu.Unlock()
	close(e.ready)
	if closed && ps != nil {
		ps.close()
	}
}

func (s *Server) openStream(path string, c token.Claims) (*pathStream, error) {
	r, err := s.opts.Hub.Read(s.ctx, path, hub.ReadOptions{})
	if errors.Is(err, hub.ErrNoPublisher) {
		if s.opts.Demand != nil {
			ctx, cancel := context.WithTimeout(s.ctx, s.opts.ReadWait)
			derr := s.opts.Demand(ctx, path, c)
			cancel()
			if derr != nil {
				s.stats.demandErrors.Add(1)
				s.log.Warn("rtsp: demand failed", "path", path, "appid", c.AppID, "err", derr)
				return nil, errDemand{derr}
			}
		}
		r, err = s.opts.Hub.Read(s.ctx, path, hub.ReadOptions{Wait: s.opts.ReadWait})
	}
	if err != nil {
		if errors.Is(err, hub.ErrNoPublisher) {
			s.stats.notFound.Add(1)
			s.log.Info("rtsp: no publisher", "path", path, "waited", s.opts.ReadWait)
			return nil, hub.ErrNoPublisher
		}
		return nil, err
	}
	ps, err := newPathStream(s, path, r)
	if err != nil {
		r.Close()
		return nil, err
	}
	return ps, nil
}

// touchLocked (re)starts the linger timer of a path without sessions.
// s.mu must be held.
func (s *Server) touchLocked(ps *pathStream) {
	if ps.linger != nil {
		ps.linger.Stop()
		ps.linger = nil
	}
	if len(ps.sessions) == 0 && !ps.closing {
		ps.linger = time.AfterFunc(s.opts.Linger, func() { s.lingerExpired(ps) })
	}
}

// release drops ss from its path stream.
func (s *Server) release(ps *pathStream, ss *gortsplib.ServerSession) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := ps.sessions[ss]; !ok {
		return
	}
	delete(ps.sessions, ss)
	s.touchLocked(ps)
}

func (s *Server) lingerExpired(ps *pathStream) {
	s.mu.Lock()
	if len(ps.sessions) > 0 || ps.closing || s.closed {
		s.mu.Unlock()
		return
	}
	ps.closing = true
	if e := s.paths[ps.path]; e != nil && e.ps == ps {
		delete(s.paths, ps.path)
	}
	s.mu.Unlock()
	ps.close()
}

// detach removes ps from the served paths; called by its feeder on exit.
func (s *Server) detach(ps *pathStream) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ps.closing = true
	if ps.linger != nil {
		ps.linger.Stop()
		ps.linger = nil
	}
	if e := s.paths[ps.path]; e != nil && e.ps == ps {
		delete(s.paths, ps.path)
	}
}

func (s *Server) setGate(sc *gortsplib.ServerConn, ps *pathStream) {
	s.mu.Lock()
	s.gates[sc] = ps
	s.mu.Unlock()
}

func (s *Server) takeGate(sc *gortsplib.ServerConn) *pathStream {
	s.mu.Lock()
	defer s.mu.Unlock()
	ps := s.gates[sc]
	if ps != nil {
		delete(s.gates, sc)
	}
	return ps
}
