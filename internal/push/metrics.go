package push

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// Outcome label values of vionet_push_attempts_total.
const (
	outcomeDelivered = "delivered"
	outcomeRetry     = "retry"
	outcomeDead      = "dead"
)

type metrics struct {
	queueDepth  prometheus.Gauge
	attempts    *prometheus.CounterVec
	latency     prometheus.Histogram
	deadLetters prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		queueDepth: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "vionet_push_queue_depth",
			Help: "Pushes in the outbox not yet delivered nor dead (refreshed on each poll).",
		}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "vionet_push_attempts_total",
			Help: "Push attempts by outcome: delivered, retry (failed, rescheduled) or dead (dead-lettered).",
		}, []string{"outcome"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "vionet_push_delivery_seconds",
			Help:    "Time from the creation of a push to its successful delivery.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600},
		}),
		deadLetters: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "vionet_push_dead_letters_total",
			Help: "Pushes moved to the dead letters (retry window exhausted, tenant gone or unusable URL).",
		}),
	}
	// Pre-create the outcome series so that they are exported (as 0) before the first push.
	for _, o := range []string{outcomeDelivered, outcomeRetry, outcomeDead} {
		m.attempts.WithLabelValues(o)
	}
	if reg != nil {
		m.queueDepth = register(reg, m.queueDepth)
		m.attempts = register(reg, m.attempts)
		m.latency = register(reg, m.latency)
		m.deadLetters = register(reg, m.deadLetters)
	}
	return m
}

// register registers c on reg; if an identical collector is already registered (a second
// Dispatcher on the same registry), it shares that one instead of panicking.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic(err)
	}
	return c
}
