package psrtp

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/vionet/vionet/internal/media/ingest/psrtp/send"
)

// Receiver receives GB/T 28181 PS-over-RTP sessions, either one port per
// session from a range or all sessions on one shared port. It is safe for
// concurrent use.
type Receiver struct {
	opts   Options
	log    *slog.Logger
	shared bool

	// Shared mode sockets (nil in port-range mode).
	udp        *net.UDPConn
	tcp        *net.TCPListener
	sharedPort int

	mu       sync.Mutex
	closed   bool
	sessions map[*Session]struct{}
	byPath   map[string]*Session
	bySSRC   map[string]*Session              // requested SSRC of open sessions
	route    map[uint32]*Session              // shared: RTP SSRC → session
	waiting  map[netip.Addr]map[*Session]bool // shared: sessions with ExpectFrom and no packet yet
	pending  map[net.Conn]struct{}            // shared: TCP connections not yet routed
	unknown  [unknownRing]unknownPkt          // shared: recent unroutable SSRCs
	unkNext  int
	ports    map[int]bool // port mode: ports in use
	nextPort int
	ssrcSeq  int
	st       ReceiverStats

	wg sync.WaitGroup // shared-mode goroutines
}

// unknownRing is how many recent unroutable SSRC sources are remembered for
// diagnosis; maxPendingConns bounds shared-mode TCP connections that have
// not sent a routable packet yet.
const (
	unknownRing     = 32
	maxPendingConns = 64
)

// NewReceiver starts a receiver. In shared mode it binds Options.SharedAddr
// for UDP and TCP at once; in port-range mode ports are bound per session.
func NewReceiver(o Options) (*Receiver, error) {
	if o.Hub == nil {
		return nil, fmt.Errorf("%w: Options.Hub is nil", ErrBadRequest)
	}
	o = o.withDefaults()
	r := &Receiver{
		opts: o, log: o.Logger,
		sessions: map[*Session]struct{}{}, byPath: map[string]*Session{}, bySSRC: map[string]*Session{},
		route: map[uint32]*Session{}, waiting: map[netip.Addr]map[*Session]bool{},
		pending: map[net.Conn]struct{}{}, ports: map[int]bool{},
	}
	if o.SharedAddr != "" {
		if o.PortMin != 0 || o.PortMax != 0 {
			return nil, fmt.Errorf("%w: set either SharedAddr or PortMin/PortMax", ErrBadRequest)
		}
		if err := r.listenShared(o.SharedAddr); err != nil {
			return nil, err
		}
		r.shared = true
		r.wg.Add(2)
		go r.sharedUDP()
		go r.sharedAccept()
		return r, nil
	}
	if o.PortMin < 1 || o.PortMax > 65535 || o.PortMin+1 > o.PortMax {
		return nil, fmt.Errorf("%w: port range %d-%d (need at least one RTP/RTCP pair)", ErrBadRequest, o.PortMin, o.PortMax)
	}
	if net.ParseIP(o.ListenIP) == nil {
		return nil, fmt.Errorf("%w: ListenIP %q", ErrBadRequest, o.ListenIP)
	}
	r.nextPort = o.PortMin
	return r, nil
}

// SharedPort returns the bound shared port (0 in port-range mode).
func (r *Receiver) SharedPort() int { return r.sharedPort }

// Stats returns the receiver-level counters.
func (r *Receiver) Stats() ReceiverStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.st
	st.Sessions = len(r.sessions)
	return st
}

// AllocSSRC returns a GB/T 28181 SSRC (SDP "y=" value) for a new session:
// 10 decimal digits, the first 0 for live or 1 for history (playback), then
// digits 4–8 of the 10-digit SIP domain (zeros if it is shorter or not
// decimal), then a 4-digit sequence number that no open session uses.
// Sequence numbers rotate, so an SSRC handed out but not yet opened is not
// handed out again before 9999 others.
func (r *Receiver) AllocSSRC(history bool, sipDomain string) string {
	prefix := "0"
	if history {
		prefix = "1"
	}
	dom := "00000"
	if len(sipDomain) >= 8 {
		if isDigits(sipDomain[3:8]) {
			dom = sipDomain[3:8]
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var y string
	for range 10000 {
		r.ssrcSeq = r.ssrcSeq%9999 + 1 // 0001..9999
		y = fmt.Sprintf("%s%s%04d", prefix, dom, r.ssrcSeq)
		if r.bySSRC[y] == nil {
			break
		}
	}
	return y
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Open starts receiving a session. In port-range mode it binds the session's
// port(s) now, so LocalPort can go into the SDP offer; the NoRTP clock starts
// now too (for TCPActive at Connect).
func (r *Receiver) Open(ctx context.Context, req Request) (*Session, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s := &Session{
		r: r, req: req,
		in: make(chan inPkt, inQueue), connected: make(chan time.Time, 1), conns: map[net.Conn]struct{}{},
		quit: make(chan struct{}), done: make(chan struct{}), published: make(chan struct{}),
	}
	if req.Path == "" {
		return nil, fmt.Errorf("%w: empty path", ErrBadRequest)
	}
	if req.Transport < UDP || req.Transport > TCPActive {
		return nil, fmt.Errorf("%w: transport %d", ErrBadRequest, req.Transport)
	}
	if req.SSRC != "" {
		v, err := send.ParseSSRC(req.SSRC)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadRequest, err)
		}
		s.ssrc, s.hasSSRC = v, true
	}
	if len(req.ExpectFrom) > 0 {
		a, ok := netip.AddrFromSlice(req.ExpectFrom)
		if !ok {
			return nil, fmt.Errorf("%w: ExpectFrom %v", ErrBadRequest, req.ExpectFrom)
		}
		s.expectFrom = a.Unmap()
	}
	if r.shared && !s.hasSSRC && !s.expectFrom.IsValid() {
		return nil, fmt.Errorf("%w: shared mode needs an SSRC or ExpectFrom", ErrBadRequest)
	}
	if err := r.register(s); err != nil {
		return nil, err
	}
	if !r.shared && req.Transport != TCPActive {
		if err := r.bindPort(s); err != nil {
			// Receiver.Close may already be waiting for this session.
			r.remove(s)
			s.end(err)
			close(s.done)
			return nil, err
		}
	}
	if r.shared {
		s.port = r.sharedPort
	}
	cfg := ingestConfig{
		path: req.Path, hub: r.opts.Hub, log: r.log, transport: req.Transport, port: s.port,
		expect: s.ssrc, hasExpect: s.hasSSRC, strict: r.opts.StrictSSRC, expectFrom: s.expectFrom,
		noRTP: r.opts.NoRTPTimeout, keyTimeout: r.opts.KeyframeTimeout,
		jitterN: r.opts.JitterPackets, jitterWait: r.opts.JitterDelay,
		onPublish: func() { s.pubOnce.Do(func() { close(s.published) }) },
		where:     s.where,
	}
	if req.Transport == TCPActive {
		cfg.dialPending = s.dialPending
	}
	if r.shared {
		cfg.unknownSeen = func(since time.Time) (unknownPkt, bool) { return r.unknownFor(s, since) }
	}
	s.core = newIngest(cfg, &s.box, time.Now())
	s.box.set(&s.core.st, netip.AddrPort{})
	s.mu.Lock()
	if s.udp != nil {
		s.wg.Add(2)
		go s.readUDP(s.udp)
		go s.readRTCP(s.rtcp)
	}
	if s.ln != nil {
		s.wg.Add(1)
		go s.acceptLoop(s.ln)
	}
	s.mu.Unlock()
	go s.run()
	r.log.Debug("psrtp: session open", "path", req.Path, "ssrc", req.SSRC, "transport", req.Transport, "port", s.LocalPort())
	return s, nil
}

// register adds s to the receiver's indexes.
func (r *Receiver) register(s *Session) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return ErrReceiverClosed
	}
	if r.byPath[s.req.Path] != nil {
		return fmt.Errorf("%w: path %s", ErrInUse, s.req.Path)
	}
	if s.hasSSRC && r.bySSRC[s.req.SSRC] != nil {
		return fmt.Errorf("%w: SSRC %s", ErrInUse, s.req.SSRC)
	}
	r.sessions[s] = struct{}{}
	r.byPath[s.req.Path] = s
	if s.hasSSRC {
		r.bySSRC[s.req.SSRC] = s
		if r.shared {
			r.route[s.ssrc] = s
		}
	}
	if r.shared && s.expectFrom.IsValid() && s.req.Transport != TCPActive {
		if r.waiting[s.expectFrom] == nil {
			r.waiting[s.expectFrom] = map[*Session]bool{}
		}
		r.waiting[s.expectFrom][s] = true
	}
	return nil
}

// remove drops s from the indexes and frees its port.
func (r *Receiver) remove(s *Session) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.sessions, s)
	if r.byPath[s.req.Path] == s {
		delete(r.byPath, s.req.Path)
	}
	if s.hasSSRC && r.bySSRC[s.req.SSRC] == s {
		delete(r.bySSRC, s.req.SSRC)
	}
	if r.shared {
		for _, ssrc := range append(s.bound, s.ssrc) {
			if r.route[ssrc] == s {
				delete(r.route, ssrc)
			}
		}
		r.unwait(s)
	} else if s.port != 0 {
		delete(r.ports, s.port)
	}
}

// unwait removes s from the sessions that can still be bound by address.
func (r *Receiver) unwait(s *Session) {
	if m := r.waiting[s.expectFrom]; m != nil {
		delete(m, s)
		if len(m) == 0 {
			delete(r.waiting, s.expectFrom)
		}
	}
}

// Close ends every session and stops listening.
func (r *Receiver) Close() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	sessions := make([]*Session, 0, len(r.sessions))
	for s := range r.sessions {
		sessions = append(sessions, s)
	}
	conns := make([]net.Conn, 0, len(r.pending))
	for c := range r.pending {
		conns = append(conns, c)
	}
	r.mu.Unlock()
	for _, s := range sessions {
		s.Close()
	}
	if r.shared {
		r.udp.Close()
		r.tcp.Close()
	}
	for _, c := range conns {
		c.Close()
	}
	r.wg.Wait()
}

func (r *Receiver) countAccepted() {
	r.mu.Lock()
	r.st.TCPAccepted++
	r.mu.Unlock()
}

func (r *Receiver) countRejected() {
	r.mu.Lock()
	r.st.TCPRejected++
	r.mu.Unlock()
}
