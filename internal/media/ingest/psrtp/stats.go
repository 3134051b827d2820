package psrtp

import (
	"net/netip"
	"sync"
	"time"
)

// SessionStats are the counters of one session.
type SessionStats struct {
	Transport  Transport
	LocalPort  int
	RemoteAddr string    // source of the last accepted packet ("" before any)
	SSRC       uint32    // SSRC being received (0 before the first packet)
	Published  bool      // the path is up on the hub
	LastPacket time.Time // arrival of the last accepted RTP packet

	Packets   uint64 // RTP packets accepted (right SSRC, payload type 96)
	Bytes     uint64 // their size, RTP headers included
	Lost      uint64 // sequence numbers never received
	Reordered uint64 // packets that arrived after a later one and were put back in order
	Late      uint64 // duplicates and packets too late to be used
	WrongSSRC uint64 // packets whose SSRC is not the offered one (accepted or not)
	RTCP      uint64 // RTCP packets (ignored)
	BadPT     uint64 // RTP packets with a payload type other than 96 (dropped)
	Invalid   uint64 // datagrams / TCP frames that are not RTP version 2
	Overflow  uint64 // packets dropped because the session could not keep up

	Frames        uint64 // units written to the hub
	DroppedFrames uint64 // frames not published: before the first keyframe, after a loss until the next keyframe, unsupported or corrupt
}

// statsBox shares a session's counters between its goroutine (writer) and
// Session.Stats (reader).
type statsBox struct {
	mu     sync.Mutex
	s      SessionStats
	remote netip.AddrPort
}

func (b *statsBox) set(s *SessionStats, remote netip.AddrPort) {
	b.mu.Lock()
	b.s, b.remote = *s, remote
	b.mu.Unlock()
}

func (b *statsBox) get() SessionStats {
	b.mu.Lock()
	s, r := b.s, b.remote
	b.mu.Unlock()
	if r.IsValid() {
		s.RemoteAddr = r.String()
	}
	return s
}

// ReceiverStats are the counters of a Receiver that belong to no session.
type ReceiverStats struct {
	Sessions    int    // sessions open now
	UnknownSSRC uint64 // shared mode: packets whose SSRC matches no session (dropped)
	Bound       uint64 // shared mode: unknown SSRCs bound to a session by source address
	RTCP        uint64 // shared mode: RTCP packets (ignored)
	Invalid     uint64 // shared mode: datagrams that are not RTP version 2
	TCPAccepted uint64 // TCP connections accepted (both modes)
	TCPRejected uint64 // TCP connections closed unrouted or over the limit
}
