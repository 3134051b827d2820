package gb28181

import (
	"context"
	"fmt"
	"strconv"

	"github.com/emiago/sipgo/sip"

	"github.com/vionet/vionet/internal/southbound/gb28181/manscdp"
)

// subscriptionExpires is how long a subscription asks to last; it is renewed at each new
// registration, which devices repeat well within it.
const subscriptionExpires = 3600

// subscribeAll asks a newly registered device to notify alarms, and, for GB/T 28181-2022
// devices, catalog changes (the 2016 edition has no catalog subscription).
func (s *Server) subscribeAll(ctx context.Context, id string) {
	sn := s.nextSN()
	if err := s.subscribe(ctx, id, "presence", manscdp.NewAlarmSubscribe(sn, id)); err != nil {
		s.log.Info("alarm subscription refused", "deviceSn", id, "err", err)
	}
	if sess, ok := s.sessions.get(id); ok && sess.reg.Version == "2022" {
		sn := s.nextSN()
		if err := s.subscribe(ctx, id, "Catalog", manscdp.NewCatalogQuery(sn, id)); err != nil {
			s.log.Info("catalog subscription refused", "deviceSn", id, "err", err)
		}
	}
}

// subscribe sends one SUBSCRIBE with a MANSCDP query body and waits for the 200.
func (s *Server) subscribe(ctx context.Context, id, event string, body any) error {
	sess, ok := s.sessions.get(id)
	if !ok || !sess.online {
		return fmt.Errorf("%w: %s", ErrOffline, id)
	}
	raw, err := manscdp.Encode(body, sess.reg.Charset)
	if err != nil {
		return err
	}
	req := s.newRequest(sip.SUBSCRIBE, sess, raw)
	req.AppendHeader(sip.NewHeader("Event", event))
	req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(subscriptionExpires)))
	req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: s.cfg.ServerID, Host: s.cfg.Domain}})
	return s.do(ctx, sess, req)
}
