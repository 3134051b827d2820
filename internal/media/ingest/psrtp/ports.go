package psrtp

import (
	"fmt"
	"net"
)

// Port-range mode: each session binds its own port(s) from the range.

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
