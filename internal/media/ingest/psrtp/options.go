package psrtp

import (
	"log/slog"
	"net"
	"time"

	"github.com/vionet/vionet/internal/media/hub"
)

// Transport is how the device sends RTP to vionet.
type Transport int

// Transports of GB/T 28181 media sessions.
const (
	// UDP: the device sends RTP datagrams to LocalPort.
	UDP Transport = iota
	// TCPPassive: vionet listens on LocalPort and the device connects
	// (SDP a=setup:passive on vionet's side); RTP is framed per RFC 4571.
	TCPPassive
	// TCPActive: vionet connects to the address in the device's SDP answer
	// (SDP a=setup:active on vionet's side) with Session.Connect.
	TCPActive
)

// String returns "UDP", "TCP/passive" or "TCP/active".
func (t Transport) String() string {
	switch t {
	case UDP:
		return "UDP"
	case TCPPassive:
		return "TCP/passive"
	case TCPActive:
		return "TCP/active"
	}
	return "Transport(?)"
}

// Defaults used when the corresponding Options field is zero.
const (
	DefaultNoRTPTimeout    = 5 * time.Second
	DefaultKeyframeTimeout = 10 * time.Second
	DefaultJitterDelay     = 100 * time.Millisecond
	DefaultJitterPackets   = 256
)

// Options configure a Receiver. Exactly one of SharedAddr and the port range
// (PortMin, PortMax) must be set.
type Options struct {
	// Hub receives one publisher per session.
	Hub *hub.Hub

	// ListenIP is the address port-range mode binds to ("0.0.0.0" if empty).
	ListenIP string
	// PortMin and PortMax bound the ports of port-range mode: each UDP or
	// TCP-passive session takes an even offset pair from PortMin, P for RTP
	// and P+1 for RTCP (bound for UDP sessions, whose RTCP is counted and
	// discarded).
	PortMin, PortMax int

	// SharedAddr ("ip:port") selects shared mode: one UDP socket and one TCP
	// listener, on the same port, receive every session and packets are
	// demultiplexed by SSRC. Port 0 picks a free port (see
	// Receiver.SharedPort), which is what tests use.
	SharedAddr string

	// Logger receives session start/end and anomalies (nil: discard).
	Logger *slog.Logger

	// NoRTPTimeout ends a session that received no RTP within this time of
	// Open, or whose RTP stopped for this long (default 5 s). For TCPActive
	// the clock restarts when Connect succeeds; Connect must come within
	// this time of Open.
	NoRTPTimeout time.Duration
	// KeyframeTimeout ends a session that receives RTP but has not found a
	// video keyframe with parameter sets within this time of its first
	// packet (default 10 s).
	KeyframeTimeout time.Duration

	// StrictSSRC drops every packet whose SSRC is not the requested one,
	// instead of accepting the first SSRC seen (port-range mode) or binding
	// an unknown SSRC by source address (shared mode).
	StrictSSRC bool

	// JitterDelay is how long a packet waits for a missing earlier sequence
	// number before the gap is declared lost (UDP only; default 100 ms).
	JitterDelay time.Duration
	// JitterPackets is the most packets held for reordering (default 256).
	JitterPackets int
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.ListenIP == "" {
		o.ListenIP = "0.0.0.0"
	}
	if o.NoRTPTimeout <= 0 {
		o.NoRTPTimeout = DefaultNoRTPTimeout
	}
	if o.KeyframeTimeout <= 0 {
		o.KeyframeTimeout = DefaultKeyframeTimeout
	}
	if o.JitterDelay <= 0 {
		o.JitterDelay = DefaultJitterDelay
	}
	if o.JitterPackets <= 0 {
		o.JitterPackets = DefaultJitterPackets
	}
	return o
}

// Request describes one media session to receive.
type Request struct {
	// Path is the hub path the stream is published at.
	Path string
	// SSRC is the 10-digit GB/T 28181 SSRC offered in the SDP "y=" line
	// (see Receiver.AllocSSRC). Required in shared mode unless ExpectFrom
	// is set; in port-range mode an empty SSRC accepts any.
	SSRC string
	// Transport is how the device sends.
	Transport Transport
	// ExpectFrom is the device's media IP, if known. In shared mode a packet
	// with an unknown SSRC from this IP is bound to the session while it
	// waits for its first packet (cameras that ignore the offered SSRC); it
	// also sharpens the diagnosis.
	ExpectFrom net.IP
}
