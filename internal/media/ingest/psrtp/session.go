package psrtp

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Session receives one device stream and publishes it on the hub. It is
// created by Receiver.Open and ends on Close, on Receiver.Close, or by itself
// with a diagnosis error (see Wait).
type Session struct {
	r          *Receiver
	req        Request
	ssrc       uint32
	hasSSRC    bool
	expectFrom netip.Addr
	port       int // listening port (port mode) or shared port; 0 for TCPActive

	in        chan inPkt     // packets for the run goroutine
	connected chan time.Time // TCPActive: connection up, restart the NoRTP clock
	quit      chan struct{}  // closed by end
	done      chan struct{}  // closed when everything is released
	published chan struct{}  // closed when the path is up

	pubOnce, endOnce sync.Once
	mu               sync.Mutex // guards the fields below
	err              error
	ending           bool
	conn             net.Conn              // current TCP connection
	conns            map[net.Conn]struct{} // connections read by the session's goroutines
	dialing          string                // TCPActive: address Connect dials
	udp, rtcp        *net.UDPConn
	ln               *net.TCPListener

	wg       sync.WaitGroup // reader goroutines owned by the session
	box      statsBox
	overflow atomic.Uint64
	rtcpPort atomic.Uint64 // RTCP datagrams on port+1
	core     *ingest       // owned by run

	// Guarded by r.mu (shared-mode routing).
	routed bool     // a packet was routed to the session
	bound  []uint32 // SSRCs routed to the session besides its own
}

// inPkt is a received datagram or TCP frame.
type inPkt struct {
	b    []byte
	from netip.AddrPort
	at   time.Time
}

// inQueue bounds the packets waiting for a session's goroutine. UDP packets
// beyond it are dropped (counted in Overflow; the gap is then seen as loss);
// TCP readers wait instead.
const inQueue = 512

// Path returns the hub path of the session.
func (s *Session) Path() string { return s.req.Path }

// SSRC returns the SSRC requested for the session (10 digits, may be empty
// in port-range mode).
func (s *Session) SSRC() string { return s.req.SSRC }

// Transport returns the session's transport.
func (s *Session) Transport() Transport { return s.req.Transport }

// LocalPort returns the port to put in the SDP offer's m= line: the
// session's own port (port-range mode) or the shared port, both for UDP and
// TCPPassive. For TCPActive vionet listens on nothing and dials out, so it
// returns 9, the discard port RFC 4145 4.1 says an active endpoint offers.
func (s *Session) LocalPort() int {
	if s.req.Transport == TCPActive {
		return 9
	}
	return s.port
}

// Done is closed when the session has ended and released its resources.
func (s *Session) Done() <-chan struct{} { return s.done }

// Err returns nil while the session runs, then why it ended:
// ErrSessionClosed after Close, or a diagnosis error (see Wait) or
// ErrStalled.
func (s *Session) Err() error {
	select {
	case <-s.done:
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.err
	default:
		return nil
	}
}

// Wait blocks until the path is published on the hub (nil), the session ends
// first (its diagnosis error: ErrNoRTP, ErrWrongSSRC, ErrTCPConnect,
// ErrNotPS, ErrNoKeyframe, ErrStalled or ErrSessionClosed, to be tested with
// errors.Is), or ctx ends (ctx's error, wrapped).
func (s *Session) Wait(ctx context.Context) error {
	select {
	case <-s.published:
		return nil
	default:
	}
	select {
	case <-s.published:
		return nil
	case <-s.done:
		select {
		case <-s.published:
			return nil
		default:
		}
		return s.Err()
	case <-ctx.Done():
		return fmt.Errorf("psrtp: waiting for %s: %w", s.req.Path, ctx.Err())
	}
}

// Stats returns a snapshot of the session's counters.
func (s *Session) Stats() SessionStats {
	st := s.box.get()
	st.Overflow = s.overflow.Load()
	st.RTCP += s.rtcpPort.Load()
	return st
}

// Close ends the session (Err becomes ErrSessionClosed unless it had ended
// already), closes its publisher and sockets and waits for its goroutines.
func (s *Session) Close() {
	s.end(ErrSessionClosed)
	<-s.done
}

// end records why the session ends and tells run to stop.
func (s *Session) end(err error) {
	s.endOnce.Do(func() {
		s.mu.Lock()
		s.err = err
		s.mu.Unlock()
		close(s.quit)
	})
}

// Connect dials the device's media address (from its SDP answer) for a
// TCPActive session and starts receiving on that connection. A failed dial
// is retried twice 300 ms apart (devices may open their listener just after
// answering); if all fail, the session ends with ErrTCPConnect, which Connect
// also returns.
func (s *Session) Connect(ctx context.Context, remote string) error {
	if s.req.Transport != TCPActive {
		return fmt.Errorf("%w: Connect on a %v session", ErrBadRequest, s.req.Transport)
	}
	s.mu.Lock()
	busy := s.dialing != ""
	if !busy {
		s.dialing = remote
	}
	s.mu.Unlock()
	if busy {
		return fmt.Errorf("%w: Connect called twice", ErrBadRequest)
	}
	// Closing the session aborts a dial in progress.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-s.quit:
			cancel()
		case <-ctx.Done():
		}
	}()
	d := net.Dialer{Timeout: s.r.opts.NoRTPTimeout}
	var c net.Conn
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if attempt > 0 {
			select {
			case <-time.After(300 * time.Millisecond):
			case <-ctx.Done():
			case <-s.quit:
			}
		}
		if ctx.Err() != nil || isClosed(s.quit) {
			break
		}
		if c, err = d.DialContext(ctx, "tcp", remote); err == nil {
			break
		}
	}
	if c == nil {
		if err == nil {
			err = ctx.Err()
		}
		if err == nil {
			return s.errOrClosed()
		}
		e := fmt.Errorf("%w: %s: %w", ErrTCPConnect, remote, err)
		s.end(e)
		return e
	}
	s.r.log.Debug("psrtp: connected", "path", s.req.Path, "remote", remote)
	if !s.track(c) {
		c.Close()
		return s.errOrClosed()
	}
	s.attach(c)
	go s.readConn(c, true)
	select {
	case s.connected <- time.Now():
	default:
	}
	return nil
}

func (s *Session) errOrClosed() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	return ErrSessionClosed
}

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// maxSessionConns bounds the connections on a session's own TCP port that
// have not sent RTP yet.
const maxSessionConns = 4

// track registers a connection the session reads (so that finish closes it
// and waits for its reader) and counts it in the session's wait group; the
// caller then starts readConn. It fails once the session is ending or, for
// passive connections, when too many are still silent.
func (s *Session) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ending || len(s.conns) >= maxSessionConns+1 {
		return false
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	return true
}

// attach makes c the session's current TCP connection, closing the previous
// one: a device that reconnects replaces its dead connection. Only
// connections that sent RTP are attached, so an idle or stray connection
// cannot displace a working stream.
func (s *Session) attach(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ending {
		return false
	}
	if s.conn != nil && s.conn != c {
		s.conn.Close()
	}
	s.conn = c
	return true
}

// where describes the receiving end for diagnosis messages.
func (s *Session) where() string {
	s.mu.Lock()
	conn := s.conn
	s.mu.Unlock()
	shared := ""
	if s.r.shared {
		shared = "shared "
	}
	switch s.req.Transport {
	case TCPPassive:
		if conn != nil {
			return fmt.Sprintf("%sTCP port %d (connection from %v)", shared, s.port, conn.RemoteAddr())
		}
		return fmt.Sprintf("%sTCP port %d (no connection)", shared, s.port)
	case TCPActive:
		if conn != nil {
			return fmt.Sprintf("TCP connection to %v", conn.RemoteAddr())
		}
		return "TCP (Connect not called)"
	}
	return fmt.Sprintf("%sUDP port %d", shared, s.port)
}

// dialPending returns the address Connect is still trying to reach
// ("" when connected or not dialing).
func (s *Session) dialPending() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil {
		return ""
	}
	return s.dialing
}

// offer queues a UDP packet, dropping it when the queue is full.
func (s *Session) offer(p inPkt) {
	select {
	case s.in <- p:
	default:
		s.overflow.Add(1)
	}
}

// offerWait queues a TCP packet, waiting for room; false once the session
// is ending.
func (s *Session) offerWait(p inPkt) bool {
	select {
	case s.in <- p:
		return true
	case <-s.quit:
		return false
	}
}

// run is the session's goroutine: it owns the ingest and its timers.
func (s *Session) run() {
	defer s.finish()
	c := s.core
	armed := c.deadline()
	t := time.NewTimer(time.Until(armed))
	defer t.Stop()
	for {
		var err error
		select {
		case p := <-s.in:
			err = c.packet(p.b, p.from, p.at)
		case at := <-s.connected:
			c.startAt = at
		case <-t.C:
			armed = time.Time{}
			err = c.check(time.Now())
		case <-s.quit:
			return
		}
		if err != nil {
			s.end(err)
			return
		}
		// The timer only ever moves earlier here; when it fires at a
		// deadline that has since moved later, check re-arms it.
		if next := c.deadline(); armed.IsZero() || next.Before(armed) {
			armed = next
			t.Reset(time.Until(next))
		}
	}
}

// finish releases everything once run has stopped.
func (s *Session) finish() {
	s.mu.Lock()
	s.ending = true
	conn, udp, rtcp, ln := s.conn, s.udp, s.rtcp, s.ln
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	if conn != nil {
		conn.Close()
	}
	if udp != nil {
		udp.Close()
	}
	if rtcp != nil {
		rtcp.Close()
	}
	if ln != nil {
		ln.Close()
	}
	s.wg.Wait()
	s.core.close()
	s.r.remove(s)
	st := s.Stats()
	s.mu.Lock()
	err := s.err
	s.mu.Unlock()
	lvl := s.r.log.Info
	if !errors.Is(err, ErrSessionClosed) {
		lvl = s.r.log.Warn
	}
	lvl("psrtp: session ended", "path", s.req.Path, "ssrc", s.req.SSRC, "transport", s.req.Transport,
		"err", err, "packets", st.Packets, "lost", st.Lost, "frames", st.Frames, "dropped", st.DroppedFrames)
	close(s.done)
}

// readUDP reads the session's own RTP port (port-range mode).
func (s *Session) readUDP(c *net.UDPConn) {
	defer s.wg.Done()
	buf := make([]byte, 65536)
	var sl slab
	for {
		n, from, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			return // closed by finish
		}
		b := sl.alloc(n)
		copy(b, buf[:n])
		s.offer(inPkt{b: b, from: unmap(from), at: time.Now()})
	}
}

// readRTCP counts and discards the datagrams on port+1.
func (s *Session) readRTCP(c *net.UDPConn) {
	defer s.wg.Done()
	buf := make([]byte, 2048)
	for {
		if _, _, err := c.ReadFromUDPAddrPort(buf); err != nil {
			return
		}
		s.rtcpPort.Add(1)
	}
}

// acceptLoop accepts the device's connections on the session's own TCP port.
func (s *Session) acceptLoop(ln *net.TCPListener) {
	defer s.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		if !s.track(c) {
			s.r.countRejected()
			c.Close()
			continue
		}
		s.r.countAccepted()
		go s.readConn(c, false)
	}
}

// readConn reads a connection the session tracks. A passive connection is
// attached (replacing the current one) when its first RTP packet arrives;
// until then it must send one within NoRTPTimeout.
func (s *Session) readConn(c net.Conn, attached bool) {
	defer s.wg.Done()
	defer s.untrack(c)
	from := addrPort(c.RemoteAddr())
	if !attached {
		_ = c.SetReadDeadline(time.Now().Add(s.r.opts.NoRTPTimeout))
	}
	var sl slab
	err := readFrames(bufio.NewReaderSize(c, 64<<10), &sl, func(b []byte) bool {
		if !attached {
			if len(b) < 12 || b[0]>>6 != 2 || isRTCP(b) {
				return true
			}
			_ = c.SetReadDeadline(time.Time{})
			if !s.attach(c) {
				return false
			}
			attached = true
		}
		return s.offerWait(inPkt{b: b, from: from, at: time.Now()})
	})
	s.logConnEnd(from, err)
}

// untrack closes c and forgets it.
func (s *Session) untrack(c net.Conn) {
	c.Close()
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

func (s *Session) logConnEnd(from netip.AddrPort, err error) {
	if errors.Is(err, errFraming) {
		s.r.log.Warn("psrtp: RFC 4571 framing lost, closing connection", "path", s.req.Path, "from", from)
	} else {
		s.r.log.Debug("psrtp: TCP connection ended", "path", s.req.Path, "from", from, "err", err)
	}
}

func unmap(a netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
}

func addrPort(a net.Addr) netip.AddrPort {
	if t, ok := a.(*net.TCPAddr); ok {
		return unmap(t.AddrPort())
	}
	return netip.AddrPort{}
}
