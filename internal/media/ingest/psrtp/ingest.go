package psrtp

import (
	"encoding/binary"
	"log/slog"
	"net/netip"
	"time"

	"github.com/pion/rtp"

	"github.com/vionet/vionet/internal/media/formats/mpegps"
	"github.com/vionet/vionet/internal/media/hub"
)

// payloadTypePS is the only RTP payload type accepted (GB/T 28181: PS/90000).
const payloadTypePS = 96

// notPSPackets is how many RTP packets without a single pack header or PES
// start code end the session with ErrNotPS before KeyframeTimeout: a PS
// stream has a pack header in every frame, so this is conclusive.
const notPSPackets = 200

// jitterMaxBytes bounds the payload bytes held for reordering.
const jitterMaxBytes = 4 << 20

// ingestConfig is what the packet path of one session needs to know.
type ingestConfig struct {
	path       string
	hub        *hub.Hub
	log        *slog.Logger
	transport  Transport
	port       int
	expect     uint32 // offered SSRC
	hasExpect  bool
	strict     bool
	noRTP      time.Duration
	keyTimeout time.Duration
	jitterN    int
	jitterWait time.Duration
	onPublish  func()
	// expectFrom is Request.ExpectFrom (invalid when not given).
	expectFrom netip.Addr
	// dialPending returns the address a TCPActive session is still dialing.
	dialPending func() string
	// where describes the receiving end for messages ("UDP port 30000").
	where func() string
	// unknownSeen returns, for the diagnosis, a recent packet with an
	// unknown SSRC that the shared socket could not route (nil in port mode).
	unknownSeen func(since time.Time) (unknownPkt, bool)
}

// isRTCP tells RTCP from RTP by the second byte (RFC 5761 4): packet types
// 200–204 (SR, RR, SDES, BYE, APP) cannot be RTP payload types 72–76.
func isRTCP(b []byte) bool { return len(b) >= 2 && b[1] >= 200 && b[1] <= 204 }

// ingest is the single-goroutine packet path of a session: RTP checks,
// SSRC policy, jitter buffer, PS demuxing, keyframe gating, timestamps and
// hub publishing. It starts no goroutines and has no timers of its own: the
// owner calls packet for each datagram and check when a deadline passes.
type ingest struct {
	cfg ingestConfig
	box *statsBox
	st  SessionStats

	startAt time.Time // when the NoRTP clock started (Open or Connect)
	first   time.Time // first accepted packet
	now     time.Time // arrival time of the packet being processed
	remote  netip.AddrPort
	locked  bool // st.SSRC is the accepted SSRC
	fatal   error

	jb      *jitter
	dmx     *mpegps.Demuxer
	needKey bool
	clk     clock
	curRTP  uint32 // RTP timestamp of the packet being demuxed
	prevRTP uint32 // the last RTP timestamp before curRTP that differs from it
	hasPrev bool
	fed     uint64 // payloads fed to the demuxer

	video videoState
	audio audioState
	pub   *hub.Publisher
	last  [2]time.Duration // last DTS written per track
	wrote [2]bool

	// diagnosis
	wrong unknownPkt // last packet whose SSRC was not the offered one
	badPT uint8
}

// unknownPkt remembers a packet whose SSRC was not accepted.
type unknownPkt struct {
	ssrc uint32
	from netip.AddrPort
	at   time.Time
	n    uint64
}

func newIngest(cfg ingestConfig, box *statsBox, now time.Time) *ingest {
	c := &ingest{cfg: cfg, box: box, startAt: now, dmx: mpegps.NewDemuxer()}
	c.st.Transport, c.st.LocalPort = cfg.transport, cfg.port
	immediate := cfg.transport != UDP
	c.jb = newJitter(cfg.jitterN, cfg.jitterWait, jitterMaxBytes, immediate, c.deliver)
	return c
}

// packet processes one datagram or TCP frame received at now from from. It
// returns a non-nil error when the session must end.
func (c *ingest) packet(b []byte, from netip.AddrPort, now time.Time) error {
	c.now = now
	c.handle(b, from, now)
	c.snapshot()
	return c.fatal
}

func (c *ingest) handle(b []byte, from netip.AddrPort, now time.Time) {
	if len(b) < 12 || b[0]>>6 != 2 {
		c.st.Invalid++
		return
	}
	if isRTCP(b) {
		c.st.RTCP++
		return
	}
	var p rtp.Packet
	if err := p.Unmarshal(b); err != nil {
		c.st.Invalid++
		return
	}
	if p.PayloadType != payloadTypePS {
		c.st.BadPT++
		c.badPT = p.PayloadType
		return
	}
	if !c.acceptSSRC(p.SSRC, from, now) {
		return
	}
	if c.first.IsZero() {
		c.first = now
	}
	c.remote = from
	c.st.Packets++
	c.st.Bytes += uint64(len(b))
	c.st.LastPacket = now
	c.jb.push(jpkt{seq: p.SequenceNumber, ts: p.Timestamp, payload: p.Payload, at: now})
	c.syncJitterStats()
}

// acceptSSRC applies the SSRC policy: lock onto the first SSRC seen (the
// offered one, or any unless strict) and refuse others. Accepted packets
// whose SSRC is not the offered one are still counted as wrong.
func (c *ingest) acceptSSRC(ssrc uint32, from netip.AddrPort, now time.Time) bool {
	mismatch := c.cfg.hasExpect && ssrc != c.cfg.expect
	refuse := false
	switch {
	case !c.locked && mismatch && c.cfg.strict:
		refuse = true
	case !c.locked:
		c.locked, c.st.SSRC = true, ssrc
	case ssrc != c.st.SSRC:
		refuse, mismatch = true, true
	}
	if mismatch {
		c.st.WrongSSRC++
		c.wrong = unknownPkt{ssrc: ssrc, from: from, at: now, n: c.wrong.n + 1}
	}
	return !refuse
}

func (c *ingest) syncJitterStats() {
	c.st.Lost, c.st.Reordered, c.st.Late = c.jb.lost, c.jb.reorder, c.jb.late
}

// snapshot publishes the counters for Session.Stats. It adds the frames the demuxer discarded (incomplete at a
// reset, or oversize) to the ones the ingest refused.
func (c *ingest) snapshot() {
	st := c.st
	st.DroppedFrames += c.dmx.Stats().Dropped
	c.box.set(&st, c.remote)
}

// deliver receives packets from the jitter buffer in sequence order.
func (c *ingest) deliver(p *jpkt, gap bool) {
	if gap {
		// Whatever the demuxer holds is now incomplete, and the next frames
		// may reference lost data: drop video until the next keyframe.
		c.dmx.Reset()
		c.needKey = true
	}
	if c.fed > 0 && p.ts != c.curRTP {
		c.prevRTP, c.hasPrev = c.curRTP, true
	}
	c.curRTP = p.ts
	c.fed++
	if c.pub == nil && !c.audio.known() {
		c.audio.sniffPSM(p.payload)
	}
	frames, _ := c.dmx.Write(p.payload)
	for _, f := range frames {
		c.frame(f)
	}
	if c.fed == notPSPackets && c.pub == nil {
		if ds := c.dmx.Stats(); ds.Packs == 0 && ds.PES == 0 {
			c.fatal = c.errNotPS()
		}
	}
}

// check runs the jitter and session timers at now; a non-nil error ends
// the session.
func (c *ingest) check(now time.Time) error {
	c.now = now
	c.jb.tick(now)
	c.syncJitterStats()
	c.snapshot()
	if c.fatal != nil {
		return c.fatal
	}
	switch {
	case c.first.IsZero():
		if now.Sub(c.startAt) >= c.cfg.noRTP {
			return c.errNoRTP()
		}
	case now.Sub(c.st.LastPacket) >= c.cfg.noRTP:
		if c.pub != nil {
			return c.errStalled()
		}
		return c.errNoPublish(true)
	case c.pub == nil && now.Sub(c.first) >= c.cfg.keyTimeout:
		return c.errNoPublish(false)
	}
	return nil
}

// deadline returns the next time check must run.
func (c *ingest) deadline() time.Time {
	var t time.Time
	if c.first.IsZero() {
		t = c.startAt.Add(c.cfg.noRTP)
	} else {
		t = c.st.LastPacket.Add(c.cfg.noRTP)
		if c.pub == nil {
			t = earliest(t, c.first.Add(c.cfg.keyTimeout))
		}
	}
	if j, ok := c.jb.deadline(); ok {
		t = earliest(t, j)
	}
	return t
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// close ends publishing.
func (c *ingest) close() {
	if c.pub != nil {
		c.pub.Close()
	}
}

// peekSSRC returns the SSRC field of an RTP packet (b has at least 12 bytes).
func peekSSRC(b []byte) uint32 { return binary.BigEndian.Uint32(b[8:12]) }
