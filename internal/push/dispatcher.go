package push

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vionet/vionet/sdk/signing"
)

// ContentType is the Content-Type of every push (5.4).
const ContentType = "application/json;charset=UTF-8"

// Config tunes a Dispatcher. Zero (or negative) fields take their documented defaults.
type Config struct {
	Workers        int           // concurrent deliveries (default 8)
	Timeout        time.Duration // per attempt HTTP timeout (default 10s)
	InitialBackoff time.Duration // first retry delay (default 2s)
	MaxBackoff     time.Duration // cap of the exponential delay (default 10m)
	MaxAge         time.Duration // give up (dead-letter) when the next attempt would be later than CreatedAt+MaxAge (default 24h)
	PollInterval   time.Duration // how often to look for due rows when not woken (default 1s)
	Lease          time.Duration // claim lease (default Timeout*3)
}

func (c Config) withDefaults() Config {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	if c.Workers <= 0 {
		c.Workers = 8
	}
	def(&c.Timeout, 10*time.Second)
	def(&c.InitialBackoff, 2*time.Second)
	def(&c.MaxBackoff, 10*time.Minute)
	def(&c.MaxAge, 24*time.Hour)
	def(&c.PollInterval, time.Second)
	def(&c.Lease, 3*c.Timeout)
	return c
}

// maxErrLen bounds the lastErr recorded in the outbox and logged.
const maxErrLen = 200

// maxDrain bounds how much of a response body is read (to reuse the connection) and discarded.
const maxDrain = 64 << 10

// Dispatcher delivers the outbox's pushes with a bounded pool of workers. Create it with New and
// start it with Run; it is safe for concurrent use.
type Dispatcher struct {
	cfg     Config
	outbox  Outbox
	secrets SecretFunc
	client  *http.Client
	log     *slog.Logger
	m       *metrics
	wake    chan struct{} // capacity 1: pending Notify
	freed   chan struct{} // capacity 1: a worker slot became free
	running atomic.Bool
}

// New returns a Dispatcher reading from outbox and signing with the secrets returned by secrets.
// Its metrics are registered on reg (nil: not registered). log nil means slog.Default(). client
// nil means a dedicated client with cfg.Timeout that does not follow redirects (a 3xx is a failed
// attempt); a caller-supplied client is used as is, each attempt still being bounded by
// cfg.Timeout.
func New(cfg Config, outbox Outbox, secrets SecretFunc, reg prometheus.Registerer, log *slog.Logger, client *http.Client) *Dispatcher {
	cfg = cfg.withDefaults()
	if log == nil {
		log = slog.Default()
	}
	if client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = cfg.Workers
		client = &http.Client{
			Transport: tr,
			Timeout:   cfg.Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		}
	}
	return &Dispatcher{
		cfg:     cfg,
		outbox:  outbox,
		secrets: secrets,
		client:  client,
		log:     log.With("component", "push"),
		m:       newMetrics(reg),
		wake:    make(chan struct{}, 1),
		freed:   make(chan struct{}, 1),
	}
}

// Notify wakes the dispatcher after the producer committed new rows. It never blocks, may be
// called at any time (even before Run) and coalesces repeated calls.
func (d *Dispatcher) Notify() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run claims due deliveries and attempts them until ctx is done, then waits for its workers and
// returns nil. Attempts in flight at that moment are cancelled and abandoned without any
// bookkeeping: their lease lapses and the rows become due again (for this or another node), so
// no row is lost. An attempt that already got its 2xx is still recorded as delivered.
// Run returns an error only if the Dispatcher is already running.
func (d *Dispatcher) Run(ctx context.Context) error {
	if !d.running.CompareAndSwap(false, true) {
		return errors.New("push: dispatcher already running")
	}
	defer d.running.Store(false)

	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, d.cfg.Workers) // one token per busy worker

	timer := time.NewTimer(d.cfg.PollInterval)
	defer timer.Stop()
	sleep := func() bool { // waits for Notify or PollInterval; false when ctx is done
		timer.Reset(d.cfg.PollInterval)
		select {
		case <-ctx.Done():
			return false
		case <-d.wake:
			return true
		case <-timer.C:
			return true
		}
	}

	var lastDepth time.Time
	for ctx.Err() == nil {
		free := cap(slots) - len(slots) // only this goroutine acquires, so free slots stay free
		if free == 0 {
			select {
			case <-ctx.Done():
				return nil
			case <-d.freed:
			}
			continue
		}
		if time.Since(lastDepth) >= d.cfg.PollInterval {
			d.refreshDepth(ctx)
			lastDepth = time.Now()
		}
		batch, err := d.outbox.ClaimDue(ctx, time.Now(), d.cfg.Lease, free)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			d.log.Error("push: claim due deliveries", "err", err)
			if !sleep() {
				return nil
			}
			continue
		}
		for _, del := range batch {
			slots <- struct{}{}
			wg.Go(func() {
				defer func() {
					<-slots
					select {
					case d.freed <- struct{}{}:
					default:
					}
				}()
				d.deliver(ctx, del)
			})
		}
		if len(batch) < free {
			d.refreshDepth(ctx)
			lastDepth = time.Now()
			if !sleep() {
				return nil
			}
		}
	}
	return nil
}

func (d *Dispatcher) refreshDepth(ctx context.Context) {
	n, err := d.outbox.Pending(ctx)
	if err != nil {
		if ctx.Err() == nil {
			d.log.Warn("push: count pending deliveries", "err", err)
		}
		return
	}
	d.m.queueDepth.Set(float64(n))
}

// deliver makes one attempt at del and records its outcome.
func (d *Dispatcher) deliver(ctx context.Context, del Delivery) {
	var lastErr string
	var permanent bool
	secret, err := d.secrets(ctx, del.AppID)
	switch {
	case err == nil:
		lastErr, permanent = d.attempt(ctx, del, secret)
	case ctx.Err() != nil:
		return // shutting down: abandon, the lease lapses
	case errors.Is(err, ErrUnknownTenant):
		d.dead(ctx, del, del.Attempts, "secret: "+err.Error())
		return
	default: // e.g. the database is briefly unavailable: an ordinary failed attempt
		lastErr = "secret: " + err.Error()
	}
	if lastErr == "" {
		d.delivered(ctx, del)
		return
	}
	if ctx.Err() != nil {
		d.log.Debug("push: attempt abandoned at shutdown", "appid", del.AppID, "msgType", del.MsgType, "id", del.ID)
		return
	}
	attempts := del.Attempts + 1
	if permanent {
		d.dead(ctx, del, attempts, lastErr)
		return
	}
	next := time.Now().Add(d.backoff(attempts))
	if next.After(del.CreatedAt.Add(d.cfg.MaxAge)) {
		d.dead(ctx, del, attempts, lastErr)
		return
	}
	d.retry(ctx, del, attempts, next, lastErr)
}

// attempt POSTs del once. It returns "" on a 2xx, else a short description of the failure and
// whether retrying is pointless (unusable URL).
func (d *Dispatcher) attempt(ctx context.Context, del Delivery, secret string) (lastErr string, permanent bool) {
	u, err := url.Parse(del.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return truncate("bad url: " + strconv.Quote(del.URL)), true
	}
	actx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, del.URL, bytes.NewReader(del.Body))
	if err != nil {
		return truncate("bad url: " + err.Error()), true
	}
	ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
	req.Header.Set("Content-Type", ContentType)
	// The spec spells these headers appId and sign; keep that exact case on the wire.
	req.Header[signing.PushHeaderAppID] = []string{del.AppID}
	req.Header[signing.PushHeaderTimestamp] = []string{ts}
	req.Header[signing.PushHeaderSign] = []string{signing.Push(secret, del.AppID, ts, del.Body)}

	resp, err := d.client.Do(req)
	if err != nil {
		return describe(err), false
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDrain))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Sprintf("status %d", resp.StatusCode), false
	}
	return "", false
}

// backoff returns the delay before the attempt following the attempts-th failure:
// InitialBackoff·2^(attempts-1) capped at MaxBackoff, then ±20% jitter.
func (d *Dispatcher) backoff(attempts int) time.Duration {
	delay := d.cfg.InitialBackoff
	for i := 1; i < attempts && delay < d.cfg.MaxBackoff; i++ {
		delay *= 2
	}
	delay = min(delay, d.cfg.MaxBackoff)
	return time.Duration(float64(delay) * (0.8 + 0.4*rand.Float64()))
}

// record returns a context for bookkeeping writes that survives the shutdown of ctx (an attempt
// that reached the receiver must still be recorded) but is bounded by Timeout.
func (d *Dispatcher) record(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), d.cfg.Timeout)
}

func (d *Dispatcher) delivered(ctx context.Context, del Delivery) {
	rctx, cancel := d.record(ctx)
	defer cancel()
	attempts := del.Attempts + 1
	d.m.attempts.WithLabelValues(outcomeDelivered).Inc()
	d.m.latency.Observe(time.Since(del.CreatedAt).Seconds())
	d.outcome(slog.LevelInfo, del, attempts, outcomeDelivered, "")
	if err := d.outbox.MarkDelivered(rctx, del.ID); err != nil {
		d.log.Error("push: record delivery (it may be sent again)", "id", del.ID, "err", err)
	}
}

func (d *Dispatcher) retry(ctx context.Context, del Delivery, attempts int, next time.Time, lastErr string) {
	rctx, cancel := d.record(ctx)
	defer cancel()
	d.m.attempts.WithLabelValues(outcomeRetry).Inc()
	d.outcome(slog.LevelWarn, del, attempts, outcomeRetry, lastErr, "next", next)
	if err := d.outbox.Retry(rctx, del.ID, attempts, next, lastErr); err != nil {
		d.log.Error("push: record retry (due again when the lease lapses)", "id", del.ID, "err", err)
	}
}

func (d *Dispatcher) dead(ctx context.Context, del Delivery, attempts int, lastErr string) {
	rctx, cancel := d.record(ctx)
	defer cancel()
	lastErr = truncate(lastErr)
	d.m.attempts.WithLabelValues(outcomeDead).Inc()
	d.m.deadLetters.Inc()
	d.outcome(slog.LevelError, del, attempts, outcomeDead, lastErr)
	if err := d.outbox.MarkDead(rctx, del.ID, attempts, lastErr); err != nil {
		d.log.Error("push: record dead letter (due again when the lease lapses)", "id", del.ID, "err", err)
	}
}

// outcome logs the one line per delivery outcome.
func (d *Dispatcher) outcome(level slog.Level, del Delivery, attempts int, outcome, lastErr string, extra ...any) {
	args := append([]any{
		"appid", del.AppID, "msgType", del.MsgType, "id", del.ID,
		"attempts", attempts, "outcome", outcome, "err", lastErr,
	}, extra...)
	d.log.Log(context.Background(), level, "push "+outcome, args...)
}

// describe shortens a client error: "timeout", "dial: connection refused", or the bare cause.
func describe(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "timeout"
	}
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		return "timeout"
	}
	if op, ok := errors.AsType[*net.OpError](err); ok && op.Op == "dial" {
		cause := op.Err
		if se, ok := errors.AsType[*os.SyscallError](cause); ok {
			cause = se.Err
		}
		return truncate("dial: " + cause.Error())
	}
	if ue, ok := errors.AsType[*url.Error](err); ok {
		err = ue.Err // drop `Post "https://…":`, the URL is in the row already
	}
	return truncate(err.Error())
}

func truncate(s string) string {
	if len(s) <= maxErrLen {
		return s
	}
	// Cut on a rune boundary.
	for i := maxErrLen; i > 0; i-- {
		if s[i]&0xC0 != 0x80 {
			return s[:i] + "…"
		}
	}
	return s[:maxErrLen]
}
