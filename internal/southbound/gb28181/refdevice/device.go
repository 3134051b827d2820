package refdevice

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/vionet/vionet/internal/southbound/gb28181/manscdp"
)

// ContentType is the Content-Type of every MANSCDP body the device sends.
const ContentType = "Application/MANSCDP+xml"

// maxReceived bounds the in-memory log of received requests.
const maxReceived = 10000

// rebootDelay is how long a TeleBoot keeps the device quiet before it
// registers again.
const rebootDelay = time.Second

// ErrNotRunning is returned by operations that need a started device.
var ErrNotRunning = errors.New("refdevice: device is not running")

// Received is one request the device received from the platform.
type Received struct {
	At time.Time
	// Method is the SIP method (MESSAGE or SUBSCRIBE).
	Method string
	// Root, CmdType, SN and DeviceID come from the MANSCDP body (empty
	// when it did not decode).
	Root     string
	CmdType  string
	SN       int
	DeviceID string
	// PTZCmd is the PTZCmd element exactly as sent (DeviceControl only).
	PTZCmd string
	// Raw is the body exactly as it came off the wire (in its charset).
	Raw string
}

// Stats counts what a device did.
type Stats struct {
	Registrations    int64 // successful REGISTERs (including refreshes)
	RegisterFailures int64
	KeepalivesSent   int64 // keepalives answered 2xx
	KeepalivesFailed int64
	MessagesReceived int64 // MESSAGE and SUBSCRIBE requests from the platform
	AnswersSent      int64 // Response/Notify MESSAGEs answered 2xx
	AnswersFailed    int64
}

// Device is one simulated GB/T 28181 device. Create it with New, run it
// with Start, end it with Stop or StopSilently.
type Device struct {
	cfg      Config
	log      *slog.Logger
	channels []string
	heads    map[string]*head // by channel ID

	sn       atomic.Int64  // SN of device-originated messages
	msgCSeq  atomic.Uint32 // CSeq of MESSAGEs
	paused   atomic.Bool
	stats    statsCounters
	kick     chan struct{} // register now
	reboot   chan struct{} // TeleBoot
	kaChange chan struct{} // keepalive interval changed

	mu          sync.Mutex
	state       int // stateNew, stateRunning, stateStopped
	closing     bool
	registered  bool
	contactAddr string // host:port advertised in Contact
	callID      string
	fromTag     string
	regCSeq     uint32
	name        string
	expires     time.Duration
	kaInterval  time.Duration
	kaMisses    int
	recording   bool
	guard       bool
	received    []Received    // the last maxReceived
	recvTotal   int           // how many were ever logged
	recvSignal  chan struct{} // closed and replaced on every append

	media *mediaState // INVITE sessions and their streams (invite.go)

	ua      *sipgo.UserAgent
	srv     *sipgo.Server
	cli     *sipgo.Client
	udpConn net.PacketConn

	ctx      context.Context
	cancel   context.CancelFunc
	loopDone chan struct{}
	handlers sync.WaitGroup
	stopOnce sync.Once
	stopErr  error
}

type statsCounters struct {
	registrations, registerFailures, keepalivesSent, keepalivesFailed atomic.Int64
	messagesReceived, answersSent, answersFailed                      atomic.Int64
}

const (
	stateNew = iota
	stateRunning
	stateStopped
)

// New validates cfg, applies the defaults and returns a device that is
// not started yet.
func New(cfg Config) (*Device, error) {
	cfg.applyDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("refdevice: %w", err)
	}
	if _, err := manscdp.Encode(manscdp.NewKeepalive(0, cfg.DeviceID), cfg.Charset); err != nil {
		return nil, fmt.Errorf("refdevice: charset: %w", err)
	}
	channels := slices.Clone(cfg.ChannelCodes)
	if len(channels) == 0 {
		var err error
		if channels, err = ChannelIDs(cfg.DeviceID, cfg.Channels); err != nil {
			return nil, err
		}
	}
	d := &Device{
		cfg:        cfg,
		log:        cfg.Logger.With("device", cfg.DeviceID),
		channels:   channels,
		heads:      make(map[string]*head, len(channels)),
		kick:       make(chan struct{}, 1),
		reboot:     make(chan struct{}, 1),
		kaChange:   make(chan struct{}, 1),
		name:       cfg.Name,
		expires:    cfg.Expires.Truncate(time.Second),
		kaInterval: cfg.KeepaliveInterval,
		kaMisses:   cfg.KeepaliveMisses,
		recvSignal: make(chan struct{}),
		media:      newMediaState(),
	}
	for _, id := range channels {
		d.heads[id] = newHead(nil)
	}
	return d, nil
}

// ID returns the device ID.
func (d *Device) ID() string { return d.cfg.DeviceID }

// Config returns the device's configuration with the defaults applied.
func (d *Device) Config() Config { return d.cfg }

// ChannelIDs returns the device's channel codes (for an IPC, its own ID).
func (d *Device) ChannelIDs() []string { return slices.Clone(d.channels) }

// Registered reports whether the last REGISTER succeeded and the device
// has not unregistered since.
func (d *Device) Registered() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.registered
}

// LocalAddr returns the host:port the device advertises in its Contact
// (over TCP, the local end of its connection); "" before Start.
func (d *Device) LocalAddr() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.contactAddr
}

// Stats returns the device's counters.
func (d *Device) Stats() Stats {
	return Stats{
		Registrations:    d.stats.registrations.Load(),
		RegisterFailures: d.stats.registerFailures.Load(),
		KeepalivesSent:   d.stats.keepalivesSent.Load(),
		KeepalivesFailed: d.stats.keepalivesFailed.Load(),
		MessagesReceived: d.stats.messagesReceived.Load(),
		AnswersSent:      d.stats.answersSent.Load(),
		AnswersFailed:    d.stats.answersFailed.Load(),
	}
}

// Head returns the state of the simulated PTZ head of a channel (for an
// IPC, of the device ID).
func (d *Device) Head(channelID string) (HeadState, bool) {
	h := d.heads[channelID]
	if h == nil {
		return HeadState{}, false
	}
	return h.state(), true
}

// PauseKeepalives stops (true) or resumes (false) sending keepalives,
// leaving the registration alone, to simulate a device that goes silent.
func (d *Device) PauseKeepalives(pause bool) { d.paused.Store(pause) }

// Received returns a copy of the log of requests received from the
// platform, oldest first (the last 10000).
func (d *Device) Received() []Received {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.received)
}

// WaitReceived waits until a received request (already logged or
// arriving later) satisfies match, and returns the first such one.
func (d *Device) WaitReceived(ctx context.Context, match func(Received) bool) (Received, error) {
	next := 0 // absolute index of the next entry to look at
	for {
		d.mu.Lock()
		first := d.recvTotal - len(d.received)
		next = max(next, first)
		for ; next < d.recvTotal; next++ {
			if r := d.received[next-first]; match(r) {
				d.mu.Unlock()
				return r, nil
			}
		}
		signal := d.recvSignal
		d.mu.Unlock()
		select {
		case <-signal:
		case <-ctx.Done():
			return Received{}, ctx.Err()
		}
	}
}

func (d *Device) logReceived(r Received) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.received) >= maxReceived {
		d.received = slices.Delete(d.received, 0, len(d.received)-maxReceived+1)
	}
	d.received = append(d.received, r)
	d.recvTotal++
	close(d.recvSignal)
	d.recvSignal = make(chan struct{})
}

// Start binds the device's SIP user agent (a UDP socket on LocalIP, or a
// TCP connection to the platform), registers, and then keeps the
// registration fresh and sends keepalives until Stop or StopSilently.
// It returns once the first registration succeeded, or with its error,
// in which case the device is closed. ctx bounds only the start; the
// device runs until stopped.
func (d *Device) Start(ctx context.Context) error {
	d.mu.Lock()
	if d.state != stateNew {
		d.mu.Unlock()
		return errors.New("refdevice: Start called twice")
	}
	d.state = stateRunning
	d.callID = newCallID()
	d.fromTag = sip.GenerateTagN(16)
	d.mu.Unlock()

	d.ctx, d.cancel = context.WithCancel(context.Background())
	d.loopDone = make(chan struct{})
	if err := d.openTransport(ctx); err != nil {
		d.closeTransport()
		d.cancel()
		close(d.loopDone)
		d.setStopped()
		return err
	}
	granted, err := d.register(ctx, d.currentExpires())
	if err != nil {
		d.closeTransport()
		d.cancel()
		close(d.loopDone)
		d.setStopped()
		return err
	}
	go d.loop(granted)
	return nil
}

func (d *Device) setStopped() {
	d.mu.Lock()
	d.state = stateStopped
	d.closing = true
	d.mu.Unlock()
}

// Stop stops keepalives, unregisters (REGISTER with Expires: 0) and
// closes the device. It returns the unregistration's error, if any; later
// calls return the same.
func (d *Device) Stop() error { return d.stop(true) }

// StopSilently stops keepalives and closes the device without
// unregistering, as a device that loses power would: the platform must
// notice it through missed keepalives (or, over TCP, the closed
// connection).
func (d *Device) StopSilently() { _ = d.stop(false) }

func (d *Device) stop(unregister bool) error {
	d.stopOnce.Do(func() {
		d.mu.Lock()
		running := d.state == stateRunning
		d.state = stateStopped
		d.closing = true
		d.mu.Unlock()
		if !running || d.cancel == nil {
			return
		}
		d.cancel()
		<-d.loopDone
		if unregister && d.Registered() {
			ctx, cancel := context.WithTimeout(context.Background(), d.cfg.RequestTimeout)
			_, d.stopErr = d.register(ctx, 0)
			cancel()
		}
		d.mu.Lock()
		d.registered = false
		d.mu.Unlock()
		d.closeTransport()
		d.handlers.Wait()
	})
	return d.stopErr
}

func (d *Device) openTransport(ctx context.Context) error {
	tpLog := d.log.With("component", "sipgo")
	ua, err := sipgo.NewUA(
		sipgo.WithUserAgent(d.cfg.UserAgent),
		sipgo.WithUserAgentHostname(d.cfg.LocalIP),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(tpLog)),
		sipgo.WithUserAgentTransactionLayerOptions(
			sip.WithTransactionLayerLogger(tpLog),
			sip.WithTransactionLayerUnhandledResponseHandler(func(r *sip.Response) {
				tpLog.Debug("unmatched response (retransmission?)", "response", r.StartLine())
			}),
		),
	)
	if err != nil {
		return fmt.Errorf("refdevice: user agent: %w", err)
	}
	d.ua = ua
	// One user agent serves both directions: the server handle receives the
	// platform's requests from the same transport layer (UDP socket or TCP
	// connection) that the client handle sends on.
	d.srv, err = sipgo.NewServer(ua, sipgo.WithServerLogger(tpLog))
	if err != nil {
		return fmt.Errorf("refdevice: server: %w", err)
	}
	d.srv.OnMessage(d.onMessage)
	d.srv.OnSubscribe(d.onSubscribe)
	d.srv.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
		d.respond(req, tx, sip.StatusOK, "OK")
	})
	d.srv.OnInvite(d.onInvite)
	d.srv.OnAck(d.onAck)
	d.srv.OnBye(d.onBye)
	d.srv.OnInfo(d.onInfo)

	switch d.cfg.Transport {
	case TransportUDP:
		pc, err := net.ListenPacket("udp", net.JoinHostPort(d.cfg.LocalIP, strconv.Itoa(d.cfg.LocalPort)))
		if err != nil {
			return fmt.Errorf("refdevice: listen udp: %w", err)
		}
		d.udpConn = pc
		laddr := pc.LocalAddr().String()
		go func() { _ = d.srv.ServeUDP(pc) }()
		// ServeUDP puts the socket in the pool asynchronously; wait for it
		// so the first REGISTER leaves from this socket, not a new one.
		if err := waitFor(ctx, func() bool {
			c, err := ua.TransportLayer().GetConnection("udp", laddr)
			if err != nil {
				return false
			}
			_, _ = c.TryClose()
			return true
		}); err != nil {
			return fmt.Errorf("refdevice: udp socket: %w", err)
		}
		// Pinning the connection address makes every request leave from
		// the listening socket, so the platform sees one address (Via,
		// Contact and source port agree) and can send requests back to it.
		d.cli, err = sipgo.NewClient(ua, sipgo.WithClientLogger(tpLog),
			sipgo.WithClientConnectionAddr(laddr), sipgo.WithClientNAT())
		if err != nil {
			return fmt.Errorf("refdevice: client: %w", err)
		}
		d.mu.Lock()
		d.contactAddr = laddr
		d.mu.Unlock()
	case TransportTCP:
		// Port 0: bind the local IP only; sipgo dials once and reuses the
		// connection for every request to the platform (connection reuse is
		// keyed by the remote address), and serves requests arriving on it.
		d.cli, err = sipgo.NewClient(ua, sipgo.WithClientLogger(tpLog),
			sipgo.WithClientConnectionAddr(net.JoinHostPort(d.cfg.LocalIP, "0")))
		if err != nil {
			return fmt.Errorf("refdevice: client: %w", err)
		}
		addr, err := d.tcpLocalAddr(ctx)
		if err != nil {
			return err
		}
		d.mu.Lock()
		d.contactAddr = addr
		d.mu.Unlock()
	}
	return nil
}

// tcpLocalAddr returns the local address of the TCP connection to the
// platform, dialling it if there is none (first start, or the platform
// closed it).
func (d *Device) tcpLocalAddr(ctx context.Context) (string, error) {
	probe := sip.NewRequest(sip.OPTIONS, d.serverURI())
	probe.SetTransport("TCP")
	probe.SetDestination(d.cfg.ServerAddr)
	probe.Laddr = sip.Addr{IP: net.ParseIP(d.cfg.LocalIP), Hostname: d.cfg.LocalIP}
	probe.AppendHeader(&sip.ViaHeader{ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: "TCP", Params: sip.NewParams()})
	conn, err := d.ua.TransportLayer().ClientRequestConnection(ctx, probe)
	if err != nil {
		return "", fmt.Errorf("refdevice: connect tcp %s: %w", d.cfg.ServerAddr, err)
	}
	addr := conn.LocalAddr().String()
	_, _ = conn.TryClose() // drop the reference ClientRequestConnection took
	return addr, nil
}

func (d *Device) closeTransport() {
	if d.udpConn != nil {
		// sipgo does not close sockets handed to ServeUDP.
		_ = d.udpConn.Close()
	}
	if d.ua != nil {
		_ = d.ua.Close()
	}
}

func waitFor(ctx context.Context, cond func() bool) error {
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	deadline := time.After(5 * time.Second)
	for !cond() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline:
			return errors.New("timed out")
		case <-t.C:
		}
	}
	return nil
}

func (d *Device) currentExpires() time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.expires
}

func (d *Device) keepalive() (time.Duration, int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.kaInterval, d.kaMisses
}

func (d *Device) serverURI() sip.Uri {
	return sip.Uri{Scheme: "sip", User: d.cfg.ServerID, Host: d.cfg.ServerDomain}
}

func (d *Device) deviceURI() sip.Uri {
	return sip.Uri{Scheme: "sip", User: d.cfg.DeviceID, Host: d.cfg.ServerDomain}
}

func newCallID() string {
	return sip.GenerateTagN(24)
}

// newRequest builds a request to the platform with the headers a GB/T
// 28181 device sends; Via is added by sipgo when sent.
func (d *Device) newRequest(method sip.RequestMethod, to sip.Uri, callID, fromTag string, cseq uint32) *sip.Request {
	req := sip.NewRequest(method, d.serverURI())
	from := &sip.FromHeader{Address: d.deviceURI(), Params: sip.NewParams()}
	from.Params.Add("tag", fromTag)
	cid := sip.CallIDHeader(callID)
	mf := sip.MaxForwardsHeader(70)
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: to, Params: sip.NewParams()})
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: cseq, MethodName: method})
	req.AppendHeader(&mf)
	req.AppendHeader(sip.NewHeader("User-Agent", d.cfg.UserAgent))
	if d.cfg.Version == Version2022 {
		req.AppendHeader(sip.NewHeader("X-GB-Ver", "3.0"))
	}
	req.SetTransport(strings.ToUpper(d.cfg.Transport))
	req.SetDestination(d.cfg.ServerAddr)
	return req
}

// do sends req and returns the final response, answering one digest
// challenge (401 or 407, with or without qop=auth) with the device's
// credentials. The whole exchange is bounded by RequestTimeout.
func (d *Device) do(ctx context.Context, req *sip.Request) (*sip.Response, error) {
	ctx, cancel := context.WithTimeout(ctx, d.cfg.RequestTimeout)
	defer cancel()
	res, err := d.cli.Do(ctx, req)
	if err != nil {
		return nil, err
	}
	if res.StatusCode == sip.StatusUnauthorized || res.StatusCode == sip.StatusProxyAuthRequired {
		// DoDigestAuth computes the response for uri = the Request-URI
		// (sip:ServerID@ServerDomain), bumps CSeq and sends a new Via branch.
		res, err = d.cli.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: d.cfg.Username, Password: d.cfg.Password})
		if err != nil {
			return nil, err
		}
	}
	return res, nil
}

// register sends REGISTER with expires (0 unregisters) and returns the
// period the platform granted.
func (d *Device) register(ctx context.Context, expires time.Duration) (time.Duration, error) {
	if d.cfg.Transport == TransportTCP {
		addr, err := d.tcpLocalAddr(ctx)
		if err != nil {
			d.stats.registerFailures.Add(1)
			return 0, err
		}
		d.mu.Lock()
		d.contactAddr = addr
		d.mu.Unlock()
	}
	secs := int(expires / time.Second)
	for attempt := 0; ; attempt++ {
		d.mu.Lock()
		d.regCSeq++
		cseq, callID, tag, contactAddr := d.regCSeq, d.callID, d.fromTag, d.contactAddr
		d.mu.Unlock()

		req := d.newRequest(sip.REGISTER, d.deviceURI(), callID, tag, cseq)
		host, port, _ := sip.ParseAddr(contactAddr)
		req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: d.cfg.DeviceID, Host: host, Port: port}})
		exp := sip.ExpiresHeader(secs)
		req.AppendHeader(&exp)
		req.SetBody(nil)

		res, err := d.do(ctx, req)
		if c := req.CSeq(); c != nil {
			d.mu.Lock()
			d.regCSeq = max(d.regCSeq, c.SeqNo)
			d.mu.Unlock()
		}
		if err != nil {
			d.stats.registerFailures.Add(1)
			return 0, fmt.Errorf("refdevice: register %s: %w", d.cfg.DeviceID, err)
		}
		if res.StatusCode == sip.StatusIntervalToBrief && attempt == 0 && secs > 0 {
			if h := res.GetHeader("Min-Expires"); h != nil {
				if n, err := strconv.Atoi(strings.TrimSpace(h.Value())); err == nil && n > secs {
					d.log.Info("platform wants a longer registration", "min_expires", n)
					secs = n
					d.mu.Lock()
					d.expires = time.Duration(n) * time.Second
					d.mu.Unlock()
					continue
				}
			}
		}
		if !res.IsSuccess() {
			d.stats.registerFailures.Add(1)
			return 0, fmt.Errorf("refdevice: register %s: %d %s", d.cfg.DeviceID, res.StatusCode, res.Reason)
		}
		granted := time.Duration(secs) * time.Second
		if h := res.GetHeader("Expires"); h != nil {
			if n, err := strconv.Atoi(strings.TrimSpace(h.Value())); err == nil && n >= 0 {
				granted = time.Duration(n) * time.Second
			}
		}
		if secs == 0 {
			d.mu.Lock()
			d.registered = false
			d.mu.Unlock()
			d.log.Info("unregistered")
			return 0, nil
		}
		date := ""
		if h := res.GetHeader("Date"); h != nil {
			date = h.Value()
		}
		d.mu.Lock()
		d.registered = true
		d.mu.Unlock()
		d.stats.registrations.Add(1)
		d.log.Info("registered", "server", d.cfg.ServerAddr, "transport", d.cfg.Transport,
			"contact", contactAddr, "expires", int(granted/time.Second), "server_date", date)
		return granted, nil
	}
}

func refreshAfter(granted time.Duration) time.Duration {
	if granted <= 0 {
		return time.Second
	}
	return granted * 3 / 4
}

func retryAfter(failures int) time.Duration {
	d := time.Second << min(failures, 5)
	return min(d, 30*time.Second)
}

// loop keeps the registration fresh and sends keepalives. Everything the
// device sends on its own runs here, one request at a time.
func (d *Device) loop(granted time.Duration) {
	defer close(d.loopDone)
	ctx := d.ctx
	refresh := time.NewTimer(refreshAfter(granted))
	defer refresh.Stop()
	interval, _ := d.keepalive()
	ka := time.NewTicker(interval)
	defer ka.Stop()
	failures, misses := 0, 0

	reregister := func() {
		g, err := d.register(ctx, d.currentExpires())
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			d.mu.Lock()
			d.registered = false
			d.mu.Unlock()
			failures++
			d.log.Warn("registration failed", "error", err, "retry_in", retryAfter(failures))
			refresh.Reset(retryAfter(failures))
			return
		}
		failures, misses = 0, 0
		refresh.Reset(refreshAfter(g))
	}

	for {
		select {
		case <-ctx.Done():
			return
		case <-refresh.C:
			reregister()
		case <-d.kick:
			reregister()
		case <-d.reboot:
			d.mu.Lock()
			d.registered = false
			d.callID = newCallID()
			d.fromTag = sip.GenerateTagN(16)
			d.mu.Unlock()
			d.log.Info("rebooting (TeleBoot)")
			select {
			case <-ctx.Done():
				return
			case <-time.After(rebootDelay):
			}
			reregister()
		case <-d.kaChange:
			interval, _ = d.keepalive()
			ka.Reset(interval)
		case <-ka.C:
			if d.paused.Load() || !d.Registered() {
				continue
			}
			if d.cfg.Transport == TransportTCP {
				// A platform restart closes the connection; the next request
				// dials a new one from another port, so register it first.
				addr, err := d.tcpLocalAddr(ctx)
				if err == nil && addr != d.LocalAddr() {
					d.log.Info("tcp connection replaced, registering again", "local", addr)
					reregister()
					continue
				}
			}
			status, err := d.sendKeepalive(ctx)
			_, maxMisses := d.keepalive()
			switch {
			case err == nil && status < 300:
				misses = 0
			case err == nil && status >= 400 && status < 500:
				// The platform no longer knows the device (e.g. it restarted).
				d.log.Warn("keepalive refused, registering again", "status", status)
				reregister()
			default:
				if ctx.Err() != nil {
					return
				}
				misses++
				d.log.Warn("keepalive failed", "status", status, "error", err, "misses", misses)
				if misses >= maxMisses {
					misses = 0
					reregister()
				}
			}
		}
	}
}

func (d *Device) sendKeepalive(ctx context.Context) (int, error) {
	body, err := manscdp.Encode(manscdp.NewKeepalive(d.nextSN(), d.cfg.DeviceID), d.cfg.Charset)
	if err != nil {
		return 0, err
	}
	res, err := d.sendBody(ctx, body)
	if err != nil || !res.IsSuccess() {
		d.stats.keepalivesFailed.Add(1)
		if err != nil {
			return 0, err
		}
		return res.StatusCode, nil
	}
	d.stats.keepalivesSent.Add(1)
	return res.StatusCode, nil
}

func (d *Device) nextSN() int { return int(d.sn.Add(1)) }

// sendBody sends a MANSCDP body to the platform in a MESSAGE of its own
// dialog-less transaction and returns the final response.
func (d *Device) sendBody(ctx context.Context, body []byte) (*sip.Response, error) {
	req := d.newRequest(sip.MESSAGE, d.serverURI(), newCallID(), sip.GenerateTagN(16), d.msgCSeq.Add(1))
	ct := sip.ContentTypeHeader(ContentType)
	req.AppendHeader(&ct)
	req.SetBody(body)
	return d.do(ctx, req)
}

// send encodes v in the device's charset and sends it, failing unless the
// platform answers 2xx.
func (d *Device) send(ctx context.Context, v any) error {
	body, err := manscdp.Encode(v, d.cfg.Charset)
	if err != nil {
		return err
	}
	return d.sendEncoded(ctx, body)
}

func (d *Device) sendEncoded(ctx context.Context, body []byte) error {
	res, err := d.sendBody(ctx, body)
	if err == nil && !res.IsSuccess() {
		err = fmt.Errorf("platform answered %d %s", res.StatusCode, res.Reason)
	}
	if err != nil {
		d.stats.answersFailed.Add(1)
		return err
	}
	d.stats.answersSent.Add(1)
	return nil
}

// udpBodyBudget is the largest body that fits in the 1300 bytes sipgo
// sends over UDP (UDPMTUSize-200) next to the MESSAGE headers.
func (d *Device) udpBodyBudget() int {
	const headers = 480 // request line, Via, From, To, Call-ID, CSeq, … with room to spare
	return sip.UDPMTUSize - 200 - headers - len(d.cfg.UserAgent)
}

// sendPaged sends items in pages of at most pageSize (fewer over UDP when
// a page would not fit a datagram), each page built by build, in order,
// each waiting for the platform's 2xx. No items still send one (empty)
// page.
func sendPaged[T any](ctx context.Context, d *Device, items []T, pageSize int, build func(page []T) any) error {
	if len(items) == 0 {
		return d.send(ctx, build(nil))
	}
	for i := 0; i < len(items); {
		n := min(pageSize, len(items)-i)
		for {
			body, err := manscdp.Encode(build(items[i:i+n]), d.cfg.Charset)
			if err != nil {
				return err
			}
			if n > 1 && d.cfg.Transport == TransportUDP && len(body) > d.udpBodyBudget() {
				n--
				continue
			}
			if err := d.sendEncoded(ctx, body); err != nil {
				return err
			}
			break
		}
		i += n
	}
	return nil
}

// RaiseAlarm sends a Notify Alarm for channelID (the device when "") with
// the given priority (1–4), method (1–7), type (0: no Info/AlarmType) and
// description, and waits for the platform's 2xx. The platform's Response
// Alarm, if it sends one, is answered 200 and logged in Received.
func (d *Device) RaiseAlarm(priority, method int, alarmType int, description, channelID string) error {
	d.mu.Lock()
	running := d.state == stateRunning
	d.mu.Unlock()
	if !running {
		return ErrNotRunning
	}
	if channelID == "" {
		channelID = d.cfg.DeviceID
	}
	n := &manscdp.AlarmNotify{
		CmdType:          manscdp.CmdAlarm,
		SN:               d.nextSN(),
		DeviceID:         channelID,
		AlarmPriority:    strconv.Itoa(priority),
		AlarmMethod:      strconv.Itoa(method),
		AlarmTime:        manscdp.FormatTime(time.Now(), nil),
		AlarmDescription: description,
	}
	if alarmType > 0 {
		n.Info = &manscdp.AlarmInfo{AlarmType: alarmType}
	}
	if err := d.send(d.ctx, n); err != nil {
		return fmt.Errorf("refdevice: alarm: %w", err)
	}
	return nil
}
