package gb28181

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"

	"github.com/emiago/sipgo/sip"

	"github.com/vionet/vionet/internal/southbound/gb28181/manscdp"
)

// waiterKey matches a device's answer to the query that asked for it (GB/T 28181 answers are
// separate MESSAGEs carrying the query's CmdType and SN).
type waiterKey struct {
	device, cmd string
	sn          int
}

// waiters hold the queries in flight. An answer is a *manscdp.Message, or for multi-part
// answers the completed *assembly.
type waiters struct {
	mu sync.Mutex
	m  map[waiterKey]chan any
}

func newWaiters() *waiters { return &waiters{m: map[waiterKey]chan any{}} }

// add registers a waiter; it must be called before the query is sent so the answer can
// never arrive unobserved.
func (w *waiters) add(k waiterKey) chan any {
	ch := make(chan any, 1)
	w.mu.Lock()
	w.m[k] = ch
	w.mu.Unlock()
	return ch
}

func (w *waiters) remove(k waiterKey) {
	w.mu.Lock()
	delete(w.m, k)
	w.mu.Unlock()
}

// deliver hands an answer to its waiter, if any; it reports whether one was waiting.
func (w *waiters) deliver(k waiterKey, m any) bool {
	w.mu.Lock()
	ch, ok := w.m[k]
	delete(w.m, k)
	w.mu.Unlock()
	if ok {
		ch <- m
	}
	return ok
}

// query sends a MANSCDP query or control and waits for the device's answer with the same
// CmdType and SN.
func (s *Server) query(ctx context.Context, id, cmd string, sn int, body any) (any, error) {
	k := waiterKey{id, cmd, sn}
	ch := s.waiters.add(k)
	defer s.waiters.remove(k)
	if err := s.send(ctx, id, body); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
	defer cancel()
	select {
	case m := <-ch:
		return m, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %s (SN %d)", ErrNoAnswer, cmd, sn)
	}
}

// send delivers a MANSCDP body to a registered device in a MESSAGE, through the address (UDP)
// or connection (TCP) it registered from, and waits for the SIP 200.
func (s *Server) send(ctx context.Context, id string, body any) error {
	sess, ok := s.sessions.get(id)
	if !ok || !sess.online {
		return fmt.Errorf("%w: %s", ErrOffline, id)
	}
	raw, err := manscdp.Encode(body, sess.reg.Charset)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	return s.do(ctx, sess, s.newRequest(sip.MESSAGE, sess, raw))
}

// do sends req to the session's device — from the UDP listening socket, or on the device's
// own TCP connection — and waits (at most the request timeout) for a 2xx.
func (s *Server) do(ctx context.Context, sess session, req *sip.Request) error {
	client := s.udpClient
	if sess.reg.Transport == "TCP" {
		client = s.tcpClient
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
	defer cancel()
	res, err := client.Do(ctx, req)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrNoAnswer, sess.reg.DeviceSn, err)
	}
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("device %s answered %d %s", sess.reg.DeviceSn, res.StatusCode, res.Reason)
	}
	return nil
}

// newRequest builds a request from the platform to a device's registered address.
func (s *Server) newRequest(method sip.RequestMethod, sess session, body []byte) *sip.Request {
	hostPort := net.JoinHostPort(sess.reg.IP, strconv.Itoa(sess.reg.Port))
	req := sip.NewRequest(method, sip.Uri{Scheme: "sip", User: sess.reg.DeviceSn, Host: sess.reg.IP, Port: sess.reg.Port})
	req.SetTransport(sess.reg.Transport)
	req.SetDestination(hostPort)
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: s.cfg.ServerID, Host: s.cfg.Domain}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: sess.reg.DeviceSn, Host: s.cfg.Domain}})
	if host := s.viaHost(sess); host != "" {
		via := &sip.ViaHeader{ProtocolName: "SIP", ProtocolVersion: "2.0", Transport: sess.reg.Transport,
			Host: host, Port: portOf(s.udpAddr), Params: sip.NewParams()}
		via.Params.Add("branch", sip.GenerateBranchN(16))
		via.Params.Add("rport", "")
		req.AppendHeader(via)
	}
	if body != nil {
		req.AppendHeader(sip.NewHeader("Content-Type", "Application/MANSCDP+xml"))
		req.SetBody(body)
	}
	return req
}

// viaHost is the sent-by host for a UDP request, where the device sends its answer. When the
// server listens on a specific address sipgo writes that address; when it listens on all
// interfaces ("::"), the answer must go to the address the device itself used to reach us
// (its REGISTER's Request-URI host), or to the advertised public host.
func (s *Server) viaHost(sess session) string {
	if sess.reg.Transport != "UDP" {
		return ""
	}
	if ip := net.ParseIP(hostOf(s.udpAddr)); ip == nil || !ip.IsUnspecified() {
		return ""
	}
	if sess.serverHost != "" {
		return sess.serverHost
	}
	return s.cfg.AdvertiseHost
}

func hostOf(addr string) string {
	h, _, _ := net.SplitHostPort(addr)
	return h
}

// QueryDeviceInfo asks a device for its manufacturer, model and firmware and records them.
func (s *Server) QueryDeviceInfo(ctx context.Context, id string) error {
	sn := s.nextSN()
	answer, err := s.query(ctx, id, "DeviceInfo", sn, manscdp.NewDeviceInfoQuery(sn, id))
	if err != nil {
		return err
	}
	m, ok := answer.(*manscdp.Message)
	if !ok {
		return fmt.Errorf("%w: DeviceInfo", ErrNoAnswer)
	}
	return s.applyDeviceInfo(ctx, id, m)
}

// QueryCatalog asks a device for its channels and returns once every part of the answer
// arrived and was applied.
func (s *Server) QueryCatalog(ctx context.Context, id string) error {
	sn := s.nextSN()
	_, err := s.query(ctx, id, "Catalog", sn, manscdp.NewCatalogQuery(sn, id))
	return err
}
