package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vionet/vionet/internal/domain"
)

// testStores opens an empty store on SQLite, and on PostgreSQL when VIONET_TEST_PG_DSN
// names a server (scripts/test.sh starts one).
func testStores(t *testing.T) map[Engine]*Store {
	t.Helper()
	ctx := context.Background()
	out := map[Engine]*Store{}
	st, err := Open(ctx, "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	out[SQLite] = st
	if dsn := os.Getenv("VIONET_TEST_PG_DSN"); dsn != "" {
		st, err := Open(ctx, freshPostgresDB(t, dsn), "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		out[Postgres] = st
	}
	return out
}

var pgSeq atomic.Int64

func freshPostgresDB(t *testing.T, dsn string) string {
	t.Helper()
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	name := fmt.Sprintf("vionet_store_%d_%d", os.Getpid(), pgSeq.Add(1))
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if admin, err := sql.Open("pgx", dsn); err == nil {
			_, _ = admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
			admin.Close()
		}
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

func svcDevice(t *testing.T, st *Store, appID, sn string, channels ...string) *domain.Device {
	t.Helper()
	d := &domain.Device{AppID: appID, DeviceSn: sn, Protocol: domain.ProtocolGB28181, Name: sn, Type: domain.DeviceIPC}
	for i, c := range channels {
		d.Type = domain.DeviceNVR
		d.Channels = append(d.Channels, domain.Channel{ChannelSn: c, ChannelID: i, Name: c})
	}
	d.ChannelCount = len(channels)
	if err := st.CreateDevice(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	return d
}

func openChange(d *domain.Device, target string, typ, days int) domain.ServiceChange {
	return domain.ServiceChange{Open: true, Service: domain.DeviceService{
		AppID: d.AppID, DeviceID: d.ID, DeviceSn: d.DeviceSn, Target: target, Type: typ, PackageType: 1,
		Attrs: domain.ServiceAttrs(typ, days, 0, 4),
	}}
}

func closeChange(d *domain.Device, target string, types ...int) domain.ServiceChange {
	return domain.ServiceChange{Service: domain.DeviceService{AppID: d.AppID, DeviceID: d.ID, Target: target}, Close: types}
}

var errNoOrder = errors.New("no order")

// admitLog refuses opens beyond the order, recording what it was asked.
type admitLog struct {
	mu    sync.Mutex
	seen  []domain.ServiceOrder
	pause time.Duration // widens the window between counting and writing
}

func (l *admitLog) admit(_ int, o domain.ServiceOrder) error {
	l.mu.Lock()
	l.seen = append(l.seen, o)
	l.mu.Unlock()
	time.Sleep(l.pause)
	if o.Used >= o.Total {
		return errNoOrder
	}
	return nil
}

func grant(t *testing.T, st *Store, appID string, typ, n int) domain.ServiceOrder {
	t.Helper()
	o, err := st.UpdateServiceOrder(context.Background(), appID, typ, func(o *domain.ServiceOrder) error {
		if o.Total+n < o.Used {
			return errNoOrder
		}
		o.Total += n
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestServices(t *testing.T) {
	for engine, st := range testStores(t) {
		t.Run(string(engine), func(t *testing.T) {
			ctx := context.Background()
			for _, a := range []string{"t1", "t2"} {
				if err := st.AddTenant(ctx, domain.Tenant{AppID: a, SecretKey: "s"}); err != nil {
					t.Fatal(err)
				}
			}
			ipc := svcDevice(t, st, "t1", "34020000001320000001")
			nvr := svcDevice(t, st, "t1", "34020000001180000001", "34020000001310000001", "34020000001310000002")
			ch0, ch1 := nvr.Channels[0].ChannelSn, nvr.Channels[1].ChannelSn
			var log admitLog

			// No order: refused, nothing written.
			err := st.ApplyServiceChanges(ctx, "t1", []domain.ServiceChange{openChange(ipc, ipc.DeviceSn, 1, 3)}, log.admit)
			if !errors.Is(err, errNoOrder) {
				t.Fatalf("open without order: %v", err)
			}
			if o := grant(t, st, "t1", 1, 2); o.Total != 2 || o.Used != 0 {
				t.Fatalf("grant: %+v", o)
			}

			// Two opens in one transaction: the second sees the first in Used.
			log.seen = nil
			if err := st.ApplyServiceChanges(ctx, "t1", []domain.ServiceChange{
				openChange(ipc, ipc.DeviceSn, 1, 3), openChange(nvr, ch0, 1, 7)}, log.admit); err != nil {
				t.Fatal(err)
			}
			if len(log.seen) != 2 || log.seen[0].Used != 0 || log.seen[1].Used != 1 || log.seen[1].Total != 2 {
				t.Fatalf("admit saw %+v", log.seen)
			}
			// Re-opening an open service updates it without asking the order.
			log.seen = nil
			if err := st.ApplyServiceChanges(ctx, "t1", []domain.ServiceChange{openChange(ipc, ipc.DeviceSn, 1, 30)}, log.admit); err != nil || len(log.seen) != 0 {
				t.Fatalf("re-open: %v, admit %+v", err, log.seen)
			}
			sv, open, err := st.DeviceService(ctx, ipc.ID, ipc.DeviceSn, 1)
			if err != nil || !open || sv.Attr(domain.ServCloudDays) != "30" || sv.Attr(domain.ServBitrateCap) != "4" || sv.DeviceSn != ipc.DeviceSn {
				t.Fatalf("service %+v open=%v err=%v", sv, open, err)
			}
			// The order is full: a third camera is refused and the batch rolls back entirely.
			err = st.ApplyServiceChanges(ctx, "t1", []domain.ServiceChange{
				closeChange(ipc, ipc.DeviceSn), openChange(nvr, ch1, 1, 3), openChange(nvr, ch1, 4, 0)}, log.admit)
			if !errors.Is(err, errNoOrder) {
				t.Fatalf("over the order: %v", err)
			}
			if _, open, _ := st.DeviceService(ctx, ipc.ID, ipc.DeviceSn, 1); !open {
				t.Fatal("a failed batch closed a service")
			}
			orders, err := st.ServiceOrders(ctx, "t1")
			if err != nil || len(orders) != 1 || orders[0] != (domain.ServiceOrder{AppID: "t1", Type: 1, Total: 2, Used: 2}) {
				t.Fatalf("orders %+v %v", orders, err)
			}
			plans, err := st.RecordingPlans(ctx)
			if err != nil || len(plans) != 2 || plans[0] != (domain.RecordingPlan{AppID: "t1", DeviceID: ipc.ID, DeviceSn: ipc.DeviceSn, Target: ipc.DeviceSn, Days: 30, BitrateCap: 4}) ||
				plans[1].Target != ch0 || plans[1].Days != 7 {
				t.Fatalf("plans %+v %v", plans, err)
			}

			// Reducing below used is refused; closing frees the order; a closed service is remembered.
			if _, err := st.UpdateServiceOrder(ctx, "t1", 1, func(o *domain.ServiceOrder) error {
				if o.Used != 2 {
					t.Errorf("used %d", o.Used)
				}
				return errNoOrder
			}); !errors.Is(err, errNoOrder) {
				t.Fatal(err)
			}
			if err := st.ApplyServiceChanges(ctx, "t1", []domain.ServiceChange{closeChange(ipc, ipc.DeviceSn, 1), closeChange(ipc, ipc.DeviceSn)}, log.admit); err != nil {
				t.Fatal(err)
			}
			sv, open, err = st.DeviceService(ctx, ipc.ID, ipc.DeviceSn, 1)
			if err != nil || open || sv.Attr(domain.ServCloudDays) != "30" {
				t.Fatalf("closed service %+v open=%v err=%v", sv, open, err)
			}
			if list, _ := st.DeviceServices(ctx, ipc.ID, ipc.DeviceSn); len(list) != 0 {
				t.Fatalf("closed service listed: %+v", list)
			}
			if _, _, err := st.DeviceService(ctx, ipc.ID, ipc.DeviceSn, 3); !errors.Is(err, domain.ErrNotFound) {
				t.Fatalf("never opened: %v", err)
			}
			// Reopening counts again.
			log.seen = nil
			if err := st.ApplyServiceChanges(ctx, "t1", []domain.ServiceChange{openChange(ipc, ipc.DeviceSn, 1, 1)}, log.admit); err != nil || len(log.seen) != 1 || log.seen[0].Used != 1 {
				t.Fatalf("reopen: %v %+v", err, log.seen)
			}

			// Deleting a channel, then a device, drops their services.
			if err := st.DeleteChannel(ctx, nvr.ID, nvr.Channels[0].ID); err != nil {
				t.Fatal(err)
			}
			if _, _, err := st.DeviceService(ctx, nvr.ID, ch0, 1); !errors.Is(err, domain.ErrNotFound) {
				t.Fatalf("service of a deleted channel: %v", err)
			}
			if err := st.DeleteDevice(ctx, ipc.ID); err != nil {
				t.Fatal(err)
			}
			if orders, _ := st.ServiceOrders(ctx, ""); len(orders) != 1 || orders[0].Used != 0 {
				t.Fatalf("orders after deletes %+v", orders)
			}
			if plans, _ := st.RecordingPlans(ctx); len(plans) != 0 {
				t.Fatalf("plans after deletes %+v", plans)
			}
		})
	}
}

// Concurrent opens of different cameras never use more than the order, and a transaction
// that fails on one type leaves no trace of the other.
func TestServiceOrderRace(t *testing.T) {
	for engine, st := range testStores(t) {
		t.Run(string(engine), func(t *testing.T) {
			ctx := context.Background()
			if err := st.AddTenant(ctx, domain.Tenant{AppID: "t1", SecretKey: "s"}); err != nil {
				t.Fatal(err)
			}
			const cameras, total = 12, 5
			grant(t, st, "t1", 1, cameras)
			grant(t, st, "t1", 4, total)
			devs := make([]*domain.Device, cameras)
			for i := range devs {
				devs[i] = svcDevice(t, st, "t1", fmt.Sprintf("340200000013200%05d", i))
			}
			var ok atomic.Int32
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i, d := range devs {
				wg.Go(func() {
					<-start
					log := admitLog{pause: 5 * time.Millisecond}
					// Types 1 and 4 in either order: PostgreSQL row locks would deadlock if
					// they were not taken in type order.
					changes := []domain.ServiceChange{openChange(d, d.DeviceSn, 4, 0), openChange(d, d.DeviceSn, 1, 1)}
					if i%2 == 0 {
						changes[0], changes[1] = changes[1], changes[0]
					}
					switch err := st.ApplyServiceChanges(ctx, "t1", changes, log.admit); {
					case err == nil:
						ok.Add(1)
					case !errors.Is(err, errNoOrder):
						t.Errorf("%s: %v", d.DeviceSn, err)
					}
				})
			}
			close(start)
			wg.Wait()
			orders, err := st.ServiceOrders(ctx, "t1")
			if err != nil {
				t.Fatal(err)
			}
			want := []domain.ServiceOrder{{AppID: "t1", Type: 1, Total: cameras, Used: total}, {AppID: "t1", Type: 4, Total: total, Used: total}}
			if ok.Load() != total || !reflect.DeepEqual(orders, want) {
				t.Fatalf("%d opens succeeded, orders %+v", ok.Load(), orders)
			}
		})
	}
}

// Services opened on an IPC's own code follow it when it reports its lens as its only
// channel: reads name the channel at once, and the next change moves the rows without
// using the order again.
func TestServicesFollowIPCLens(t *testing.T) {
	for engine, st := range testStores(t) {
		t.Run(string(engine), func(t *testing.T) {
			ctx := context.Background()
			if err := st.AddTenant(ctx, domain.Tenant{AppID: "t1", SecretKey: "s"}); err != nil {
				t.Fatal(err)
			}
			grant(t, st, "t1", 1, 1)
			ipc := svcDevice(t, st, "t1", "34020000001320000001")
			var log admitLog
			if err := st.ApplyServiceChanges(ctx, "t1", []domain.ServiceChange{openChange(ipc, ipc.DeviceSn, 1, 3)}, log.admit); err != nil {
				t.Fatal(err)
			}
			lens := []domain.Channel{{ChannelSn: "34020000001310000009", Name: "lens"}}
			if err := st.AddChannels(ctx, ipc.ID, lens); err != nil {
				t.Fatal(err)
			}
			plans, err := st.RecordingPlans(ctx)
			if err != nil || len(plans) != 1 || plans[0].Target != lens[0].ChannelSn {
				t.Fatalf("plans %+v %v", plans, err)
			}
			if list, err := st.DeviceServices(ctx, ipc.ID, lens[0].ChannelSn); err != nil || len(list) != 1 || list[0].Target != lens[0].ChannelSn {
				t.Fatalf("services %+v %v", list, err)
			}
			if _, open, err := st.DeviceService(ctx, ipc.ID, lens[0].ChannelSn, 1); err != nil || !open {
				t.Fatalf("service: open=%v %v", open, err)
			}
			// Re-opening through the channel is an update (the order is full).
			c := openChange(ipc, lens[0].ChannelSn, 1, 9)
			c.Alias = ipc.DeviceSn
			log.seen = nil
			if err := st.ApplyServiceChanges(ctx, "t1", []domain.ServiceChange{c}, log.admit); err != nil || len(log.seen) != 0 {
				t.Fatalf("re-open: %v, admit %+v", err, log.seen)
			}
			var targets []string
			rows, err := st.db.QueryContext(ctx, `SELECT target FROM device_services`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var s string
				_ = rows.Scan(&s)
				targets = append(targets, s)
			}
			rows.Close()
			if !reflect.DeepEqual(targets, []string{lens[0].ChannelSn}) {
				t.Fatalf("rows %v", targets)
			}
			if orders, _ := st.ServiceOrders(ctx, "t1"); orders[0].Used != 1 {
				t.Fatalf("orders %+v", orders)
			}
		})
	}
}
