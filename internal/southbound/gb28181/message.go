package gb28181

import (
	"context"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/vionet/vionet/internal/domain"
	"github.com/vionet/vionet/internal/southbound/gb28181/manscdp"
)

// maxBody bounds a MANSCDP body (a large NVR catalog part is a few KiB).
const maxBody = 256 << 10

// onMessage handles MESSAGE and NOTIFY from devices: keepalives, answers to queries,
// catalog notifications and alarms. The 200 goes out before the body is processed.
func (s *Server) onMessage(req *sip.Request, tx sip.ServerTransaction) {
	now := time.Now()
	id := deviceIDOf(req)
	body := req.Body()
	if len(body) == 0 || len(body) > maxBody {
		s.m.rejected.WithLabelValues("bad_body").Inc()
		s.respond(tx, req, 400, "Bad Request: MANSCDP body missing or too large")
		return
	}
	msg, err := manscdp.Decode(body)
	if err != nil {
		s.m.rejected.WithLabelValues("bad_manscdp").Inc()
		s.respond(tx, req, 400, "Bad Request: "+truncate(err.Error(), 80))
		return
	}
	known, cameBack := s.sessions.touch(id, now)
	if !known {
		s.m.rejected.WithLabelValues("not_registered").Inc()
		s.respond(tx, req, 403, "Forbidden: not registered")
		return
	}
	s.respond(tx, req, 200, "OK")
	s.m.messages.WithLabelValues(msg.CmdType).Inc()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	sess, _ := s.sessions.get(id)
	if msg.Charset != "" && msg.Charset != sess.reg.Charset {
		sess.reg.Charset = msg.Charset
		s.sessions.setCharset(id, msg.Charset)
	}
	if cameBack {
		if err := s.sink.DeviceOnline(ctx, sess.reg); err != nil {
			s.log.Warn("recording online", "deviceSn", id, "err", err)
		}
	}
	s.handle(ctx, id, msg, now)
}

func (s *Server) handle(ctx context.Context, id string, msg *manscdp.Message, now time.Time) {
	switch {
	case msg.Root == "Notify" && msg.CmdType == "Keepalive":
		// liveness already recorded
	case msg.Root == "Response" && msg.CmdType == "Catalog":
		var r manscdp.CatalogResponse
		if err := msg.Into(&r); err != nil {
			s.log.Warn("catalog answer", "deviceSn", id, "err", err)
			return
		}
		if a := s.catalogs.add(waiterKey{id, "Catalog", r.SN}, r.SumNum, r.DeviceList.Items, catalogItemID, now); a != nil {
			s.applyCatalog(ctx, a)
		}
	case msg.Root == "Response" && msg.CmdType == "RecordInfo":
		var r manscdp.RecordInfoResponse
		if err := msg.Into(&r); err != nil {
			s.log.Warn("record answer", "deviceSn", id, "err", err)
			return
		}
		if a := s.records.add(waiterKey{id, "RecordInfo", r.SN}, r.SumNum, r.RecordList.Items, recordItemID, now); a != nil {
			s.waiters.deliver(a.key, a)
		}
	case msg.Root == "Response" && msg.CmdType == "PresetQuery":
		s.onPresetPart(id, msg, now)
	case msg.Root == "Notify" && msg.CmdType == "Catalog":
		var n manscdp.CatalogNotify
		if err := msg.Into(&n); err != nil {
			s.log.Warn("catalog notify", "deviceSn", id, "err", err)
			return
		}
		var items []domain.CatalogChannel
		for _, it := range n.DeviceList.Items {
			if isVideoSource(it.DeviceID) && it.Event != "DEL" {
				items = append(items, catalogChannel(it))
			}
		}
		if err := s.sink.ApplyCatalog(ctx, id, items); err != nil {
			s.log.Warn("applying catalog notify", "deviceSn", id, "err", err)
		}
	case msg.Root == "Notify" && msg.CmdType == "Alarm":
		s.onAlarm(ctx, id, msg, now)
	case msg.Root == "Response":
		if !s.waiters.deliver(waiterKey{id, msg.CmdType, msg.SN}, msg) && msg.CmdType == "DeviceInfo" {
			_ = s.applyDeviceInfo(ctx, id, msg) // unsolicited or late: still worth keeping
		}
	default:
		s.log.Debug("unhandled MANSCDP", "deviceSn", id, "root", msg.Root, "cmd", msg.CmdType)
	}
}

func (s *Server) applyDeviceInfo(ctx context.Context, id string, m *manscdp.Message) error {
	var r manscdp.DeviceInfoResponse
	if err := m.Into(&r); err != nil {
		return err
	}
	return s.sink.ApplyDeviceInfo(ctx, id, domain.DeviceInfo{
		Manufacturer: strings.TrimSpace(r.Manufacturer), Model: strings.TrimSpace(r.Model),
		Firmware: strings.TrimSpace(r.Firmware), Channels: r.Channel,
	})
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
