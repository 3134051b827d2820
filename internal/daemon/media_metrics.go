package daemon

import (
	"reflect"
	"strings"
	"unicode"

	"github.com/prometheus/client_golang/prometheus"
)

// statsCollector exports a server's Stats() struct as metrics named
// vionet_media_<server>_<field>: int fields as gauges (things there are now), uint64 fields
// as counters (things that happened). Each media package keeps plain counters and stays free
// of Prometheus.
type statsCollector struct {
	server string
	stats  func() any
}

func (c statsCollector) Describe(ch chan<- *prometheus.Desc) { prometheus.DescribeByCollect(c, ch) }

func (c statsCollector) Collect(ch chan<- prometheus.Metric) {
	v := reflect.ValueOf(c.stats())
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name := "vionet_media_" + c.server + "_" + snake(f.Name)
		switch f.Type.Kind() {
		case reflect.Int, reflect.Int64, reflect.Int32:
			ch <- prometheus.MustNewConstMetric(prometheus.NewDesc(name, c.server+" "+f.Name+" (now)", nil, nil),
				prometheus.GaugeValue, float64(v.Field(i).Int()))
		case reflect.Uint64, reflect.Uint32, reflect.Uint:
			ch <- prometheus.MustNewConstMetric(prometheus.NewDesc(name+"_total", c.server+" "+f.Name+" (since start)", nil, nil),
				prometheus.CounterValue, float64(v.Field(i).Uint()))
		}
	}
}

// snake turns BytesOut into bytes_out.
func snake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 && !unicode.IsUpper(rune(s[i-1])) {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

func registerMediaMetrics(reg prometheus.Registerer, m *media) {
	if m.rtsp != nil {
		reg.MustRegister(statsCollector{"rtsp", func() any { return m.rtsp.Stats() }})
	}
	if m.rtmp != nil {
		reg.MustRegister(statsCollector{"rtmp", func() any { return m.rtmp.Stats() }})
	}
	reg.MustRegister(statsCollector{"hls", func() any { return m.hls.Stats() }})
	reg.MustRegister(statsCollector{"httpflv", func() any { return m.flv.Stats() }})
	reg.MustRegister(statsCollector{"rtp", func() any { return m.ingest.Stats() }})
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "vionet_media_paths", Help: "Streams published in the hub now.",
	}, func() float64 { return float64(len(m.hub.Paths())) }))
}
