package app

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vionet/vionet/internal/domain"
)

// Registrations arrive in storms (a restart of vionet or of a site's network brings
// thousands at once). Each must update its device row, so they are coalesced per device
// and written many to a transaction by one writer, instead of one transaction each queueing
// for the database.

// Batching limits for registration writes.
const (
	registrationBatch = 500
	registrationDelay = 50 * time.Millisecond
)

type registrationWriter struct {
	running atomic.Bool
	mu      sync.Mutex
	pending map[string]domain.Registration
	wake    chan struct{}
	// flushMu orders a batch write against an offline write for the same device, so an
	// older "online" never lands after a newer "offline".
	flushMu sync.Mutex
}

func newRegistrationWriter() *registrationWriter {
	return &registrationWriter{pending: map[string]domain.Registration{}, wake: make(chan struct{}, 1)}
}

// DeviceOnline records a (re-)registration or renewed liveness: address, transport,
// registration expiry; and, when the device was offline, the online status with its
// msgType 2 push. With the registration writer running the write is batched and this
// returns at once.
func (a *App) DeviceOnline(ctx context.Context, reg domain.Registration) error {
	w := a.registrations
	if !w.running.Load() {
		return a.writeOnline(ctx, []domain.Registration{reg})
	}
	w.mu.Lock()
	w.pending[reg.DeviceSn] = reg
	full := len(w.pending) >= registrationBatch
	w.mu.Unlock()
	if full {
		select {
		case w.wake <- struct{}{}:
		default:
		}
	}
	return nil
}

// RunRegistrationWriter writes batched registrations until ctx ends, then writes what is
// still pending.
func (a *App) RunRegistrationWriter(ctx context.Context) {
	w := a.registrations
	w.running.Store(true)
	defer w.running.Store(false)
	tick := time.NewTicker(registrationDelay)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			for a.flushRegistrations(fctx) > 0 {
			}
			cancel()
			return
		case <-tick.C:
		case <-w.wake:
		}
		for a.flushRegistrations(ctx) >= registrationBatch {
		}
	}
}

// flushRegistrations writes up to one batch and reports how many it took.
func (a *App) flushRegistrations(ctx context.Context) int {
	w := a.registrations
	w.flushMu.Lock()
	defer w.flushMu.Unlock()
	w.mu.Lock()
	batch := make([]domain.Registration, 0, min(len(w.pending), registrationBatch))
	for sn, reg := range w.pending {
		if len(batch) == registrationBatch {
			break
		}
		batch = append(batch, reg)
		delete(w.pending, sn)
	}
	w.mu.Unlock()
	if len(batch) == 0 {
		return 0
	}
	if err := a.writeOnline(ctx, batch); err != nil {
		a.log.Error("writing registrations", "count", len(batch), "err", err)
	}
	return len(batch)
}

// forgetPendingOnline drops a device's unwritten registration before an offline write;
// the caller holds flushMu.
func (w *registrationWriter) forgetPendingOnline(sn string) {
	w.mu.Lock()
	delete(w.pending, sn)
	w.mu.Unlock()
}

func (a *App) writeOnline(ctx context.Context, regs []domain.Registration) error {
	bySn := make(map[string]domain.Registration, len(regs))
	sns := make([]string, 0, len(regs))
	for _, r := range regs {
		bySn[r.DeviceSn] = r
		sns = append(sns, r.DeviceSn)
	}
	err := a.store.UpdateDevices(ctx, sns, func(d *domain.Device) ([]domain.Event, error) {
		reg := bySn[d.DeviceSn]
		d.RemoteIP, d.RemotePort, d.Transport = reg.IP, fmt.Sprint(reg.Port), reg.Transport
		d.RegisteredUntil, d.GBVersion, d.Charset = reg.Expires, reg.Version, reg.Charset
		if d.Online == domain.Online {
			return nil, nil
		}
		d.Online = domain.Online
		return []domain.Event{a.onlineEvent(d, nil, domain.Online)}, nil
	})
	return a.southErr(err)
}
