package gb28181

import (
	"context"
	"sync"
	"time"

	"github.com/vionet/vionet/internal/domain"
	"github.com/vionet/vionet/internal/southbound/gb28181/manscdp"
)

// A catalog answer comes in several MESSAGEs (NVRs send a few items each); they are
// collected by device and SN until SumNum items arrived.
type assembly struct {
	device  string
	sn      int
	sum     int
	items   map[string]manscdp.CatalogItem // by DeviceID: a resent part is not counted twice
	order   []string
	updated time.Time
}

type catalogs struct {
	mu sync.Mutex
	m  map[waiterKey]*assembly
}

func newCatalogs() *catalogs { return &catalogs{m: map[waiterKey]*assembly{}} }

// maxCatalogItems bounds one assembly against a device announcing an absurd SumNum.
const maxCatalogItems = 10_000

// add merges one part; it returns the assembly when it is complete.
func (c *catalogs) add(device string, sn, sum int, items []manscdp.CatalogItem, now time.Time) *assembly {
	k := waiterKey{device, "Catalog", sn}
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.m[k]
	if !ok {
		a = &assembly{device: device, sn: sn, items: map[string]manscdp.CatalogItem{}}
		c.m[k] = a
	}
	a.sum = min(max(a.sum, sum), maxCatalogItems)
	a.updated = now
	for _, it := range items {
		if _, dup := a.items[it.DeviceID]; !dup && len(a.items) < maxCatalogItems {
			a.order = append(a.order, it.DeviceID)
		}
		a.items[it.DeviceID] = it
	}
	if len(a.items) >= a.sum {
		delete(c.m, k)
		return a
	}
	return nil
}

// stale returns (and forgets) assemblies that stopped growing: a lost UDP part must not
// leave the catalog unapplied forever, so what arrived is applied.
func (c *catalogs) stale(now time.Time, age time.Duration) []*assembly {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*assembly
	for k, a := range c.m {
		if now.Sub(a.updated) > age {
			delete(c.m, k)
			out = append(out, a)
		}
	}
	return out
}

func (s *Server) applyCatalog(ctx context.Context, a *assembly) {
	items := make([]domain.CatalogChannel, 0, len(a.order))
	for _, id := range a.order {
		if isVideoSource(id) {
			items = append(items, catalogChannel(a.items[id]))
		}
	}
	if err := s.sink.ApplyCatalog(ctx, a.device, items); err != nil {
		s.log.Warn("applying catalog", "deviceSn", a.device, "err", err)
	}
	s.waiters.deliver(waiterKey{a.device, "Catalog", a.sn}, nil)
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
