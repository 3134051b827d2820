package psrtp

import (
	"bufio"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/vionet/vionet/internal/media/ingest/psrtp/send"
)

// Shared mode: one UDP socket and one TCP listener on the same port receive
// every session; packets and connections are routed by SSRC.

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
			if !s.attach(c) {
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
