package gb28181

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/vionet/vionet/internal/domain"
	"github.com/vionet/vionet/internal/southbound/gb28181/sdp"
)

// Media sessions (GB/T 28181 §9.2 live view, §9.8 playback, §9.9 download): the platform
// INVITEs a channel with an SDP offer naming where to send (and the SSRC to use), the device
// answers 200 with its own SDP, the platform ACKs, and the device sends PS over RTP until
// either side sends BYE. INVITE, ACK, BYE and INFO go to the device exactly as MESSAGEs do:
// from the UDP listening socket to the address it registered from, or on its TCP connection.
// The dialog bookkeeping (tags, CSeq, ACK retransmission on a repeated 200, CANCEL) is
// sipgo's DialogClientSession.

// Kind is what an INVITE asks for.
type Kind int

// Kinds of media session.
const (
	Play     Kind = iota // live view (s=Play)
	Playback             // recording played back at the device's pace (s=Playback)
	Download             // recording sent as fast as asked (s=Download)
)

// String returns the SDP session name.
func (k Kind) String() string {
	switch k {
	case Playback:
		return sdp.Playback
	case Download:
		return sdp.Download
	}
	return sdp.Play
}

// Transport is how the device sends the stream, seen from vionet (the app's
// domain.StreamTransport).
type Transport = domain.StreamTransport

// Stream transports: UDP; TCPPassive, vionet listens and the device connects (offer
// a=setup:passive); TCPActive, vionet connects to the port of the device's answer (offer
// a=setup:active).
const (
	UDP        = domain.TransportUDP
	TCPPassive = domain.TransportTCPPassive
	TCPActive  = domain.TransportTCPActive
)

// Errors of Invite, Bye and PlaybackControl, for errors.Is.
var (
	// ErrDeviceOffline: the device has no live registration (the same value as ErrOffline).
	ErrDeviceOffline = ErrOffline
	// ErrInviteRejected: the device answered with an error status; errors.As with
	// *RejectedError gives the status.
	ErrInviteRejected = errors.New("device rejected INVITE")
	// ErrInviteTimeout: no final answer before the deadline (the caller's, or
	// Config.RequestTimeout).
	ErrInviteTimeout = errors.New("device did not answer INVITE")
	// ErrBadAnswer: the device accepted but its SDP is unusable; vionet hung up.
	ErrBadAnswer = errors.New("device answered INVITE with unusable SDP")
	// ErrDeviceBye: the call ended because the device sent BYE.
	ErrDeviceBye = errors.New("device ended the call (BYE)")
	// ErrCallClosed: the call ended on vionet's side (Bye, or the server stopped).
	ErrCallClosed = errors.New("call ended by vionet")
	// ErrNoCall: no active call has this Call-ID.
	ErrNoCall = errors.New("no such call")
)

// RejectedError is a device's error answer to an INVITE.
type RejectedError struct {
	DeviceSn, ChannelSn string
	StatusCode          int
	Reason              string
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("device %s rejected INVITE for %s: %d %s", e.DeviceSn, e.ChannelSn, e.StatusCode, e.Reason)
}

// Unwrap makes errors.Is(err, ErrInviteRejected) true.
func (e *RejectedError) Unwrap() error { return ErrInviteRejected }

// InviteRequest asks a device to send one channel's stream.
type InviteRequest struct {
	DeviceSn  string // the registered device
	ChannelSn string // the channel (for an IPC, its own code; DeviceSn when empty)
	Kind      Kind
	// Start and End bound Playback and Download.
	Start, End time.Time
	// SSRC is the 10-digit y= to offer; one is made from the SIP domain when empty.
	SSRC      string
	Transport Transport
	// ReceiveIP and ReceivePort are where vionet receives (c= and m=). With TCPActive the
	// port is only informative (0 is fine).
	ReceiveIP   string
	ReceivePort int
	// StreamNumber: 0 main stream, 1 sub stream.
	StreamNumber int
	// Speed is the Download speed multiplier (a=downloadspeed), 1 when 0.
	Speed float64
}

// Call is an established media session with a device.
type Call struct {
	ID        string // SIP Call-ID
	DeviceSn  string
	ChannelSn string
	Kind      Kind
	Transport Transport
	// SSRC is the y= of the device's answer (the offered one when it had none); devices may
	// answer another SSRC than OfferedSSRC, and the stream then carries theirs.
	SSRC        string
	OfferedSSRC string
	// DeviceAddr is host:port from the answer's c= and m=: where vionet connects for
	// TCPActive.
	DeviceAddr string
	// Answer is the device's whole SDP answer.
	Answer *sdp.Session

	dialog *sipgo.DialogClientSession
	route  session // the device's registration when the call began: where in-dialog requests go
	target sip.Uri // remote target: the answer's Contact, or the INVITE's Request-URI
	done   chan struct{}
	once   sync.Once
	mu     sync.Mutex
	err    error
}

// Done is closed when the call ended: the device sent BYE, vionet sent one (Bye), the device
// went offline, or the server stopped.
func (c *Call) Done() <-chan struct{} { return c.done }

// Err is nil while the call is up and then says why it ended (ErrDeviceBye, ErrCallClosed,
// or ErrDeviceOffline with the reason).
func (c *Call) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *Call) end(err error) bool {
	ended := false
	c.once.Do(func() {
		c.mu.Lock()
		c.err = err
		c.mu.Unlock()
		close(c.done)
		ended = true
	})
	return ended
}

// calls are the active media sessions, by Call-ID.
type calls struct {
	mu     sync.Mutex
	m      map[string]*Call
	serial atomic.Int64 // SSRC serials
}

func newCalls() *calls { return &calls{m: map[string]*Call{}} }

func (cs *calls) put(c *Call) {
	cs.mu.Lock()
	cs.m[c.ID] = c
	cs.mu.Unlock()
}

func (cs *calls) get(id string) *Call {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.m[id]
}

func (cs *calls) take(id string) *Call {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c := cs.m[id]
	delete(cs.m, id)
	return c
}

// endDevice ends every call of a device (it went offline: no BYE can reach it).
func (cs *calls) endDevice(deviceSn string, err error) {
	cs.mu.Lock()
	var ended []*Call
	for id, c := range cs.m {
		if c.DeviceSn == deviceSn {
			delete(cs.m, id)
			ended = append(ended, c)
		}
	}
	cs.mu.Unlock()
	for _, c := range ended {
		c.end(err)
	}
}

// endAll ends every call (server shutdown).
func (cs *calls) endAll(err error) {
	cs.mu.Lock()
	all := cs.m
	cs.m = map[string]*Call{}
	cs.mu.Unlock()
	for _, c := range all {
		c.end(err)
	}
}

func (cs *calls) count() int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return len(cs.m)
}

// ActiveCalls is the number of media sessions up.
func (s *Server) ActiveCalls() int { return s.calls.count() }

// callsSink ends a device's calls whenever the driver reports it offline (keepalives
// stopped, registration expired, unregistered), whichever path reported it.
type callsSink struct {
	Sink
	calls *calls
}

func (k callsSink) DeviceOffline(ctx context.Context, deviceSn, reason string) error {
	k.calls.endDevice(deviceSn, fmt.Errorf("%w: %s", ErrDeviceOffline, reason))
	return k.Sink.DeviceOffline(ctx, deviceSn, reason)
}

// Invite starts a media session: it sends the INVITE with the SDP offer to the channel,
// waits for the device's final answer (provisional answers are noted, never needed), ACKs a
// 200 and returns the call. Waiting is bounded by ctx and Config.RequestTimeout; when the
// device sent a provisional answer before the deadline, the INVITE is CANCELled.
func (s *Server) Invite(ctx context.Context, r InviteRequest) (*Call, error) {
	if r.ChannelSn == "" {
		r.ChannelSn = r.DeviceSn
	}
	sess, ok := s.sessions.get(r.DeviceSn)
	if !ok || !sess.online {
		return nil, fmt.Errorf("%w: %s", ErrDeviceOffline, r.DeviceSn)
	}
	if r.SSRC == "" {
		r.SSRC = sdp.NewSSRC(r.Kind != Play, s.cfg.Domain, int(s.calls.serial.Add(1)))
	}
	offer, err := s.offer(r)
	if err != nil {
		return nil, fmt.Errorf("gb28181: INVITE %s: %w", r.ChannelSn, err)
	}
	req := s.inviteRequest(sess, r, offer.Marshal())
	client := s.clientFor(sess)
	ua := &sipgo.DialogUA{Client: client, ContactHDR: *s.contact(sess)}

	ctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
	defer cancel()
	dlg, err := ua.WriteInvite(ctx, req, sipgo.ClientRequestBuild)
	if err != nil {
		return nil, fmt.Errorf("gb28181: sending INVITE to %s: %w", r.DeviceSn, err)
	}

	// WaitAnswer runs on a context of its own: when ours ends it CANCELs the INVITE if the
	// device sent a provisional answer (RFC 3261 §9.1 allows CANCEL only then), and returns at
	// once otherwise. Either way Invite returns at the deadline; the CANCEL, or the ACK and BYE
	// of a 200 that crosses it, finish in the background.
	var provisional atomic.Bool
	wctx, wcancel := context.WithCancelCause(context.Background())
	stop := context.AfterFunc(ctx, func() {
		if provisional.Load() {
			wcancel(context.Cause(ctx))
		} else {
			wcancel(sipgo.WaitAnswerForceCancelErr)
		}
	})
	answered := make(chan error, 1)
	go func() {
		answered <- dlg.WaitAnswer(wctx, sipgo.AnswerOptions{OnResponse: func(res *sip.Response) error {
			if res.IsProvisional() {
				provisional.Store(true)
			}
			return nil
		}})
	}()
	select {
	case err = <-answered:
		stop()
		wcancel(nil)
	case <-ctx.Done():
		go func() {
			defer wcancel(nil)
			if <-answered == nil { // a 200 crossed the deadline: confirm and end the dialog
				c := s.newCall(r, sess, dlg, req, nil)
				if s.ack(c) == nil {
					_ = s.bye(c)
				}
			}
		}()
		return nil, s.inviteTimeout(ctx, r)
	}
	if err != nil {
		var rejected *sipgo.ErrDialogResponse
		switch {
		case errors.As(err, &rejected):
			return nil, &RejectedError{DeviceSn: r.DeviceSn, ChannelSn: r.ChannelSn,
				StatusCode: rejected.Res.StatusCode, Reason: rejected.Res.Reason}
		case errors.Is(err, sip.ErrTransactionTimeout):
			return nil, s.inviteTimeout(ctx, r)
		}
		return nil, fmt.Errorf("gb28181: INVITE to %s: %w", r.ChannelSn, err)
	}

	answer, perr := sdp.Parse(dlg.InviteResponse.Body())
	c := s.newCall(r, sess, dlg, req, answer)
	if perr == nil && answer.SSRC != "" {
		c.SSRC = answer.SSRC
	}
	if perr == nil {
		c.DeviceAddr = net.JoinHostPort(answer.IP, strconv.Itoa(answer.Port))
	}
	s.calls.put(c)
	if err := s.ack(c); err != nil {
		s.calls.take(c.ID)
		c.end(ErrCallClosed)
		return nil, fmt.Errorf("gb28181: ACK to %s: %w", r.ChannelSn, err)
	}
	if perr == nil {
		perr = answerProblem(r, answer)
	}
	if perr != nil {
		_ = s.Bye(context.Background(), c.ID)
		return nil, fmt.Errorf("%w from %s: %v", ErrBadAnswer, r.ChannelSn, perr)
	}
	if c.SSRC != c.OfferedSSRC {
		s.log.Warn("device answered another SSRC than offered", "deviceSn", r.DeviceSn, "channel", r.ChannelSn,
			"offered", c.OfferedSSRC, "answered", c.SSRC)
	}
	s.log.Info("media session up", "deviceSn", r.DeviceSn, "channel", r.ChannelSn, "kind", r.Kind, "callId", c.ID,
		"transport", r.Transport, "ssrc", c.SSRC, "deviceAddr", c.DeviceAddr)
	return c, nil
}

func (s *Server) inviteTimeout(ctx context.Context, r InviteRequest) error {
	if errors.Is(ctx.Err(), context.Canceled) {
		return fmt.Errorf("gb28181: INVITE to %s abandoned: %w", r.ChannelSn, ctx.Err())
	}
	return fmt.Errorf("%w: %s (channel %s)", ErrInviteTimeout, r.DeviceSn, r.ChannelSn)
}

// answerProblem says what makes an answer unusable for the transport asked for.
func answerProblem(r InviteRequest, a *sdp.Session) error {
	switch {
	case r.Transport != UDP && !a.TCP:
		return errors.New("TCP was offered and the answer is not TCP/RTP/AVP")
	case r.Transport == TCPActive && (net.ParseIP(a.IP) == nil || a.Port == 0):
		return fmt.Errorf("vionet connects (TCP active) but the answer names no address (c=%q, port %d)", a.IP, a.Port)
	}
	return nil
}

func (s *Server) offer(r InviteRequest) (*sdp.Session, error) {
	o := sdp.Offer{Name: r.Kind.String(), PlatformID: s.cfg.ServerID, ChannelID: r.ChannelSn,
		IP: r.ReceiveIP, Port: r.ReceivePort, SSRC: r.SSRC, StreamNumber: r.StreamNumber,
		Start: r.Start, End: r.End, DownloadSpeed: r.Speed}
	switch r.Transport {
	case UDP:
	case TCPPassive:
		o.TCP, o.Setup = true, sdp.SetupPassive
	case TCPActive:
		o.TCP, o.Setup = true, sdp.SetupActive
	default:
		return nil, fmt.Errorf("transport %v", r.Transport)
	}
	return o.Build()
}

// inviteRequest is the INVITE for r: Request-URI and To name the channel, Subject is
// "channel:SSRC,platform:0" (§9.2.2.1), the body the offer.
func (s *Server) inviteRequest(sess session, r InviteRequest, body []byte) *sip.Request {
	req := s.newRequest(sip.INVITE, sess, nil)
	req.Recipient.User = r.ChannelSn
	req.RemoveHeader("To")
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: r.ChannelSn, Host: s.cfg.Domain}, Params: sip.NewParams()})
	req.AppendHeader(s.contact(sess))
	req.AppendHeader(sip.NewHeader("Subject", r.ChannelSn+":"+r.SSRC+","+s.cfg.ServerID+":0"))
	req.AppendHeader(sip.NewHeader("Content-Type", "APPLICATION/SDP"))
	req.SetBody(body)
	return req
}

// contact is our Contact: where the device sends in-dialog requests (its BYE).
func (s *Server) contact(sess session) *sip.ContactHeader {
	host := s.viaHost(sess)
	if host == "" {
		host = hostOf(s.udpAddr)
		if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
			host = firstNonEmpty(sess.serverHost, s.cfg.AdvertiseHost, s.cfg.Domain)
		}
	}
	return &sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: s.cfg.ServerID, Host: host, Port: portOf(s.udpAddr)}}
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

func (s *Server) clientFor(sess session) *sipgo.Client {
	if sess.reg.Transport == "TCP" {
		return s.tcpClient
	}
	return s.udpClient
}

func (s *Server) newCall(r InviteRequest, sess session, dlg *sipgo.DialogClientSession, req *sip.Request, answer *sdp.Session) *Call {
	c := &Call{ID: req.CallID().Value(), DeviceSn: r.DeviceSn, ChannelSn: r.ChannelSn, Kind: r.Kind,
		Transport: r.Transport, SSRC: r.SSRC, OfferedSSRC: r.SSRC, Answer: answer,
		dialog: dlg, route: sess, target: req.Recipient, done: make(chan struct{})}
	if dlg.InviteResponse != nil {
		if ct := dlg.InviteResponse.Contact(); ct != nil {
			c.target = ct.Address
		}
	}
	return c
}

// inDialog builds an ACK, BYE or INFO of c's dialog; sipgo adds From, To, Call-ID and CSeq.
// It goes where the INVITE went — the device's registered address, from our UDP listening
// socket or on its TCP connection — whatever host the device's Contact names.
func (s *Server) inDialog(method sip.RequestMethod, c *Call) *sip.Request {
	req := sip.NewRequest(method, *c.target.Clone())
	req.SetTransport(c.route.reg.Transport)
	req.SetDestination(net.JoinHostPort(c.route.reg.IP, strconv.Itoa(c.route.reg.Port)))
	if c.route.reg.Transport != "TCP" {
		host, port, _ := net.SplitHostPort(s.udpAddr)
		p, _ := strconv.Atoi(port)
		req.Laddr = sip.Addr{IP: net.ParseIP(host), Port: p, Hostname: host}
	}
	if host := s.viaHost(c.route); host != "" {
		via := &sip.ViaHeader{ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: c.route.reg.Transport,
			Host: host, Port: portOf(s.udpAddr), Params: sip.NewParams()}
		via.Params.Add("branch", sip.GenerateBranchN(16))
		via.Params.Add("rport", "")
		req.AppendHeader(via)
	}
	req.AppendHeader(s.contact(c.route))
	return req
}

func (s *Server) ack(c *Call) error {
	return c.dialog.WriteAck(context.Background(), s.inDialog(sip.ACK, c))
}

// bye sends BYE in c's dialog and waits (at most the request timeout) for the answer; a
// device that no longer knows the call (481) has ended it too.
func (s *Server) bye(c *Call) error {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.RequestTimeout)
	defer cancel()
	err := c.dialog.WriteBye(ctx, s.inDialog(sip.BYE, c))
	var res *sipgo.ErrDialogResponse
	if errors.As(err, &res) && res.Res.StatusCode == sip.StatusCallTransactionDoesNotExists {
		return nil
	}
	return err
}

// Bye ends a call: BYE in its dialog, then Done closes whatever the device answered. It is
// idempotent: a call that already ended (either side) or an unknown Call-ID returns nil.
func (s *Server) Bye(ctx context.Context, callID string) error {
	c := s.calls.take(callID)
	if c == nil {
		return nil
	}
	c.end(ErrCallClosed)
	errc := make(chan error, 1)
	go func() { errc <- s.bye(c) }()
	select {
	case err := <-errc:
		if err != nil {
			return fmt.Errorf("gb28181: BYE to %s: %w", c.ChannelSn, err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("gb28181: BYE to %s: %w", c.ChannelSn, ctx.Err())
	}
}

// PlaybackControl sends a MANSRTSP body (§9.8.2: PLAY with Scale or Range, PAUSE, TEARDOWN)
// in an INFO of a Playback call and waits for the device's 2xx.
func (s *Server) PlaybackControl(ctx context.Context, callID, body string) error {
	c := s.calls.get(callID)
	if c == nil {
		return fmt.Errorf("%w: %s", ErrNoCall, callID)
	}
	req := s.inDialog(sip.INFO, c)
	req.AppendHeader(sip.NewHeader("Content-Type", "Application/MANSRTSP"))
	req.SetBody([]byte(body))
	ctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
	defer cancel()
	res, err := c.dialog.Do(ctx, req)
	if err != nil {
		return fmt.Errorf("%w: INFO to %s: %v", ErrNoAnswer, c.ChannelSn, err)
	}
	if !res.IsSuccess() {
		return fmt.Errorf("device %s refused playback control: %d %s", c.DeviceSn, res.StatusCode, res.Reason)
	}
	return nil
}

// onBye answers a device's BYE: a call it ends is closed (Done) with ErrDeviceBye. A BYE for
// no known call is still answered 200 (the device is done with it either way).
func (s *Server) onBye(req *sip.Request, tx sip.ServerTransaction) {
	id := ""
	if h := req.CallID(); h != nil {
		id = h.Value()
	}
	c := s.calls.take(id)
	if c == nil {
		s.respond(tx, req, 200, "OK")
		return
	}
	if err := c.dialog.ReadBye(req, tx); err != nil {
		s.log.Debug("answering BYE", "callId", id, "err", err)
	}
	c.end(ErrDeviceBye)
	s.log.Info("device ended media session", "deviceSn", c.DeviceSn, "channel", c.ChannelSn, "callId", id)
}
