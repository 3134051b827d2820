// Package gb28181 is vionet's GB/T 28181 (2016 and 2022) southbound driver: a SIP server on
// UDP and TCP (sipgo) that registers devices with MD5 digest, tracks their liveness, and
// exchanges MANSCDP messages with them (catalog, device info, alarms, and the queries and
// controls the use cases ask for). Requests to a device go back through the address or TCP
// connection it registered from.
//
// The driver knows nothing of tenants or SQL: it reports what devices do to a Sink (the app)
// and answers the app's GB28181 port.
package gb28181

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vionet/vionet/internal/domain"
	"github.com/vionet/vionet/internal/southbound/gb28181/manscdp"
)

// Sink receives what devices do (implemented by the app).
type Sink interface {
	SIPPassword(ctx context.Context, deviceSn string) (string, error) // domain.ErrNotFound for unknown devices
	DeviceOnline(ctx context.Context, reg domain.Registration) error
	DeviceOffline(ctx context.Context, deviceSn, reason string) error
	ApplyCatalog(ctx context.Context, deviceSn string, items []domain.CatalogChannel) error
	ApplyDeviceInfo(ctx context.Context, deviceSn string, info domain.DeviceInfo) error
	DeviceAlarm(ctx context.Context, al domain.Alarm) error
	Registrations(ctx context.Context) ([]domain.Registration, error)
}

// Config is the SIP server's identity and timing.
type Config struct {
	Addr              string        // listen address for UDP and TCP (same port)
	ServerID          string        // 20-digit SIP server ID
	Domain            string        // 10-digit SIP domain
	Realm             string        // digest realm; the domain when empty
	KeepaliveInterval time.Duration // expected keepalive period (default 60s)
	KeepaliveMisses   int           // missed keepalives before offline (default 3)
	RequestTimeout    time.Duration // how long a query waits for the device's answer (default 10s)
	MinExpires        int           // shortest registration accepted, seconds (default 60)
	Location          *time.Location
	NonceKey          []byte // HMAC key for stateless digest nonces (random when empty)
	AdvertiseHost     string // our address as devices know it, for Via when listening on all interfaces
}

func (c *Config) defaults() {
	if c.KeepaliveInterval <= 0 {
		c.KeepaliveInterval = 60 * time.Second
	}
	if c.KeepaliveMisses <= 0 {
		c.KeepaliveMisses = 3
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 10 * time.Second
	}
	if c.MinExpires <= 0 {
		c.MinExpires = 60
	}
	if c.Realm == "" {
		c.Realm = c.Domain
	}
	if c.Location == nil {
		c.Location = time.Local
	}
}

// Server is the GB/T 28181 SIP server.
type Server struct {
	cfg  Config
	sink Sink
	log  *slog.Logger
	m    *metrics

	ua        *sipgo.UserAgent
	srv       *sipgo.Server
	udpClient *sipgo.Client // sends from the UDP listening socket
	tcpClient *sipgo.Client // reuses the device's TCP connection
	udpAddr   string
	tcpAddr   string

	nonces    *nonces
	sessions  *sessions
	waiters   *waiters
	learning  chan struct{} // semaphore of maxLearning
	passwords *passwords
	catalogs  *assemblies[manscdp.CatalogItem]
	records   *assemblies[manscdp.RecordItem]
	ptz       *ptzState
	calls     *calls // media sessions (invite.go)
	sn        atomic.Int64

	wg sync.WaitGroup
}

// New builds a server; Start listens.
func New(cfg Config, sink Sink, reg prometheus.Registerer, log *slog.Logger) (*Server, error) {
	cfg.defaults()
	calls := newCalls()
	s := &Server{
		cfg: cfg, sink: callsSink{Sink: sink, calls: calls}, calls: calls, log: log.With("component", "gb28181"), m: newMetrics(reg),
		nonces: newNonces(cfg.NonceKey), sessions: newSessions(), waiters: newWaiters(), learning: make(chan struct{}, maxLearning), passwords: newPasswords(), catalogs: newAssemblies[manscdp.CatalogItem](), records: newAssemblies[manscdp.RecordItem](),
		ptz: newPTZState(),
	}
	s.sn.Store(time.Now().Unix() % 100000)
	return s, nil
}

// Start listens on UDP and TCP, restores the registrations a previous run left, and runs
// until ctx is cancelled.
func (s *Server) Start(ctx context.Context) error {
	udp, tcp, err := listenPair(ctx, s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("gb28181: listen %s: %w", s.cfg.Addr, err)
	}
	ua, err := sipgo.NewUA(sipgo.WithUserAgent(s.cfg.ServerID), sipgo.WithUserAgentHostname(s.cfg.Domain),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerConnectionReuse(true),
			sip.WithTransportLayerReadFilter(s.readFilter(udp))))
	if err != nil {
		udp.Close()
		tcp.Close()
		return fmt.Errorf("gb28181: %w", err)
	}
	s.ua = ua
	if s.srv, err = sipgo.NewServer(ua, sipgo.WithServerLogger(s.log)); err != nil {
		return err
	}
	s.srv.OnRegister(s.onRegister)
	s.srv.OnMessage(s.onMessage)
	s.srv.OnNotify(s.onMessage)
	s.srv.OnBye(s.onBye)
	s.srv.OnAck(func(*sip.Request, sip.ServerTransaction) {}) // ACKs are never answered
	s.srv.OnNoRoute(func(req *sip.Request, tx sip.ServerTransaction) {
		s.respond(tx, req, 405, "Method Not Allowed")
	})

	s.udpAddr, s.tcpAddr = udp.LocalAddr().String(), tcp.Addr().String()
	if s.udpClient, err = sipgo.NewClient(ua, sipgo.WithClientConnectionAddr(s.udpAddr), sipgo.WithClientLogger(s.log)); err != nil {
		return err
	}
	if s.tcpClient, err = sipgo.NewClient(ua, sipgo.WithClientLogger(s.log)); err != nil {
		return err
	}
	// Sessions first: a keepalive arriving in the first instant must find its device.
	s.restore(ctx)
	if uc, ok := udp.(*net.UDPConn); ok {
		_ = uc.SetReadBuffer(udpReadBuffer) // absorb registration storms instead of dropping datagrams
	}
	s.wg.Add(2)
	go func() { defer s.wg.Done(); _ = s.srv.ServeUDP(udp) }()
	go func() { defer s.wg.Done(); _ = s.srv.ServeTCP(tcp) }()
	s.log.Info("sip listening", "udp", s.udpAddr, "tcp", s.tcpAddr, "serverId", s.cfg.ServerID)
	s.wg.Add(1)
	go func() { defer s.wg.Done(); s.watchLiveness(ctx) }()
	go func() {
		<-ctx.Done()
		s.calls.endAll(fmt.Errorf("%w: server stopped", ErrCallClosed))
		udp.Close()
		tcp.Close()
		ua.Close()
	}()
	return nil
}

// Wait blocks until the server's goroutines ended after its context was cancelled.
func (s *Server) Wait() { s.wg.Wait() }

// UDPAddr and TCPAddr are the bound listen addresses (useful with port 0).
func (s *Server) UDPAddr() string { return s.udpAddr }

// TCPAddr is the bound TCP listen address.
func (s *Server) TCPAddr() string { return s.tcpAddr }

// listenPair binds UDP and TCP on one port; with port 0 it retries until both get the same.
func listenPair(ctx context.Context, addr string) (net.PacketConn, net.Listener, error) {
	var lc net.ListenConfig
	for attempt := 0; ; attempt++ {
		udp, err := lc.ListenPacket(ctx, "udp", addr)
		if err != nil {
			return nil, nil, err
		}
		host, _, _ := net.SplitHostPort(addr)
		_, port, _ := net.SplitHostPort(udp.LocalAddr().String())
		tcp, err := lc.Listen(ctx, "tcp", net.JoinHostPort(host, port))
		if err == nil {
			return udp, tcp, nil
		}
		udp.Close()
		if _, p, _ := net.SplitHostPort(addr); p != "0" || attempt > 20 {
			return nil, nil, err
		}
	}
}

// restore re-creates sessions for registrations that had not expired when the previous run
// stopped, as if each device had just been seen: a device that keeps its keepalives going
// never shows a false offline/online flap, and one that is really gone goes offline after
// the usual keepalive window.
func (s *Server) restore(ctx context.Context) {
	regs, err := s.sink.Registrations(ctx)
	if err != nil {
		s.log.Error("restoring registrations", "err", err)
		return
	}
	now := time.Now()
	for _, r := range regs {
		s.sessions.put(&session{reg: r, lastSeen: now, online: true})
	}
	if len(regs) > 0 {
		s.log.Info("restored registrations", "count", len(regs))
	}
}

func (s *Server) nextSN() int { return int(s.sn.Add(1)) }

func (s *Server) respond(tx sip.ServerTransaction, req *sip.Request, code int, reason string, headers ...sip.Header) {
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	for _, h := range headers {
		res.AppendHeader(h)
	}
	if err := tx.Respond(res); err != nil {
		s.log.Debug("respond failed", "err", err, "code", code)
	}
}

// udpReadBuffer is the SIP socket's receive buffer (the kernel default of ~200 KiB drops
// datagrams within a second of a restart storm); the kernel caps it at net.core.rmem_max.
const udpReadBuffer = 4 << 20

// maxLearning bounds how many newly registered devices are queried (DeviceInfo, Catalog,
// subscriptions) at once, so a registration storm does not turn into a query storm.
const maxLearning = 64

// ErrOffline is returned for requests to a device that has no live session.
var ErrOffline = errors.New("device offline")

// ErrNoAnswer is returned when a device does not answer a query in time.
var ErrNoAnswer = errors.New("device did not answer")

func portOf(addr string) int {
	_, p, _ := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(p)
	return n
}
