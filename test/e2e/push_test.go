package e2e

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vionet/vionet/sdk"
)

// receiver is a tenant's push endpoint built with the SDK's PushHandler, which verifies
// every push's sign header.
type receiver struct {
	mu   sync.Mutex
	msgs []*sdk.PushMessage
	srv  *http.Server
	addr string
}

func newReceiver(t *testing.T, k tenantKeys, addr string) *receiver {
	t.Helper()
	r := &receiver{}
	h := sdk.PushHandler(func(appID string) (string, bool) { return k.SecretKey, appID == k.AppID },
		func(_ context.Context, m *sdk.PushMessage) error {
			r.mu.Lock()
			r.msgs = append(r.msgs, m)
			r.mu.Unlock()
			return nil
		})
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	r.addr = ln.Addr().String()
	r.srv = &http.Server{Handler: h}
	go r.srv.Serve(ln)
	t.Cleanup(func() { r.srv.Close() })
	return r
}

// reservePort returns a loopback address nobody listens on (yet).
func reservePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func (r *receiver) onlineMsgs(t *testing.T) []sdk.OnlineMsg {
	return pushData[sdk.OnlineMsg](t, r, sdk.MsgOnline)
}

// pushData decodes the data of every received push of one msgType.
func pushData[T any](t *testing.T, r *receiver, msgType int) []T {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []T
	for _, m := range r.msgs {
		if m.MsgType != msgType {
			continue
		}
		items, err := sdk.DecodePushData[T](m)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, items...)
	}
	return out
}

func (r *receiver) bindMsgs(t *testing.T) []sdk.BindMsg {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []sdk.BindMsg
	for _, m := range r.msgs {
		if m.MsgType != sdk.MsgBind {
			t.Errorf("unexpected msgType %d", m.MsgType)
			continue
		}
		items, err := sdk.DecodePushData[sdk.BindMsg](m)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, items...)
	}
	return out
}

func TestPushDeliveredAndSigned(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		s := startServer(t, e)
		k := s.addTenant()
		c := s.client(k)
		cx := ctx(t)
		rcv := newReceiver(t, k, "")
		if err := c.Subscribe(cx, "http://"+rcv.addr+"/vionet/push", sdk.MsgBind); err != nil {
			t.Fatal(err)
		}
		if err := c.Subscribe(cx, "ftp://x", sdk.MsgBind); !sdk.IsCode(err, "000003") {
			t.Errorf("ftp url: %v", err)
		}
		if err := c.Subscribe(cx, "http://x", 10); !sdk.IsCode(err, "000003") {
			t.Errorf("type 10: %v", err)
		}
		d, err := c.AddDevice(cx, sdk.AddDeviceRequest{Protocol: 1, DeviceType: 1})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.DeleteDevice(cx, sdk.DeleteDeviceRequest{DeleteType: 1, DeviceSn: d.DeviceSn}); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, "bind and unbind pushes", func() bool { return len(rcv.bindMsgs(t)) == 2 })
		msgs := rcv.bindMsgs(t)
		kinds := map[int]bool{}
		for _, m := range msgs {
			if m.DeviceSn != d.DeviceSn || len(m.DetectTime) != 13 {
				t.Errorf("push body %+v", m)
			}
			kinds[m.BindType] = true
		}
		if !kinds[1] || !kinds[0] {
			t.Errorf("want bindType 1 and 0, got %+v", msgs)
		}
		rcv.mu.Lock()
		if rcv.msgs[0].AppID != k.AppID {
			t.Errorf("push appId %q", rcv.msgs[0].AppID)
		}
		rcv.mu.Unlock()

		// After unsubscribing nothing more arrives.
		if err := c.Unsubscribe(cx, sdk.MsgBind); err != nil {
			t.Fatal(err)
		}
		if err := c.Unsubscribe(cx, sdk.MsgBind); !sdk.IsCode(err, "000008") {
			t.Errorf("unsubscribe twice: %v", err)
		}
		if _, err := c.AddDevice(cx, sdk.AddDeviceRequest{Protocol: 1, DeviceType: 1}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(1500 * time.Millisecond)
		if n := len(rcv.bindMsgs(t)); n != 2 {
			t.Errorf("push after unsubscribe: %d messages", n)
		}
	})
}

// The receiver is down for 30 s, then comes up: every push arrives.
func TestPushReceiverDownThenUp(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		s := startServer(t, e, "--push-retry-initial", "500ms", "--push-retry-max", "4s", "--push-poll", "200ms")
		k := s.addTenant()
		c := s.client(k)
		cx := ctx(t)
		addr := reservePort(t)
		if err := c.Subscribe(cx, "http://"+addr+"/push", sdk.MsgBind); err != nil {
			t.Fatal(err)
		}
		want := map[string]bool{}
		for range 5 {
			d, err := c.AddDevice(cx, sdk.AddDeviceRequest{Protocol: 1, DeviceType: 1})
			if err != nil {
				t.Fatal(err)
			}
			want[d.DeviceSn] = true
		}
		time.Sleep(30 * time.Second)
		rcv := newReceiver(t, k, addr)
		eventually(t, 15*time.Second, "5 pushes after the receiver came up", func() bool { return len(rcv.bindMsgs(t)) >= 5 })
		for _, m := range rcv.bindMsgs(t) {
			delete(want, m.DeviceSn)
		}
		if len(want) != 0 {
			t.Errorf("never pushed: %v", want)
		}
		metrics := s.metrics(t)
		if !containsLine(metrics, `vionet_push_attempts_total{outcome="retry"}`) {
			t.Errorf("no retries counted in /metrics")
		}
	})
}

// Pushes accepted before a kill -9 are delivered after the restart.
func TestPushSurvivesKill9(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		// A push in flight at the kill is leased for 3× --push-timeout before another attempt.
		s := startServer(t, e, "--push-retry-initial", "300ms", "--push-retry-max", "1s", "--push-poll", "200ms", "--push-timeout", "2s")
		k := s.addTenant()
		c := s.client(k)
		cx := ctx(t)
		addr := reservePort(t)
		if err := c.Subscribe(cx, "http://"+addr+"/push", sdk.MsgBind); err != nil {
			t.Fatal(err)
		}
		want := map[string]bool{}
		for range 4 {
			d, err := c.AddDevice(cx, sdk.AddDeviceRequest{Protocol: 1, DeviceType: 1})
			if err != nil {
				t.Fatal(err)
			}
			want[d.DeviceSn] = true
		}
		s.kill9()
		rcv := newReceiver(t, k, addr)
		time.Sleep(500 * time.Millisecond)
		if n := len(rcv.bindMsgs(t)); n != 0 {
			t.Fatalf("%d pushes arrived while vionet was down", n)
		}
		s.start()
		eventually(t, 15*time.Second, "pushes after restart", func() bool { return len(rcv.bindMsgs(t)) >= 4 })
		for _, m := range rcv.bindMsgs(t) {
			delete(want, m.DeviceSn)
		}
		if len(want) != 0 {
			t.Errorf("lost in the crash: %v", want)
		}
	})
}

func (s *server) metrics(t *testing.T) string {
	resp, err := http.Get(s.url() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func containsLine(text, prefix string) bool {
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}
