package psrtp

import (
	"bufio"
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

// listenShared binds UDP and TCP on the same port. With port 0 the UDP
// socket picks a port and TCP follows; if that port is taken for TCP, try
// again with another.
func (r *Receiver) listenShared(addr string) error {
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return fmt.Errorf("psrtp: shared address %q: %w", addr, err)
	}
	for attempt := 0; attempt < 20; attempt++ {
		u, err := net.ListenUDP("udp", ua)
		if err != nil {
			return fmt.Errorf("psrtp: listen UDP %s: %w", addr, err)
		}
		port := u.LocalAddr().(*net.UDPAddr).Port
		t, err := net.ListenTCP("tcp", &net.TCPAddr{IP: ua.IP, Port: port, Zone: ua.Zone})
		if err != nil {
			u.Close()
			if ua.Port != 0 {
				return fmt.Errorf("psrtp: listen TCP %s: %w", addr, err)
			}
			continue
		}
		_ = u.SetReadBuffer(4 << 20) // best effort: absorbs keyframe bursts of many cameras
		r.udp, r.tcp, r.sharedPort = u, t, port
		return nil
	}
	return fmt.Errorf("psrtp: no port free for both UDP and TCP near %s", addr)
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
		in: make(chan inPkt, inQueue), connected: make(chan time.Time, 1),
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

// bindPort gives s the next free RTP port (and RTCP port+1 for UDP) of the
// range, skipping ports other programs hold.
func (r *Receiver) bindPort(s *Session) error {
	ip := net.ParseIP(r.opts.ListenIP)
	r.mu.Lock()
	defer r.mu.Unlock()
	pairs := (r.opts.PortMax - r.opts.PortMin + 1) / 2
	for range pairs {
		p := r.nextPort
		r.nextPort += 2
		if r.nextPort+1 > r.opts.PortMax {
			r.nextPort = r.opts.PortMin
		}
		if r.ports[p] {
			continue
		}
		if s.req.Transport == TCPPassive {
			ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: ip, Port: p})
			if err != nil {
				continue
			}
			s.ln = ln
		} else {
			u, err := net.ListenUDP("udp", &net.UDPAddr{IP: ip, Port: p})
			if err != nil {
				continue
			}
			c, err := net.ListenUDP("udp", &net.UDPAddr{IP: ip, Port: p + 1})
			if err != nil {
				u.Close()
				continue
			}
			_ = u.SetReadBuffer(2 << 20) // best effort: absorbs keyframe bursts
			s.udp, s.rtcp = u, c
		}
		r.ports[p] = true
		s.port = p
		return nil
	}
	return fmt.Errorf("%w %d-%d", ErrNoPorts, r.opts.PortMin, r.opts.PortMax)
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

// sharedUDP reads the shared UDP socket and routes each packet by SSRC.
func (r *Receiver) sharedUDP() {
	defer r.wg.Done()
	buf := make([]byte, 65536)
	var sl slab
	for {
		n, from, err := r.udp.ReadFromUDPAddrPort(buf)
		if err != nil {
			return // closed by Close
		}
		from = unmap(from)
		s := r.routePacket(buf[:n], from, false)
		if s == nil {
			continue
		}
		b := sl.alloc(n)
		copy(b, buf[:n])
		s.offer(inPkt{b: b, from: from, at: time.Now()})
	}
}

// routePacket returns the session a shared-port packet belongs to: by SSRC,
// or, for an unknown SSRC, the one session still waiting for its first
// packet whose ExpectFrom is the source IP (the camera ignored the offered
// SSRC; the session counts it as wrong-SSRC). Other packets are counted and
// dropped.
func (r *Receiver) routePacket(b []byte, from netip.AddrPort, tcp bool) *Session {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(b) < 12 || b[0]>>6 != 2 {
		r.st.Invalid++
		return nil
	}
	if isRTCP(b) {
		r.st.RTCP++
		return nil
	}
	ssrc := peekSSRC(b)
	if s := r.route[ssrc]; s != nil {
		if !s.routed {
			s.routed = true
			r.unwait(s)
		}
		return s
	}
	if !r.opts.StrictSSRC {
		var cand *Session
		n := 0
		for s := range r.waiting[from.Addr()] {
			if (s.req.Transport == TCPPassive) == tcp {
				cand = s
				n++
			}
		}
		if n == 1 {
			r.route[ssrc] = cand
			cand.bound = append(cand.bound, ssrc)
			cand.routed = true
			r.unwait(cand)
			r.st.Bound++
			r.log.Info("psrtp: bound unknown SSRC by source address", "path", cand.req.Path,
				"expected", cand.req.SSRC, "seen", send.FormatSSRC(ssrc), "from", from)
			return cand
		}
	}
	r.st.UnknownSSRC++
	last := &r.unknown[(r.unkNext+unknownRing-1)%unknownRing]
	if last.n > 0 && last.ssrc == ssrc && last.from == from {
		last.n++
		last.at = time.Now()
	} else {
		r.unknown[r.unkNext] = unknownPkt{ssrc: ssrc, from: from, at: time.Now(), n: 1}
		r.unkNext = (r.unkNext + 1) % unknownRing
	}
	return nil
}

// unknownFor returns the most recent unroutable packet since since that may
// have been meant for s (from its ExpectFrom address, if set).
func (r *Receiver) unknownFor(s *Session, since time.Time) (unknownPkt, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var best unknownPkt
	for _, u := range r.unknown {
		if u.n == 0 || u.at.Before(since) {
			continue
		}
		if s.expectFrom.IsValid() && u.from.Addr() != s.expectFrom {
			continue
		}
		if best.n == 0 || u.at.After(best.at) {
			best = u
		}
	}
	return best, best.n > 0
}

// sharedAccept accepts TCP connections on the shared port.
func (r *Receiver) sharedAccept() {
	defer r.wg.Done()
	for {
		c, err := r.tcp.Accept()
		if err != nil {
			return
		}
		r.mu.Lock()
		if r.closed || len(r.pending) >= maxPendingConns {
			r.st.TCPRejected++
			r.mu.Unlock()
			c.Close()
			continue
		}
		r.pending[c] = struct{}{}
		r.st.TCPAccepted++
		r.wg.Add(1)
		r.mu.Unlock()
		go r.serveShared(c)
	}
}

// serveShared routes a shared-port TCP connection by the SSRC of its first
// routable packet, then feeds the session. A connection that sends nothing
// routable within NoRTPTimeout is closed.
func (r *Receiver) serveShared(c net.Conn) {
	defer r.wg.Done()
	defer c.Close()
	from := addrPort(c.RemoteAddr())
	br := bufio.NewReaderSize(c, 64<<10)
	var sl slab
	_ = c.SetReadDeadline(time.Now().Add(r.opts.NoRTPTimeout))
	var s *Session
	err := readFrames(br, &sl, func(b []byte) bool {
		if s == nil {
			if s = r.routePacket(b, from, true); s == nil {
				return true
			}
			r.unpend(c, false)
			_ = c.SetReadDeadline(time.Time{})
			if !s.attach(c, false) {
				return false
			}
		}
		return s.offerWait(inPkt{b: b, from: from, at: time.Now()})
	})
	if s == nil {
		r.unpend(c, true)
		r.log.Debug("psrtp: unrouted TCP connection closed", "from", from, "err", err)
		return
	}
	s.logConnEnd(from, err)
}

func (r *Receiver) unpend(c net.Conn, rejected bool) {
	r.mu.Lock()
	delete(r.pending, c)
	if rejected {
		r.st.TCPRejected++
	}
	r.mu.Unlock()
}
