package gb28181

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	registers *prometheus.CounterVec // by result
	messages  *prometheus.CounterVec // by CmdType
	offline   *prometheus.CounterVec // by reason
	rejected  *prometheus.CounterVec // by reason
	sessions  prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		registers: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vionet_gb28181_registers_total",
			Help: "GB/T 28181 REGISTER requests by result (ok, challenged, unregistered, unknown_device, bad_auth)."}, []string{"result"}),
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vionet_gb28181_messages_total",
			Help: "MANSCDP messages received, by CmdType."}, []string{"cmd"}),
		offline: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vionet_gb28181_offline_total",
			Help: "Devices judged offline, by reason."}, []string{"reason"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "vionet_gb28181_rejected_total",
			Help: "SIP requests refused, by reason."}, []string{"reason"}),
		sessions: prometheus.NewGauge(prometheus.GaugeOpts{Name: "vionet_gb28181_sessions",
			Help: "Registered GB/T 28181 devices."}),
	}
	if reg != nil {
		reg.MustRegister(m.registers, m.messages, m.offline, m.rejected, m.sessions)
	}
	return m
}
