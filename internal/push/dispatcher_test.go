package push

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/vionet/vionet/sdk/signing"
)

const (
	testAppID  = "app-0001"
	testSecret = "s3cr3t-key"
)

func testSecrets(_ context.Context, appID string) (string, error) {
	if appID == testAppID {
		return testSecret, nil
	}
	return "", fmt.Errorf("%w: tenant %s not found", ErrUnknownTenant, appID)
}

func testConfig() Config {
	return Config{
		Workers:        4,
		Timeout:        time.Second,
		InitialBackoff: 10 * time.Millisecond,
		MaxBackoff:     40 * time.Millisecond,
		MaxAge:         time.Minute,
		PollInterval:   10 * time.Millisecond,
	}
}

func testBody(msgType int) []byte {
	return []byte(`{"appId":"` + testAppID + `","msgType":` + strconv.Itoa(msgType) + `,"data":[{"deviceSn":"SN1","onlineType":1,"detectTime":"1700000000000"}]}`)
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type harness struct {
	ob     *memOutbox
	d      *Dispatcher
	reg    *prometheus.Registry
	logs   *syncBuffer
	cancel context.CancelFunc
	done   chan error
}

// newHarness builds a Dispatcher over a fresh memOutbox and registry; call start to run it.
func newHarness(t *testing.T, cfg Config, client *http.Client) *harness {
	t.Helper()
	h := &harness{ob: newMemOutbox(), reg: prometheus.NewRegistry(), logs: &syncBuffer{}}
	log := slog.New(slog.NewTextHandler(io.MultiWriter(h.logs, t.Output()), &slog.HandlerOptions{Level: slog.LevelDebug}))
	h.d = New(cfg, h.ob, testSecrets, h.reg, log, client)
	return h
}

func (h *harness) start(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	h.cancel = cancel
	h.done = make(chan error, 1)
	go func() { h.done <- h.d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-h.done:
		case <-time.After(3 * time.Second):
			t.Error("Run did not return after cancel")
		}
	})
}

// metric returns a counter/gauge value, or a histogram's sample count, of the series of name
// with the given label pairs.
func (h *harness) metric(t *testing.T, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := h.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				if !hasLabel(m, labels[i], labels[i+1]) {
					continue next
				}
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue()
			case m.Gauge != nil:
				return m.Gauge.GetValue()
			case m.Histogram != nil:
				return float64(m.Histogram.GetSampleCount())
			}
		}
	}
	t.Fatalf("metric %s%v not registered", name, labels)
	return 0
}

func hasLabel(m *dto.Metric, name, value string) bool {
	for _, lp := range m.GetLabel() {
		if lp.GetName() == name && lp.GetValue() == value {
			return true
		}
	}
	return false
}

func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// receiver is a tenant callback endpoint that checks every push against 5.4.
type receiver struct {
	t      *testing.T
	mu     sync.Mutex
	hits   int
	bodies [][]byte
	status func(hit int) int // status to answer to the hit-th request (1-based); nil: 200
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t := rc.t
	body, err := io.ReadAll(r.Body)
	if err != nil {
		t.Errorf("read body: %v", err)
	}
	if r.Method != http.MethodPost {
		t.Errorf("method = %s, want POST", r.Method)
	}
	if got := r.Header.Get("Content-Type"); got != "application/json;charset=UTF-8" {
		t.Errorf("Content-Type = %q", got)
	}
	appID := r.Header.Get(signing.PushHeaderAppID)
	ts := r.Header.Get(signing.PushHeaderTimestamp)
	if appID != testAppID {
		t.Errorf("appId = %q, want %q", appID, testAppID)
	}
	if !regexp.MustCompile(`^\d{13}$`).MatchString(ts) {
		t.Errorf("timestamp = %q, want 13 digits", ts)
	} else if ms, _ := strconv.ParseInt(ts, 10, 64); time.Since(time.UnixMilli(ms)).Abs() > 5*time.Second {
		t.Errorf("timestamp %s is not now", ts)
	}
	if want := signing.Push(testSecret, appID, ts, body); !signing.Equal(r.Header.Get(signing.PushHeaderSign), want) {
		t.Errorf("sign = %q, want %q", r.Header.Get(signing.PushHeaderSign), want)
	}
	rc.mu.Lock()
	rc.hits++
	n := rc.hits
	rc.bodies = append(rc.bodies, body)
	rc.mu.Unlock()
	code := http.StatusOK
	if rc.status != nil {
		code = rc.status(n)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	io.WriteString(w, `{"code":0}`)
}

func (rc *receiver) hitCount() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.hits
}

func newReceiver(t *testing.T, status func(int) int) (*receiver, *httptest.Server) {
	rc := &receiver{t: t, status: status}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	return rc, srv
}

func TestDelivered(t *testing.T) {
	rc, srv := newReceiver(t, nil)
	h := newHarness(t, testConfig(), nil)
	body := testBody(2)
	id := h.ob.add(Delivery{AppID: testAppID, URL: srv.URL + "/callback", MsgType: 2, Body: body})
	h.start(t)

	eventually(t, 2*time.Second, "delivery", func() bool { return h.ob.row(id).status == statusDelivered })
	if rc.hitCount() != 1 {
		t.Fatalf("receiver hit %d times, want 1", rc.hitCount())
	}
	rc.mu.Lock()
	got := rc.bodies[0]
	rc.mu.Unlock()
	if !bytes.Equal(got, body) {
		t.Errorf("body = %s, want %s", got, body)
	}
	if r := h.ob.row(id); r.Attempts != 0 || len(r.retries) != 0 {
		t.Errorf("attempts = %d, retries = %v; want none", r.Attempts, r.retries)
	}
	if v := h.metric(t, "vionet_push_attempts_total", "outcome", "delivered"); v != 1 {
		t.Errorf("attempts_total{delivered} = %v, want 1", v)
	}
	if v := h.metric(t, "vionet_push_attempts_total", "outcome", "retry"); v != 0 {
		t.Errorf("attempts_total{retry} = %v, want 0", v)
	}
	if v := h.metric(t, "vionet_push_delivery_seconds"); v != 1 {
		t.Errorf("delivery_seconds count = %v, want 1", v)
	}
	eventually(t, time.Second, "queue depth 0", func() bool { return h.metric(t, "vionet_push_queue_depth") == 0 })
	logs := h.logs.String()
	for _, want := range []string{"outcome=delivered", "appid=" + testAppID, "msgType=2", "id=" + strconv.FormatInt(id, 10), "attempts=1"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
}

func TestRetryThenDelivered(t *testing.T) {
	rc, srv := newReceiver(t, func(n int) int {
		if n <= 2 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	h := newHarness(t, testConfig(), nil)
	id := h.ob.add(Delivery{AppID: testAppID, URL: srv.URL, MsgType: 1, Body: testBody(1)})
	h.start(t)

	eventually(t, 2*time.Second, "delivery", func() bool { return h.ob.row(id).status == statusDelivered })
	r := h.ob.row(id)
	if r.Attempts != 2 {
		t.Errorf("attempts = %d, want 2", r.Attempts)
	}
	if want := []string{"status 500", "status 500"}; strings.Join(r.retries, ",") != strings.Join(want, ",") {
		t.Errorf("retries = %q, want %q", r.retries, want)
	}
	if rc.hitCount() != 3 {
		t.Errorf("receiver hit %d times, want 3", rc.hitCount())
	}
	if v := h.metric(t, "vionet_push_attempts_total", "outcome", "retry"); v != 2 {
		t.Errorf("attempts_total{retry} = %v, want 2", v)
	}
	if v := h.metric(t, "vionet_push_attempts_total", "outcome", "delivered"); v != 1 {
		t.Errorf("attempts_total{delivered} = %v, want 1", v)
	}
}

func TestReceiverDownThenUp(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nobody listens: connection refused

	h := newHarness(t, testConfig(), nil)
	id := h.ob.add(Delivery{AppID: testAppID, URL: "http://" + addr + "/cb", MsgType: 3, Body: testBody(3)})
	h.start(t)

	eventually(t, 2*time.Second, "a failed attempt", func() bool { return len(h.ob.row(id).retries) >= 2 })
	if r := h.ob.row(id); r.retries[0] != "dial: connection refused" || r.status != statusPending {
		t.Fatalf("retries = %q, status %d; want dial: connection refused, pending", r.retries, r.status)
	}
	eventually(t, time.Second, "queue depth 1", func() bool { return h.metric(t, "vionet_push_queue_depth") == 1 })

	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen again on %s: %v", addr, err)
	}
	rc := &receiver{t: t}
	srv := httptest.NewUnstartedServer(rc)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	defer srv.Close()

	eventually(t, 2*time.Second, "delivery", func() bool { return h.ob.row(id).status == statusDelivered })
	if rc.hitCount() != 1 {
		t.Errorf("receiver hit %d times, want 1", rc.hitCount())
	}
}

func TestMaxAgeExceededDeadLetters(t *testing.T) {
	rc, srv := newReceiver(t, func(int) int { return http.StatusServiceUnavailable })
	cfg := testConfig()
	cfg.MaxAge = 100 * time.Millisecond
	h := newHarness(t, cfg, nil)
	start := time.Now()
	id := h.ob.add(Delivery{AppID: testAppID, URL: srv.URL, MsgType: 1, Body: testBody(1)})
	h.start(t)

	eventually(t, 2*time.Second, "dead letter", func() bool { return h.ob.row(id).status == statusDead })
	if el := time.Since(start); el > time.Second {
		t.Errorf("dead-lettered after %v, MaxAge is %v", el, cfg.MaxAge)
	}
	r := h.ob.row(id)
	if r.lastErr != "status 503" {
		t.Errorf("lastErr = %q, want status 503", r.lastErr)
	}
	if r.Attempts != len(r.retries)+1 || r.Attempts != rc.hitCount() {
		t.Errorf("attempts = %d, retries = %d, hits = %d", r.Attempts, len(r.retries), rc.hitCount())
	}
	if v := h.metric(t, "vionet_push_dead_letters_total"); v != 1 {
		t.Errorf("dead_letters_total = %v, want 1", v)
	}
	if v := h.metric(t, "vionet_push_attempts_total", "outcome", "dead"); v != 1 {
		t.Errorf("attempts_total{dead} = %v, want 1", v)
	}
	if v := h.metric(t, "vionet_push_delivery_seconds"); v != 0 {
		t.Errorf("delivery_seconds count = %v, want 0", v)
	}
	if !strings.Contains(h.logs.String(), "outcome=dead") {
		t.Errorf("no dead log line:\n%s", h.logs.String())
	}
}

func TestFirstRetryBeyondMaxAgeDeadLetters(t *testing.T) {
	_, srv := newReceiver(t, func(int) int { return http.StatusBadGateway })
	cfg := testConfig()
	cfg.InitialBackoff = time.Hour
	cfg.MaxBackoff = time.Hour
	cfg.MaxAge = 30 * time.Minute
	h := newHarness(t, cfg, nil)
	id := h.ob.add(Delivery{AppID: testAppID, URL: srv.URL, MsgType: 1, Body: testBody(1)})
	h.start(t)

	eventually(t, 2*time.Second, "dead letter", func() bool { return h.ob.row(id).status == statusDead })
	if r := h.ob.row(id); r.Attempts != 1 || len(r.retries) != 0 || r.lastErr != "status 502" {
		t.Errorf("attempts = %d, retries = %q, lastErr = %q", r.Attempts, r.retries, r.lastErr)
	}
}

func TestUnknownTenantDeadLetters(t *testing.T) {
	rc, srv := newReceiver(t, nil)
	h := newHarness(t, testConfig(), nil)
	id := h.ob.add(Delivery{AppID: "removed-app", URL: srv.URL, MsgType: 1, Body: testBody(1), Attempts: 3})
	h.start(t)

	eventually(t, 2*time.Second, "dead letter", func() bool { return h.ob.row(id).status == statusDead })
	r := h.ob.row(id)
	if !strings.HasPrefix(r.lastErr, "secret: ") || !strings.Contains(r.lastErr, "not found") || r.Attempts != 3 {
		t.Errorf("lastErr = %q, attempts = %d; want secret: …not found, 3", r.lastErr, r.Attempts)
	}
	if rc.hitCount() != 0 {
		t.Errorf("receiver hit %d times, want 0", rc.hitCount())
	}
	if v := h.metric(t, "vionet_push_dead_letters_total"); v != 1 {
		t.Errorf("dead_letters_total = %v, want 1", v)
	}
}

func TestBadURLDeadLetters(t *testing.T) {
	h := newHarness(t, testConfig(), nil)
	id := h.ob.add(Delivery{AppID: testAppID, URL: "ftp://example.invalid/x", MsgType: 1, Body: testBody(1)})
	h.start(t)

	eventually(t, 2*time.Second, "dead letter", func() bool { return h.ob.row(id).status == statusDead })
	if r := h.ob.row(id); !strings.HasPrefix(r.lastErr, "bad url") || len(r.retries) != 0 {
		t.Errorf("lastErr = %q, retries = %q", r.lastErr, r.retries)
	}
}

func TestTimeout(t *testing.T) {
	for _, tc := range []struct {
		name   string
		client *http.Client
	}{
		{"default client", nil},
		{"client without timeout", &http.Client{}}, // the per-attempt context still bounds it
	} {
		t.Run(tc.name, func(t *testing.T) {
			release := make(chan struct{})
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				// A receiver that never answers in time. Reading the body lets the server notice
				// the client hanging up.
				io.ReadAll(r.Body)
				select {
				case <-r.Context().Done():
				case <-release:
				}
			}))
			t.Cleanup(srv.Close)
			t.Cleanup(func() { close(release) })

			cfg := testConfig()
			cfg.Timeout = 100 * time.Millisecond
			cfg.InitialBackoff = time.Hour
			cfg.MaxBackoff = time.Hour
			cfg.MaxAge = 24 * time.Hour
			h := newHarness(t, cfg, tc.client)
			id := h.ob.add(Delivery{AppID: testAppID, URL: srv.URL, MsgType: 1, Body: testBody(1)})
			start := time.Now()
			h.start(t)

			eventually(t, 2*time.Second, "a failed attempt", func() bool { return len(h.ob.row(id).retries) == 1 })
			if el := time.Since(start); el > 800*time.Millisecond {
				t.Errorf("worker held %v by a slow receiver, Timeout is %v", el, cfg.Timeout)
			}
			if r := h.ob.row(id); r.retries[0] != "timeout" || r.Attempts != 1 || r.status != statusPending {
				t.Errorf("retries = %q, attempts = %d, status = %d", r.retries, r.Attempts, r.status)
			}
			if r := h.ob.row(id); r.next.Before(time.Now().Add(40 * time.Minute)) {
				t.Errorf("next attempt at %v, want about an hour from now", r.next)
			}
		})
	}
}

func TestRunReturnsOnCancelAndAbandonsInFlight(t *testing.T) {
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body) // lets the server notice the client hanging up
		select {
		case entered <- struct{}{}:
		default:
		}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })

	cfg := testConfig()
	cfg.Timeout = 10 * time.Second // shutdown must not wait for it
	h := newHarness(t, cfg, nil)
	id := h.ob.add(Delivery{AppID: testAppID, URL: srv.URL, MsgType: 1, Body: testBody(1)})
	h.start(t)

	select {
	case <-entered:
	case <-time.After(2 * time.Second):
		t.Fatal("attempt never reached the receiver")
	}
	h.cancel()
	select {
	case err := <-h.done:
		if err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
		h.done <- nil // for the cleanup
	case <-time.After(time.Second):
		t.Fatal("Run did not return promptly after cancel")
	}
	r := h.ob.row(id)
	if r.status != statusPending || len(r.retries) != 0 || r.Attempts != 0 {
		t.Errorf("abandoned row: status %d, retries %q, attempts %d; want untouched", r.status, r.retries, r.Attempts)
	}
	if !r.next.After(time.Now()) {
		t.Errorf("abandoned row is due at %v, want leased into the future", r.next)
	}
	for _, o := range []string{"delivered", "retry", "dead"} {
		if v := h.metric(t, "vionet_push_attempts_total", "outcome", o); v != 0 {
			t.Errorf("attempts_total{%s} = %v, want 0", o, v)
		}
	}
}

func TestRunIdleReturnsOnCancel(t *testing.T) {
	cfg := testConfig()
	cfg.PollInterval = time.Hour
	h := newHarness(t, cfg, nil)
	h.start(t)
	eventually(t, time.Second, "first claim", func() bool { return h.ob.claimCount() >= 1 })
	h.cancel()
	select {
	case <-h.done:
		h.done <- nil
	case <-time.After(time.Second):
		t.Fatal("Run did not return promptly after cancel")
	}
	if err := h.d.Run(canceledContext()); err != nil {
		t.Errorf("Run after restart = %v", err)
	}
}

func canceledContext() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

func TestNotifyWakesPromptly(t *testing.T) {
	rc, srv := newReceiver(t, nil)
	cfg := testConfig()
	cfg.PollInterval = time.Hour // only Notify can wake it
	h := newHarness(t, cfg, nil)
	h.d.Notify() // before Run, and repeatedly: never blocks
	h.d.Notify()
	h.start(t)
	eventually(t, time.Second, "first claim", func() bool { return h.ob.claimCount() >= 2 })
	time.Sleep(20 * time.Millisecond) // let it go to sleep

	id := h.ob.add(Delivery{AppID: testAppID, URL: srv.URL, MsgType: 5, Body: testBody(5)})
	woke := time.Now()
	h.d.Notify()
	eventually(t, time.Second, "delivery after Notify", func() bool { return h.ob.row(id).status == statusDelivered })
	if el := time.Since(woke); el > 500*time.Millisecond {
		t.Errorf("delivered %v after Notify", el)
	}
	if rc.hitCount() != 1 {
		t.Errorf("receiver hit %d times, want 1", rc.hitCount())
	}
}

func TestPollDoesNotSpin(t *testing.T) {
	cfg := testConfig()
	cfg.PollInterval = 50 * time.Millisecond
	h := newHarness(t, cfg, nil)
	h.start(t)
	time.Sleep(275 * time.Millisecond)
	if n := h.ob.claimCount(); n < 2 || n > 8 {
		t.Errorf("%d claims in 275ms with a 50ms poll interval", n)
	}
}

func TestWorkersBoundConcurrency(t *testing.T) {
	var mu sync.Mutex
	cur, peak, total := 0, 0, 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		cur++
		total++
		peak = max(peak, cur)
		mu.Unlock()
		time.Sleep(30 * time.Millisecond)
		mu.Lock()
		cur--
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)

	cfg := testConfig()
	cfg.Workers = 3
	h := newHarness(t, cfg, nil)
	var ids []int64
	for range 10 {
		ids = append(ids, h.ob.add(Delivery{AppID: testAppID, URL: srv.URL, MsgType: 1, Body: testBody(1)}))
	}
	h.start(t)
	eventually(t, 3*time.Second, "all deliveries", func() bool {
		for _, id := range ids {
			if h.ob.row(id).status != statusDelivered {
				return false
			}
		}
		return true
	})
	mu.Lock()
	defer mu.Unlock()
	if peak > 3 || peak < 2 || total != 10 {
		t.Errorf("peak concurrency %d (want 2..3), total %d (want 10)", peak, total)
	}
	h.ob.mu.Lock()
	defer h.ob.mu.Unlock()
	for _, l := range h.ob.limits {
		if l < 1 || l > 3 {
			t.Errorf("claimed with limit %d, Workers is 3", l)
		}
	}
}

func TestBackoff(t *testing.T) {
	d := New(Config{InitialBackoff: time.Second, MaxBackoff: 10 * time.Second}, newMemOutbox(), testSecrets, nil, nil, nil)
	for attempts, base := range map[int]time.Duration{
		1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 4: 8 * time.Second,
		5: 10 * time.Second, 10: 10 * time.Second, 1000: 10 * time.Second,
	} {
		for range 50 {
			got := d.backoff(attempts)
			if got < base*8/10 || got > base*12/10 {
				t.Fatalf("backoff(%d) = %v, want %v ±20%%", attempts, got, base)
			}
		}
	}
}

func TestDefaults(t *testing.T) {
	c := Config{}.withDefaults()
	want := Config{Workers: 8, Timeout: 10 * time.Second, InitialBackoff: 2 * time.Second, MaxBackoff: 10 * time.Minute,
		MaxAge: 24 * time.Hour, PollInterval: time.Second, Lease: 30 * time.Second}
	if c != want {
		t.Errorf("defaults = %+v, want %+v", c, want)
	}
}

func TestMetricsSharedRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	New(Config{}, newMemOutbox(), testSecrets, reg, nil, nil)
	New(Config{}, newMemOutbox(), testSecrets, reg, nil, nil) // must not panic
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, mf := range mfs {
		names[mf.GetName()] = true
	}
	for _, n := range []string{"vionet_push_queue_depth", "vionet_push_attempts_total", "vionet_push_delivery_seconds", "vionet_push_dead_letters_total"} {
		if !names[n] {
			t.Errorf("%s not registered", n)
		}
	}
}

// A transient secret-lookup failure (say, the database restarting) is a failed attempt,
// retried like any other, not a dead letter.
func TestTransientSecretErrorIsRetried(t *testing.T) {
	rc, srv := newReceiver(t, nil)
	h := newHarness(t, testConfig(), nil)
	var mu sync.Mutex
	calls := 0
	h.d.secrets = func(ctx context.Context, appID string) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		if calls++; calls == 1 {
			return "", fmt.Errorf("database is locked")
		}
		return testSecrets(ctx, appID)
	}
	id := h.ob.add(Delivery{AppID: testAppID, URL: srv.URL, MsgType: 1, Body: testBody(1)})
	h.start(t)

	eventually(t, 2*time.Second, "delivery after a transient secret error", func() bool { return h.ob.row(id).status == statusDelivered })
	if rc.hitCount() != 1 {
		t.Errorf("receiver hit %d times, want 1", rc.hitCount())
	}
}
