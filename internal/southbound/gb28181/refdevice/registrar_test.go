package refdevice

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"github.com/vionet/vionet/internal/southbound/gb28181/manscdp"
)

const (
	testServerID = "34020000002000000001"
	testDomain   = "3402000000"
)

func TestMain(m *testing.M) {
	// sipgo logs connection reference counting through its package logger
	// ("TCP ref went negative" whenever a TCP connection is closed).
	sip.SetDefaultLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	os.Exit(m.Run())
}

func testLogger() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// regEvent is one REGISTER the registrar saw.
type regEvent struct {
	DeviceID   string
	Source     string
	Contact    string
	Expires    int
	Authorized bool // carried valid credentials
	GBVer      string
	CallID     string
}

// rxMessage is one MESSAGE the registrar received.
type rxMessage struct {
	Source string
	Raw    []byte
	Msg    *manscdp.Message
}

type registration struct {
	source  string
	contact string
}

// registrar is a minimal GB/T 28181 platform for the tests: a digest
// registrar (401 with or without qop=auth, then 200 with a Date header)
// that logs REGISTERs and MESSAGEs and can send MESSAGEs back to a device
// through the address or TCP connection it registered from.
type registrar struct {
	t         *testing.T
	transport string
	qop       bool
	password  func(deviceID string) string
	addr      string
	ua        *sipgo.UserAgent
	cli       *sipgo.Client

	mu        sync.Mutex
	nonces    map[string]bool
	regs      map[string]registration
	registers []regEvent
	messages  []rxMessage
	signal    chan struct{}
	kaStatus  int // status for keepalives; 0 means 200
	sn        int
}

func newRegistrar(t *testing.T, transport string, qop bool, password func(string) string) *registrar {
	t.Helper()
	log := testLogger()
	ua, err := sipgo.NewUA(sipgo.WithUserAgent("test-registrar"),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerLogger(log)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(log)))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	cli, err := sipgo.NewClient(ua, sipgo.WithClientLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	r := &registrar{t: t, transport: transport, qop: qop, password: password, ua: ua, cli: cli,
		nonces: map[string]bool{}, regs: map[string]registration{}, signal: make(chan struct{})}
	srv.OnRegister(r.onRegister)
	srv.OnMessage(r.onMessage)

	var closer io.Closer
	switch transport {
	case TransportUDP:
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		closer, r.addr = pc, pc.LocalAddr().String()
		go func() { _ = srv.ServeUDP(pc) }()
	case TransportTCP:
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		closer, r.addr = l, l.Addr().String()
		go func() { _ = srv.ServeTCP(l) }()
	default:
		t.Fatalf("transport %q", transport)
	}
	t.Cleanup(func() {
		_ = closer.Close()
		_ = ua.Close()
	})
	return r
}

func (r *registrar) notify() {
	close(r.signal)
	r.signal = make(chan struct{})
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (r *registrar) onRegister(req *sip.Request, tx sip.ServerTransaction) {
	id := req.From().Address.User
	ev := regEvent{DeviceID: id, Source: req.Source(), CallID: req.CallID().Value()}
	if c := req.Contact(); c != nil {
		ev.Contact = c.Address.HostPort()
	}
	if h := req.GetHeader("Expires"); h != nil {
		ev.Expires, _ = strconv.Atoi(h.Value())
	}
	if h := req.GetHeader("X-GB-Ver"); h != nil {
		ev.GBVer = h.Value()
	}
	auth := req.GetHeader("Authorization")
	if auth != nil {
		ev.Authorized = r.verify(auth.Value(), req)
	}
	r.mu.Lock()
	r.registers = append(r.registers, ev)
	r.notify()
	r.mu.Unlock()

	if !ev.Authorized {
		nonce := randHex(16)
		r.mu.Lock()
		r.nonces[nonce] = true
		r.mu.Unlock()
		chal := digest.Challenge{Realm: testDomain, Nonce: nonce, Algorithm: "MD5"}
		if r.qop {
			chal.QOP = []string{"auth"}
		}
		res := sip.NewResponseFromRequest(req, sip.StatusUnauthorized, "Unauthorized", nil)
		res.AppendHeader(sip.NewHeader("WWW-Authenticate", chal.String()))
		_ = tx.Respond(res)
		return
	}
	r.mu.Lock()
	if ev.Expires == 0 {
		delete(r.regs, id)
	} else {
		r.regs[id] = registration{source: req.Source(), contact: ev.Contact}
	}
	r.mu.Unlock()
	res := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil)
	res.AppendHeader(sip.NewHeader("Date", time.Now().Format("2006-01-02T15:04:05.000")))
	exp := sip.ExpiresHeader(ev.Expires)
	res.AppendHeader(&exp)
	_ = tx.Respond(res)
}

// verify checks digest credentials against the device's password, a nonce
// this registrar issued, the expected qop and the Request-URI.
func (r *registrar) verify(value string, req *sip.Request) bool {
	cred, err := digest.ParseCredentials(value)
	if err != nil {
		r.t.Errorf("bad Authorization %q: %v", value, err)
		return false
	}
	r.mu.Lock()
	issued := r.nonces[cred.Nonce]
	r.mu.Unlock()
	if !issued {
		return false
	}
	if want := "sip:" + testServerID + "@" + testDomain; cred.URI != want {
		r.t.Errorf("digest uri %q, want %q", cred.URI, want)
	}
	if r.qop != (cred.QOP == "auth") {
		r.t.Errorf("digest qop %q with qop challenge %v", cred.QOP, r.qop)
	}
	chal := &digest.Challenge{Realm: testDomain, Nonce: cred.Nonce, Algorithm: "MD5"}
	if r.qop {
		chal.QOP = []string{"auth"}
	}
	want, err := digest.Digest(chal, digest.Options{Method: string(req.Method), URI: cred.URI,
		Username: cred.Username, Password: r.password(cred.Username), Cnonce: cred.Cnonce, Count: cred.Nc})
	if err != nil {
		r.t.Errorf("digest: %v", err)
		return false
	}
	return want.Response == cred.Response
}

func (r *registrar) onMessage(req *sip.Request, tx sip.ServerTransaction) {
	raw := append([]byte(nil), req.Body()...)
	msg, err := manscdp.Decode(raw)
	if err != nil {
		r.t.Errorf("undecodable MESSAGE from device: %v\n%s", err, raw)
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusBadRequest, "Bad Request", nil))
		return
	}
	if ct := req.ContentType(); ct == nil || ct.Value() != ContentType {
		r.t.Errorf("MESSAGE Content-Type %v", ct)
	}
	r.mu.Lock()
	r.messages = append(r.messages, rxMessage{Source: req.Source(), Raw: raw, Msg: msg})
	r.notify()
	status := sip.StatusOK
	if msg.CmdType == manscdp.CmdKeepalive && r.kaStatus != 0 {
		status = r.kaStatus
	}
	r.mu.Unlock()
	_ = tx.Respond(sip.NewResponseFromRequest(req, status, "Whatever", nil))
	if msg.Root == manscdp.RootNotify && msg.CmdType == manscdp.CmdAlarm {
		// Acknowledge the alarm with a Response Alarm, as platforms do.
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			if err := r.send(ctx, req.From().Address.User, manscdp.NewAlarmResponse(msg.SN, msg.DeviceID), manscdp.CharsetGB2312); err != nil {
				r.t.Logf("alarm response: %v", err)
			}
		}()
	}
}

func (r *registrar) setKeepaliveStatus(code int) {
	r.mu.Lock()
	r.kaStatus = code
	r.mu.Unlock()
}

func (r *registrar) nextSN() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sn++
	return r.sn
}

// send sends v to a registered device through the address (UDP) or
// connection (TCP) it registered from and waits for its 200.
func (r *registrar) send(ctx context.Context, deviceID string, v any, charset string) error {
	body, err := manscdp.Encode(v, charset)
	if err != nil {
		return err
	}
	res, err := r.request(ctx, sip.MESSAGE, deviceID, body)
	if err != nil {
		return err
	}
	if res.StatusCode != sip.StatusOK {
		return fmt.Errorf("device answered %d", res.StatusCode)
	}
	return nil
}

// request sends a request with a MANSCDP body and extra headers to a
// registered device and returns its final response.
func (r *registrar) request(ctx context.Context, method sip.RequestMethod, deviceID string, body []byte, hdrs ...sip.Header) (*sip.Response, error) {
	r.mu.Lock()
	reg, ok := r.regs[deviceID]
	r.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("%s is not registered", deviceID)
	}
	req := sip.NewRequest(method, sip.Uri{Scheme: "sip", User: deviceID, Host: testDomain})
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: testServerID, Host: testDomain}, Params: sip.NewParams()}
	from.Params.Add("tag", randHex(8))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: deviceID, Host: testDomain}})
	ct := sip.ContentTypeHeader(ContentType)
	req.AppendHeader(&ct)
	req.SetBody(body)
	req.SetTransport(strings.ToUpper(r.transport))
	req.SetDestination(reg.source)
	for _, h := range hdrs {
		req.AppendHeader(h)
	}
	return r.cli.Do(ctx, req)
}

// waitMessages waits until done holds for the messages received so far.
func (r *registrar) waitMessages(t *testing.T, what string, done func([]rxMessage) bool) []rxMessage {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		r.mu.Lock()
		msgs, signal := append([]rxMessage(nil), r.messages...), r.signal
		r.mu.Unlock()
		if done(msgs) {
			return msgs
		}
		select {
		case <-signal:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// waitRegisters waits until done holds for the REGISTERs seen so far.
func (r *registrar) waitRegisters(t *testing.T, what string, done func([]regEvent) bool) []regEvent {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		r.mu.Lock()
		regs, signal := append([]regEvent(nil), r.registers...), r.signal
		r.mu.Unlock()
		if done(regs) {
			return regs
		}
		select {
		case <-signal:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// answers returns the messages that are Response cmd with sn.
func answers(msgs []rxMessage, cmd string, sn int) []rxMessage {
	var out []rxMessage
	for _, m := range msgs {
		if m.Msg.Root == manscdp.RootResponse && m.Msg.CmdType == cmd && m.Msg.SN == sn {
			out = append(out, m)
		}
	}
	return out
}
