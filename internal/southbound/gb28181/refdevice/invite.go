package refdevice

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/vionet/vionet/internal/media/ingest/psrtp/send"
	"github.com/vionet/vionet/internal/southbound/gb28181/sdp"
)

// Media sessions, device side (GB/T 28181 §9.2): an INVITE for one of the device's channels
// carries the platform's SDP offer; the device answers 200 with its own (its address, y=,
// and for TCP the inverse a=setup), and starts sending on the ACK. The transport follows the
// offer: RTP/AVP sends datagrams to the offered address; TCP/RTP/AVP with a=setup:passive
// (the platform listens) dials it after the ACK; a=setup:active (the platform dials) makes
// the device listen on the port of its answer. RTP over TCP uses the RFC 4571 2-byte length
// prefix. A BYE from the platform stops the stream; HangUp sends the device's own BYE, as a
// camera does when its stream breaks.

// mediaAcceptTimeout bounds how long a device listening for the platform's TCP connection
// (a=setup:active offer) waits, and mediaDialTimeout how long it tries to reach a listening
// platform.
const (
	mediaAcceptTimeout = 10 * time.Second
	mediaDialTimeout   = 5 * time.Second
)

// MediaStats counts the device's media sessions.
type MediaStats struct {
	InvitesReceived  int64
	InvitesRejected  int64 // answered with an error (Config.RejectInvite, unknown channel, bad offer)
	InvitesCancelled int64 // CANCELled by the platform before the answer
	StreamsStarted   int64 // ACKed sessions
	StreamsActive    int64 // sessions up now
	ByesReceived     int64
	ByesSent         int64
	PacketsSent      int64 // RTP packets written
	BytesSent        int64 // RTP bytes written (without RFC 4571 prefixes)
	MediaFailures    int64 // TCP connections that could not be made, writes that failed
}

// Stream is one media session of the device.
type Stream struct {
	CallID    string
	ChannelID string
	Name      string // Play, Playback or Download
	// TCP with Setup "active" (the device dials) or "passive" (the device listens); UDP has
	// no setup.
	TCP   bool
	Setup string
	// Remote is where the device sends (UDP) or connects (TCP active); Local its end (for TCP
	// passive, the port it listens on).
	Remote, Local string
	// OfferedSSRC came in the offer, AnswerSSRC went in the answer, SendSSRC is in the RTP.
	OfferedSSRC, AnswerSSRC string
	SendSSRC                uint32
	Acked                   bool
	// Controls are the MANSRTSP bodies of the platform's INFOs (playback control), in order.
	Controls []string
}

type mediaState struct {
	mu    sync.Mutex
	calls map[string]*mediaCall // by Call-ID

	invites, rejected, cancelled, started, active atomic.Int64
	byesIn, byesOut, packets, bytes, failures     atomic.Int64
}

func newMediaState() *mediaState { return &mediaState{calls: map[string]*mediaCall{}} }

type mediaCall struct {
	info   Stream
	dtx    *sipgo.DialogServerSession
	udp    *net.UDPConn // UDP: connected to the offered address
	ln     net.Listener // TCP, device listens
	ctx    context.Context
	cancel context.CancelFunc
}

func (m *mediaState) put(c *mediaCall) {
	m.mu.Lock()
	m.calls[c.info.CallID] = c
	m.mu.Unlock()
}

func (m *mediaState) get(id string) *mediaCall {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls[id]
}

func (m *mediaState) take(id string) *mediaCall {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.calls[id]
	delete(m.calls, id)
	return c
}

// MediaStats returns the device's media counters.
func (d *Device) MediaStats() MediaStats {
	m := d.media
	return MediaStats{
		InvitesReceived: m.invites.Load(), InvitesRejected: m.rejected.Load(), InvitesCancelled: m.cancelled.Load(),
		StreamsStarted: m.started.Load(), StreamsActive: m.active.Load(),
		ByesReceived: m.byesIn.Load(), ByesSent: m.byesOut.Load(),
		PacketsSent: m.packets.Load(), BytesSent: m.bytes.Load(), MediaFailures: m.failures.Load(),
	}
}

// Streams lists the device's media sessions (answered, ACKed or not), by Call-ID.
func (d *Device) Streams() []Stream {
	d.media.mu.Lock()
	out := make([]Stream, 0, len(d.media.calls))
	for _, c := range d.media.calls {
		info := c.info
		info.Controls = slices.Clone(info.Controls)
		out = append(out, info)
	}
	d.media.mu.Unlock()
	slices.SortFunc(out, func(a, b Stream) int { return strings.Compare(a.CallID, b.CallID) })
	return out
}

// HangUp ends a media session from the device's side: it stops the stream and sends BYE to
// the platform. Unknown Call-IDs are an error.
func (d *Device) HangUp(ctx context.Context, callID string) error {
	c := d.media.get(callID)
	if c == nil || c.dtx == nil {
		return fmt.Errorf("refdevice: no media session %q", callID)
	}
	c.cancel()
	// The session stays listed until the BYE is out: a BYE may not precede the ACK (RFC 3261
	// §15), and the ACK finds its session in the list.
	defer d.media.take(callID)
	return d.sendBye(ctx, c)
}

func (d *Device) sendBye(ctx context.Context, c *mediaCall) error {
	bye := sip.NewRequest(sip.BYE, c.dtx.InviteRequest.Contact().Address)
	bye.SetTransport(c.dtx.InviteRequest.Transport())
	if d.cfg.Transport == TransportUDP {
		// From the SIP socket, as every request of the device (sipgo's dialog does not pin it).
		host, port, _ := net.SplitHostPort(d.LocalAddr())
		p, _ := strconv.Atoi(port)
		bye.Laddr = sip.Addr{IP: net.ParseIP(host), Port: p, Hostname: host}
	}
	ctx, cancel := context.WithTimeout(ctx, d.cfg.RequestTimeout)
	defer cancel()
	if err := c.dtx.WriteBye(ctx, bye); err != nil {
		return fmt.Errorf("refdevice: BYE %s: %w", c.info.CallID, err)
	}
	d.media.byesOut.Add(1)
	return nil
}

// onInvite answers an INVITE. The handler runs until the ACK (sipgo retransmits the 200 over
// UDP meanwhile), then hands the stream to its own goroutine.
func (d *Device) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	m := d.media
	m.invites.Add(1)
	reject := func(code int, reason, why string) {
		m.rejected.Add(1)
		d.log.Info("INVITE refused", "status", code, "why", why)
		d.respond(req, tx, code, reason)
	}
	channel := req.Recipient.User
	d.mu.Lock()
	closing := d.closing
	d.mu.Unlock()
	switch {
	case closing:
		reject(sip.StatusServiceUnavailable, "Service Unavailable", "device stopping")
		return
	case !d.known(channel):
		reject(sip.StatusNotFound, "Not Found", "unknown channel "+channel)
		return
	case d.cfg.RejectInvite:
		reject(sip.StatusNotAcceptableHere, "Not Acceptable Here", "Config.RejectInvite")
		return
	}
	offer, err := sdp.Parse(req.Body())
	if err == nil && net.ParseIP(offer.IP) == nil {
		err = fmt.Errorf("offer has no connection address")
	}
	if err != nil {
		reject(sip.StatusNotAcceptableHere, "Not Acceptable Here", err.Error())
		return
	}
	host, port, _ := sip.ParseAddr(d.LocalAddr())
	ua := &sipgo.DialogUA{Client: d.cli, RewriteContact: true,
		ContactHDR: sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: d.cfg.DeviceID, Host: host, Port: port}}}
	dtx, err := ua.ReadInvite(req, tx)
	if err != nil {
		reject(sip.StatusBadRequest, "Bad Request", err.Error())
		return
	}
	if d.cfg.InviteDelay > 0 {
		_ = dtx.Respond(sip.StatusTrying, "Trying", nil)
		select {
		case <-time.After(d.cfg.InviteDelay):
		case <-dtx.Context().Done(): // CANCEL: sipgo answered it and the INVITE (487)
			m.cancelled.Add(1)
			return
		case <-d.ctx.Done():
			return
		}
	}

	c, answer, err := d.prepareMedia(channel, req.CallID().Value(), offer)
	if err != nil {
		m.failures.Add(1)
		_ = dtx.Respond(sip.StatusNotAcceptableHere, "Not Acceptable Here", nil)
		m.rejected.Add(1)
		d.log.Warn("INVITE refused: media", "error", err)
		return
	}
	c.dtx = dtx
	m.put(c)
	// RespondSDP returns once the ACK arrived (onAck), or fails after 64×T1 without one.
	if err := dtx.RespondSDP(answer.Marshal()); err != nil {
		m.take(c.info.CallID)
		c.close()
		d.log.Warn("INVITE answer not ACKed", "callId", c.info.CallID, "error", err)
		return
	}
	d.mu.Lock()
	if d.closing {
		d.mu.Unlock()
		m.take(c.info.CallID)
		c.close()
		return
	}
	d.handlers.Add(1)
	d.mu.Unlock()
	m.mu.Lock()
	c.info.Acked = true
	m.mu.Unlock()
	m.started.Add(1)
	m.active.Add(1)
	d.log.Info("streaming", "callId", c.info.CallID, "channel", channel, "name", c.info.Name,
		"tcp", c.info.TCP, "setup", c.info.Setup, "remote", c.info.Remote, "ssrc", c.info.SendSSRC)
	go func() {
		defer d.handlers.Done()
		defer m.active.Add(-1)
		d.stream(c)
	}()
}

// prepareMedia opens the device's end of the media transport the offer asks for and builds
// the answer.
func (d *Device) prepareMedia(channel, callID string, offer *sdp.Session) (*mediaCall, *sdp.Session, error) {
	answerSSRC := firstNonEmpty(d.cfg.AnswerSSRC, offer.SSRC)
	if !sdp.ValidSSRC(answerSSRC) {
		answerSSRC = sdp.FormatSSRC(randomUint32() % 1_000_000_000)
	}
	sendSSRC, err := send.ParseSSRC(firstNonEmpty(d.cfg.SendSSRC, answerSSRC))
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithCancel(d.ctx)
	c := &mediaCall{ctx: ctx, cancel: cancel, info: Stream{CallID: callID, ChannelID: channel, Name: offer.Name,
		TCP: offer.TCP, OfferedSSRC: offer.SSRC, AnswerSSRC: answerSSRC, SendSSRC: sendSSRC}}
	remote := net.JoinHostPort(offer.IP, strconv.Itoa(offer.Port))
	answer := &sdp.Session{Origin: channel, Name: offer.Name, URI: offer.URI, IP: d.cfg.LocalIP, Start: offer.Start,
		End: offer.End, Media: "video", TCP: offer.TCP, Formats: []int{sdp.PayloadPS},
		RTPMap: map[int]string{sdp.PayloadPS: "PS/90000"}, Direction: sdp.SendOnly, SSRC: answerSSRC, F: d.cfg.fGB()}
	switch {
	case !offer.TCP:
		raddr, err := net.ResolveUDPAddr("udp", remote)
		if err != nil || offer.Port == 0 {
			cancel()
			return nil, nil, fmt.Errorf("offered UDP address %q", remote)
		}
		c.udp, err = net.DialUDP("udp", &net.UDPAddr{IP: net.ParseIP(d.cfg.LocalIP)}, raddr)
		if err != nil {
			cancel()
			return nil, nil, err
		}
		c.info.Remote, c.info.Local = remote, c.udp.LocalAddr().String()
		answer.Port = c.udp.LocalAddr().(*net.UDPAddr).Port
	case offer.Setup == sdp.SetupActive:
		// The platform dials: listen, and name the port in the answer.
		ln, err := net.Listen("tcp", net.JoinHostPort(d.cfg.LocalIP, "0"))
		if err != nil {
			cancel()
			return nil, nil, err
		}
		c.ln, c.info.Setup, c.info.Local = ln, sdp.SetupPassive, ln.Addr().String()
		answer.Port, answer.Setup, answer.Connection = ln.Addr().(*net.TCPAddr).Port, sdp.SetupPassive, "new"
	default:
		// a=setup:passive (or none, the GB/T 28181 habit): the platform listens, the device
		// dials after the ACK; its port is not known yet (RFC 4145: 9).
		if offer.Port == 0 {
			cancel()
			return nil, nil, fmt.Errorf("offered TCP address %q", remote)
		}
		c.info.Setup, c.info.Remote = sdp.SetupActive, remote
		answer.Port, answer.Setup, answer.Connection = 9, sdp.SetupActive, "new"
	}
	return c, answer, nil
}

func (c *mediaCall) close() {
	c.cancel()
	if c.udp != nil {
		_ = c.udp.Close()
	}
	if c.ln != nil {
		_ = c.ln.Close()
	}
}

// stream sends the sample on an ACKed session until BYE, HangUp or Stop. When the media
// transport fails the device hangs up itself, as cameras do.
func (d *Device) stream(c *mediaCall) {
	defer c.close()
	m := d.media
	if d.cfg.NoMedia {
		<-c.ctx.Done()
		return
	}
	src := newSampleSource(d.cfg.VideoCodec, c.info.SendSSRC)
	count := func(p []byte) {
		m.packets.Add(1)
		m.bytes.Add(int64(len(p)))
	}
	var err error
	switch {
	case c.udp != nil:
		err = src.run(c.ctx, func(p []byte) error {
			// A datagram nobody reads (ICMP unreachable) is not the device's concern.
			if _, err := c.udp.Write(p); err != nil {
				m.failures.Add(1)
				return nil
			}
			count(p)
			return nil
		})
	default:
		var conn net.Conn
		conn, err = d.mediaConn(c)
		if err == nil {
			stop := context.AfterFunc(c.ctx, func() { _ = conn.Close() })
			err = src.run(c.ctx, func(p []byte) error {
				if err := send.WriteRFC4571(conn, p); err != nil {
					return err
				}
				count(p)
				return nil
			})
			stop()
			_ = conn.Close()
		}
	}
	if c.ctx.Err() != nil {
		return // BYE, HangUp or Stop
	}
	m.failures.Add(1)
	d.log.Warn("stream failed, hanging up", "callId", c.info.CallID, "error", err)
	if d.media.get(c.info.CallID) != nil {
		if err := d.sendBye(d.ctx, c); err != nil && d.ctx.Err() == nil {
			d.log.Warn("BYE failed", "callId", c.info.CallID, "error", err)
		}
		d.media.take(c.info.CallID)
	}
}

// mediaConn makes the TCP connection of a session: dials the listening platform, or accepts
// the platform's connection.
func (d *Device) mediaConn(c *mediaCall) (net.Conn, error) {
	if c.ln == nil {
		dialer := net.Dialer{Timeout: mediaDialTimeout, LocalAddr: &net.TCPAddr{IP: net.ParseIP(d.cfg.LocalIP)}}
		conn, err := dialer.DialContext(c.ctx, "tcp", c.info.Remote)
		if err != nil {
			return nil, fmt.Errorf("connecting to the platform's %s: %w", c.info.Remote, err)
		}
		return conn, nil
	}
	stop := context.AfterFunc(c.ctx, func() { _ = c.ln.Close() })
	defer stop()
	if tl, ok := c.ln.(*net.TCPListener); ok {
		_ = tl.SetDeadline(time.Now().Add(mediaAcceptTimeout))
	}
	conn, err := c.ln.Accept()
	_ = c.ln.Close() // one connection per session
	if err != nil {
		return nil, fmt.Errorf("waiting for the platform's connection on %s: %w", c.info.Local, err)
	}
	return conn, nil
}

// onAck confirms the answered session the ACK belongs to, which starts its stream.
func (d *Device) onAck(req *sip.Request, tx sip.ServerTransaction) {
	c := d.media.get(req.CallID().Value())
	if c == nil || c.dtx == nil {
		return
	}
	if err := c.dtx.ReadAck(req, tx); err != nil {
		d.log.Debug("ACK not for the answer", "callId", c.info.CallID, "error", err)
	}
}

// onBye ends the session the platform hangs up (481 for an unknown one).
func (d *Device) onBye(req *sip.Request, tx sip.ServerTransaction) {
	c := d.media.take(req.CallID().Value())
	if c == nil || c.dtx == nil {
		d.respond(req, tx, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		return
	}
	d.media.byesIn.Add(1)
	c.cancel()
	if err := c.dtx.ReadBye(req, tx); err != nil {
		d.log.Debug("BYE", "callId", c.info.CallID, "error", err)
	}
	d.log.Info("platform ended the stream", "callId", c.info.CallID)
}

// onInfo takes a playback control (MANSRTSP in INFO, §9.8.2) for a session: it is logged in
// Stream.Controls and answered 200; the sample plays on at its own pace.
func (d *Device) onInfo(req *sip.Request, tx sip.ServerTransaction) {
	m := d.media
	m.mu.Lock()
	c := m.calls[req.CallID().Value()]
	if c != nil {
		c.info.Controls = append(c.info.Controls, string(req.Body()))
	}
	m.mu.Unlock()
	if c == nil {
		d.respond(req, tx, sip.StatusCallTransactionDoesNotExists, "Call/Transaction Does Not Exist")
		return
	}
	d.respond(req, tx, sip.StatusOK, "OK")
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}
