// Package daemon is vionet's composition root: it opens the store, builds the use cases,
// the northbound API and the push dispatcher, and runs their lifecycles. It is the only
// package that imports everything.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/vionet/vionet/internal/app"
	"github.com/vionet/vionet/internal/conf"
	"github.com/vionet/vionet/internal/domain"
	"github.com/vionet/vionet/internal/northbound"
	"github.com/vionet/vionet/internal/push"
	"github.com/vionet/vionet/internal/southbound/gb28181"
	"github.com/vionet/vionet/internal/store"
)

// Daemon is a running vionet node.
type Daemon struct {
	cfg      conf.Config
	log      *slog.Logger
	store    *store.Store
	app      *app.App
	api      *northbound.Server
	pushes   *push.Dispatcher
	gb       *gb28181.Server
	media    *media
	registry *prometheus.Registry
}

// Open builds a daemon from cfg: it connects the database and applies migrations.
func Open(ctx context.Context, cfg conf.Config, log *slog.Logger) (*Daemon, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, cfg.DB, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	d := &Daemon{cfg: cfg, log: log, store: st, registry: reg}
	d.pushes = push.New(push.Config{
		Workers: cfg.PushWorkers, Timeout: cfg.PushTimeout, InitialBackoff: cfg.PushRetryInitial,
		MaxBackoff: cfg.PushRetryMax, MaxAge: cfg.PushRetryFor, PollInterval: cfg.PushPoll,
	}, st.Outbox(), d.tenantSecret, reg, log, nil)
	d.app = NewApp(st, cfg, log, d.pushes.Notify)
	d.gb, err = gb28181.New(gb28181.Config{
		Addr: cfg.SIPAddr, ServerID: cfg.SIPID, Domain: cfg.SIPDomain,
		KeepaliveInterval: cfg.SIPKeepaliveInterval, KeepaliveMisses: cfg.SIPKeepaliveMisses,
		RequestTimeout: cfg.SIPRequestTimeout, AdvertiseHost: cfg.PublicHost,
	}, d.app, reg, log)
	if err != nil {
		st.Close()
		return nil, err
	}
	d.app.SetGB28181(d.gb)
	if d.media, err = openMedia(cfg, d.app, gbStreams{d.gb}, reg, log); err != nil {
		st.Close()
		return nil, err
	}
	d.api = northbound.New(d.app, northbound.Options{
		TimestampWindow: cfg.TimestampWindow, MaxBodyBytes: cfg.MaxBodyBytes,
		RateLimit: cfg.RateLimit, RateBurst: cfg.RateBurst,
	}, reg, log.With("component", "api"))
	return d, nil
}

// NewApp builds the use cases over st from cfg; the operator CLI uses it without a server.
func NewApp(st *store.Store, cfg conf.Config, log *slog.Logger, onPublished func()) *app.App {
	return app.New(st, app.Options{
		Platform: app.Platform{
			ID: cfg.PlatformID, Name: cfg.PlatformName, Vendor: cfg.PlatformVendor, AreaCodes: cfg.AreaCodes,
			SIPID: cfg.SIPID, SIPDomain: cfg.SIPDomain, SIPPort: cfg.SIPPort(),
			PublicHost: cfg.PublicHost, IntranetHost: cfg.IntranetHost,
			PublicHostV6: cfg.PublicHostV6, IntranetV6: cfg.IntranetV6,
		},
		Logger:         log,
		TenantCacheTTL: cfg.TenantCacheTTL,
		OnPublished:    onPublished,
	})
}

// tenantSecret signs pushes with the tenant's current secret (not the cached one, so a
// rotated secret takes effect on the next attempt).
func (d *Daemon) tenantSecret(ctx context.Context, appID string) (string, error) {
	t, err := d.store.Tenant(ctx, appID)
	if errors.Is(err, domain.ErrNotFound) {
		return "", fmt.Errorf("%w: %s", push.ErrUnknownTenant, appID)
	}
	if err != nil {
		return "", err
	}
	return t.SecretKey, nil
}

// Handler is the daemon's whole HTTP surface: /healthz, /metrics and the northbound API.
func (d *Daemon) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := d.store.Ping(ctx); err != nil {
			http.Error(w, "database: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(d.registry, promhttp.HandlerOpts{Registry: d.registry}))
	mux.Handle("/", d.api)
	return mux
}

// Run serves until ctx is cancelled, then shuts down gracefully: in-flight requests get
// ShutdownTimeout to finish and queued pushes stay in the outbox for the next start.
func (d *Daemon) Run(ctx context.Context) error {
	defer d.store.Close()
	ln, err := net.Listen("tcp", d.cfg.APIAddr)
	if err != nil {
		return fmt.Errorf("api listen: %w", err)
	}
	d.log.Info("api listening", "addr", ln.Addr().String(), "db", string(d.store.Engine()))
	srv := &http.Server{
		Handler:           d.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	regCtx, stopRegistrations := context.WithCancel(context.Background())
	var regDone sync.WaitGroup
	regDone.Add(1)
	go func() { defer regDone.Done(); d.app.RunRegistrationWriter(regCtx) }()
	defer func() { stopRegistrations(); regDone.Wait() }() // after the SIP server stopped: flush what it reported
	sipCtx, stopSIP := context.WithCancel(context.Background())
	if err := d.gb.Start(sipCtx); err != nil {
		stopSIP()
		ln.Close()
		return err
	}
	pushCtx, stopPushes := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); d.app.RunCruiseScheduler(sipCtx, app.CruiseSchedulerInterval) }() // 4.5.2.10 schedules
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := d.pushes.Run(pushCtx); err != nil && !errors.Is(err, context.Canceled) {
			d.log.Error("push dispatcher stopped", "err", err)
		}
	}()
	go d.media.serve()
	recCtx, stopRecordings := context.WithCancel(context.Background())
	var recDone sync.WaitGroup
	recDone.Add(1)
	go func() { defer recDone.Done(); d.app.RunRecordings(recCtx) }() // full-day cloud recording plans
	d.app.ResumeClips(recCtx)                                         // clip tasks a previous run left unfinished
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	select {
	case err = <-serveErr:
	case <-ctx.Done():
		d.log.Info("shutting down")
		sctx, cancel := context.WithTimeout(context.Background(), d.cfg.ShutdownTimeout)
		err = srv.Shutdown(sctx)
		cancel()
	}
	stopRecordings() // recorders close their open segments and index them
	recDone.Wait()
	mctx, cancel := context.WithTimeout(context.Background(), d.cfg.ShutdownTimeout)
	d.media.shutdown(mctx) // BYE to every device stream while SIP still runs
	cancel()
	stopSIP()
	d.gb.Wait()
	stopPushes()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
