package gb28181

import (
	"context"

	"github.com/vionet/vionet/internal/domain"
	"github.com/vionet/vionet/internal/southbound/gb28181/manscdp"
)

func catalogItemID(it manscdp.CatalogItem) string { return it.DeviceID }

// applyCatalog hands a complete (or stale) catalog answer to the app and wakes its query.
func (s *Server) applyCatalog(ctx context.Context, a *assembly[manscdp.CatalogItem]) {
	items := make([]domain.CatalogChannel, 0, len(a.items))
	for _, it := range a.items {
		if isVideoSource(it.DeviceID) {
			items = append(items, catalogChannel(it))
		}
	}
	if err := s.sink.ApplyCatalog(ctx, a.key.device, items); err != nil {
		s.log.Warn("applying catalog", "deviceSn", a.key.device, "err", err)
	}
	s.waiters.deliver(a.key, a)
}

func catalogChannel(it manscdp.CatalogItem) domain.CatalogChannel {
	online := it.Online()
	switch it.Event {
	case "OFF", "VLOST", "DEFECT":
		online = false
	case "ON":
		online = true
	}
	return domain.CatalogChannel{ChannelSn: it.DeviceID, Name: it.Name, Online: online, Manufacturer: it.Manufacturer, Model: it.Model}
}

// isVideoSource keeps catalog items that are devices or channels (type codes 111-199) and
// drops platforms, business groups and virtual organisations (200 and above).
func isVideoSource(code string) bool {
	if !domain.ValidGBCode(code) {
		return false
	}
	t := code[10:13]
	return t >= "111" && t < "200"
}
