// Package northbound serves the spec's signed REST API: authentication (4.3.1 signature,
// timestamp window, replay, per-appid rate limit), the resultCode envelope, and one thin
// handler per endpoint (decode → app → encode), grouped in files by spec chapter.
package northbound

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vionet/vionet/internal/app"
	"github.com/vionet/vionet/internal/domain"
	"github.com/vionet/vionet/sdk/signing"
)

// Options are the API's knobs (see internal/conf for their flags).
type Options struct {
	TimestampWindow time.Duration
	MaxBodyBytes    int64
	RateLimit       float64
	RateBurst       int
}

// Server is the northbound API as an http.Handler.
type Server struct {
	app     *app.App
	tenants TenantSource
	opts    Options
	log     *slog.Logger
	now     func() time.Time
	limiter *rateLimiter
	replays *replayGuard
	mux     *http.ServeMux
	metrics *apiMetrics
}

// Call is one authenticated request as a handler sees it.
type Call struct {
	Tenant domain.Tenant
	Params Params
}

// handlerFunc implements one endpoint.
type handlerFunc func(ctx context.Context, c *Call) (any, error)

// New builds the API over the use cases; reg receives its metrics.
func New(a *app.App, opts Options, reg prometheus.Registerer, log *slog.Logger) *Server {
	s := &Server{
		app: a, tenants: a, opts: opts, log: log, now: time.Now,
		limiter: newRateLimiter(opts.RateLimit, opts.RateBurst),
		replays: newReplayGuard(opts.TimestampWindow, time.Now()),
		mux:     http.NewServeMux(),
		metrics: newAPIMetrics(reg),
	}
	implemented := s.routes()
	for _, ep := range Catalog {
		h, ok := implemented[ep.Pattern()]
		if !ok {
			h = notYet(ep)
		}
		s.handle(ep.Pattern(), h)
		if alias, ok := pathAliases[ep.Path]; ok {
			s.handle(ep.Method+" "+alias, h)
		}
	}
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeEnvelope(w, http.StatusNotFound, envelope{ResultCode: string(domain.CodeInvalidParam),
			ResultMsg: domain.CodeInvalidParam.Description() + ": no endpoint " + r.Method + " " + r.URL.Path})
	})
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// routes maps the patterns this version implements to their handlers.
func (s *Server) routes() map[string]handlerFunc {
	m := map[string]handlerFunc{}
	s.deviceRoutes(m)
	s.subscriptionRoutes(m)
	s.platformRoutes(m)
	s.ptzRoutes(m)
	s.recordRoutes(m)
	s.mediaRoutes(m)
	s.serviceRoutes(m)
	return m
}

func notYet(ep Endpoint) handlerFunc {
	return func(context.Context, *Call) (any, error) {
		return nil, domain.Errorf(domain.CodeUnavailable, "%s %s is not available yet in this vionet version", ep.Section, ep.Title)
	}
}

// handle wraps an endpoint with authentication, parameter decoding, the envelope, metrics
// and the access log.
func (s *Server) handle(pattern string, h handlerFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		start := s.now()
		sr, err := s.authenticate(r)
		if sr.msgSeq != "" {
			w.Header().Set(signing.HeaderMsgSeq, sr.msgSeq)
		}
		var result any
		if err == nil {
			var p Params
			if p, err = ParseParams(sr.params); err == nil {
				result, err = h(r.Context(), &Call{Tenant: sr.tenant, Params: p})
			}
		}
		code := writeResult(w, result, err)
		elapsed := s.now().Sub(start)
		s.metrics.observe(pattern, code, elapsed)
		level := slog.LevelInfo
		if code == domain.CodeInternal {
			level = slog.LevelError
		}
		s.log.LogAttrs(r.Context(), level, "api",
			slog.String("appid", r.Header.Get(signing.HeaderAppID)), slog.String("msgSeq", sr.msgSeq),
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("code", string(code)),
			slog.Float64("ms", float64(elapsed.Microseconds())/1000), errAttr(err))
	})
}

func errAttr(err error) slog.Attr {
	if err == nil {
		return slog.Attr{}
	}
	return slog.String("err", err.Error())
}

type apiMetrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newAPIMetrics(reg prometheus.Registerer) *apiMetrics {
	m := &apiMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vionet_api_requests_total", Help: "Northbound API requests by endpoint pattern and resultCode.",
		}, []string{"path", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "vionet_api_request_duration_seconds", Help: "Northbound API latency by endpoint pattern.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"path"}),
	}
	reg.MustRegister(m.requests, m.latency)
	return m
}

func (m *apiMetrics) observe(pattern string, code domain.Code, d time.Duration) {
	m.requests.WithLabelValues(pattern, string(code)).Inc()
	m.latency.WithLabelValues(pattern).Observe(d.Seconds())
}
