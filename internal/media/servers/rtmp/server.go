package rtmp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bluenviron/gortmplib"
	"github.com/bluenviron/gortmplib/pkg/amf0"
	"github.com/bluenviron/gortmplib/pkg/message"

	"github.com/vionet/vionet/internal/media/hub"
	"github.com/vionet/vionet/internal/media/token"
)

const (
	// DefaultReadWait is how long a viewer waits for an on-demand stream.
	DefaultReadWait = 10 * time.Second

	handshakeTimeout = 10 * time.Second // TCP accept to play/publish command
	publishTimeout   = 10 * time.Second // max silence of a publisher
	writeTimeout     = 10 * time.Second // max time a viewer may block one write
	maxLag           = 10 * time.Second // a viewer lagging this long is dropped by the hub
)

// Options configure a Server.
type Options struct {
	Hub  *hub.Hub
	Key  token.Key
	Addr string // TCP listen address, e.g. ":1935" or "127.0.0.1:0"
	// Demand, if set, is called when a viewer with a valid token asks for a
	// path without publisher; it should start the stream (e.g. invite the
	// camera). An error refuses the viewer.
	Demand func(ctx context.Context, path string, c token.Claims) error
	// ReadWait is how long a viewer waits for the publisher after Demand
	// (default DefaultReadWait). Without Demand a viewer of an unpublished
	// path is refused at once.
	ReadWait time.Duration
	Logger   *slog.Logger // default: discard
}

// Stats are the server's counters.
type Stats struct {
	Conns           int64  // open TCP connections
	Readers         int64  // viewers playing now
	ReadersTotal    uint64 // viewers that started playing
	Publishers      int64  // publishers now
	PublishersTotal uint64 // publishers that got onto the hub
	BytesOut        uint64 // bytes sent to viewers (RTMP level)
	BytesIn         uint64 // bytes received from publishers (RTMP level)
	TokensRefused   uint64 // connections refused for their token
	NotFound        uint64 // viewers refused: no stream, or Demand failed
	PublishRefused  uint64 // publishers refused: path busy or no usable track
}

type counters struct {
	conns, readers, publishers              atomic.Int64
	readersTotal, publishersTotal           atomic.Uint64
	bytesOut, bytesIn                       atomic.Uint64
	tokensRefused, notFound, publishRefused atomic.Uint64
}

// Server is an RTMP server bound to one listener.
type Server struct {
	opts   Options
	log    *slog.Logger
	ln     net.Listener
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	c      counters

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
}

// New listens on opts.Addr and starts serving.
func New(opts Options) (*Server, error) {
	if opts.Hub == nil {
		return nil, errors.New("rtmp: Options.Hub is required")
	}
	if opts.ReadWait <= 0 {
		opts.ReadWait = DefaultReadWait
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("rtmp: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{opts: opts, log: log.With("server", "rtmp"), ln: ln, ctx: ctx, cancel: cancel,
		conns: make(map[net.Conn]struct{})}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Addr returns the listening address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Close stops listening, closes every connection (viewers and publishers)
// and waits for their goroutines.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	err := s.ln.Close()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	return err
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	return Stats{
		Conns:           s.c.conns.Load(),
		Readers:         s.c.readers.Load(),
		ReadersTotal:    s.c.readersTotal.Load(),
		Publishers:      s.c.publishers.Load(),
		PublishersTotal: s.c.publishersTotal.Load(),
		BytesOut:        s.c.bytesOut.Load(),
		BytesIn:         s.c.bytesIn.Load(),
		TokensRefused:   s.c.tokensRefused.Load(),
		NotFound:        s.c.notFound.Load(),
		PublishRefused:  s.c.publishRefused.Load(),
	}
}

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return // closed
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			nc.Close()
			return
		}
		s.conns[nc] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serve(nc)
	}
}

func (s *Server) serve(nc net.Conn) {
	defer s.wg.Done()
	s.c.conns.Add(1)
	log := s.log.With("remote", nc.RemoteAddr().String())
	defer func() {
		// gortmplib trusts some of its inputs (it panics on an SPS it
		// cannot parse); one bad peer must not take the daemon down.
		if r := recover(); r != nil {
			log.Error("rtmp connection panicked", "panic", r)
		}
		nc.Close()
		s.mu.Lock()
		delete(s.conns, nc)
		s.mu.Unlock()
		s.c.conns.Add(-1)
	}()
	if err := s.serveConn(nc, log); err != nil {
		log.Debug("rtmp connection closed", "err", err)
	}
}

func (s *Server) serveConn(nc net.Conn, log *slog.Logger) error {
	_ = nc.SetDeadline(time.Now().Add(handshakeTimeout))
	sc := &gortmplib.ServerConn{RW: nc}
	if err := sc.Initialize(); err != nil {
		return fmt.Errorf("handshake: %w", err)
	}
	if err := sc.AcceptConn(); err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	action := token.Read
	if sc.Publish {
		action = token.Publish
	}
	path, tok, err := streamPath(sc.URL)
	var claims token.Claims
	if err == nil {
		claims, err = s.opts.Key.Verify(tok, path, action, time.Now())
	}
	if err != nil {
		s.c.tokensRefused.Add(1)
		log.Warn("rtmp token refused", "path", path, "action", string(action), "err", err)
		_ = sc.RejectAction()
		return err
	}
	log = log.With("path", path)
	if sc.Publish {
		return s.publish(nc, sc, path, log)
	}
	return s.play(nc, sc, path, claims, log)
}

// writeStatus sends an onStatus error for the play/publish command.
func writeStatus(sc *gortmplib.ServerConn, code, description string) {
	_ = sc.Write(&message.CommandAMF0{
		ChunkStreamID:   5,
		MessageStreamID: 0x1000000,
		Name:            "onStatus",
		Arguments: []any{
			nil,
			amf0.Object{
				{Key: "level", Value: "error"},
				{Key: "code", Value: code},
				{Key: "description", Value: description},
			},
		},
	})
}
