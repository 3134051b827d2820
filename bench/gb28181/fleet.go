package main

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vionet/vionet/internal/southbound/gb28181/refdevice"
)

// fleet runs one refdevice per issued device. refdevice.Fleet numbers its devices from a
// base ID (NthID), but vionet issues random codes with a password each, so the bench keeps
// its own list.
type fleet struct {
	base        refdevice.Config
	concurrency int
	issued      []issued
	devs        []*refdevice.Device // nil until started; the last attempt for each device
	lat         []time.Duration     // Start latency of the successful attempt
	errs        []error             // last Start error (nil when registered)
	firstErr    atomic.Value
}

func newFleet(base refdevice.Config, devices []issued, concurrency int) *fleet {
	base.Logger = slog.New(slog.DiscardHandler)
	return &fleet{
		base: base, concurrency: concurrency, issued: devices,
		devs: make([]*refdevice.Device, len(devices)), lat: make([]time.Duration, len(devices)),
		errs: make([]error, len(devices)),
	}
}

// start starts the devices with indices idx, at most concurrency at once, and records each
// Start's latency (UA + socket setup, then REGISTER → 401 → REGISTER with digest → 200).
func (f *fleet) start(ctx context.Context, idx []int) (ok, failed int) {
	sem := make(chan struct{}, f.concurrency)
	var wg sync.WaitGroup
	var nOK, nFail atomic.Int64
	for _, i := range idx {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return int(nOK.Load()), int(nFail.Load())
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c := f.base
			c.DeviceID, c.Password = f.issued[i].sn, f.issued[i].pwd
			d, err := refdevice.New(c)
			if err == nil {
				t0 := time.Now()
				err = d.Start(ctx)
				f.lat[i] = time.Since(t0)
			}
			f.errs[i] = err
			if err != nil {
				nFail.Add(1)
				f.firstErr.CompareAndSwap(nil, err.Error())
				return
			}
			f.devs[i] = d
			nOK.Add(1)
		}()
	}
	wg.Wait()
	return int(nOK.Load()), int(nFail.Load())
}

// failedIdx lists the devices whose last Start failed.
func (f *fleet) failedIdx() []int {
	var out []int
	for i, err := range f.errs {
		if err != nil {
			out = append(out, i)
		}
	}
	return out
}

// latencies returns the sorted Start latencies of the registered devices.
func (f *fleet) latencies() []time.Duration {
	var out []time.Duration
	for i, d := range f.devs {
		if d != nil {
			out = append(out, f.lat[i])
		}
	}
	slices.Sort(out)
	return out
}

// totals sums the running devices' counters.
type totals struct {
	running, registered                                int
	registrations, regFailures, kaOK, kaFailed, msgsIn int64
	answers, answersFailed                             int64
}

func (f *fleet) totals() totals {
	var t totals
	for _, d := range f.devs {
		if d == nil {
			continue
		}
		t.running++
		if d.Registered() {
			t.registered++
		}
		s := d.Stats()
		t.registrations += s.Registrations
		t.regFailures += s.RegisterFailures
		t.kaOK += s.KeepalivesSent
		t.kaFailed += s.KeepalivesFailed
		t.msgsIn += s.MessagesReceived
		t.answers += s.AnswersSent
		t.answersFailed += s.AnswersFailed
	}
	return t
}

func (a totals) sub(b totals) totals {
	return totals{
		running: a.running, registered: a.registered,
		registrations: a.registrations - b.registrations, regFailures: a.regFailures - b.regFailures,
		kaOK: a.kaOK - b.kaOK, kaFailed: a.kaFailed - b.kaFailed, msgsIn: a.msgsIn - b.msgsIn,
		answers: a.answers - b.answers, answersFailed: a.answersFailed - b.answersFailed,
	}
}

// recovery follows the devices after a server restart: a device has recovered once it is
// registered and, since the snapshot, either had a keepalive answered 2xx or registered
// again. It polls until every running device recovered or timeout, and returns, per
// recovered device, how long after from it was first seen recovered.
type recovery struct {
	after       []time.Duration // sorted
	reregisterd int             // devices that registered again
	missing     int             // running devices that never recovered
}

func (f *fleet) awaitRecovery(ctx context.Context, from time.Time, timeout time.Duration, poll time.Duration) recovery {
	type snap struct{ regs, ka int64 }
	snaps := make([]snap, len(f.devs))
	for i, d := range f.devs {
		if d != nil {
			s := d.Stats()
			snaps[i] = snap{s.Registrations, s.KeepalivesSent}
		}
	}
	seen := make([]time.Duration, len(f.devs))
	rereg := make([]bool, len(f.devs))
	deadline := time.Now().Add(timeout)
	for {
		left := 0
		now := time.Now()
		for i, d := range f.devs {
			if d == nil || seen[i] > 0 {
				continue
			}
			s := d.Stats()
			r := s.Registrations > snaps[i].regs
			if d.Registered() && (r || s.KeepalivesSent > snaps[i].ka) {
				seen[i] = max(now.Sub(from), time.Nanosecond)
				rereg[i] = r
				continue
			}
			left++
		}
		if left == 0 || now.After(deadline) || ctx.Err() != nil {
			var rec recovery
			for i, d := range f.devs {
				if d == nil {
					continue
				}
				if seen[i] == 0 {
					rec.missing++
					continue
				}
				rec.after = append(rec.after, seen[i])
				if rereg[i] {
					rec.reregisterd++
				}
			}
			slices.Sort(rec.after)
			return rec
		}
		time.Sleep(poll)
	}
}

// stop stops every device without unregistering.
func (f *fleet) stop() {
	sem := make(chan struct{}, f.concurrency)
	var wg sync.WaitGroup
	for _, d := range f.devs {
		if d == nil {
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			d.StopSilently()
		}()
	}
	wg.Wait()
}

func (f *fleet) firstError() string {
	if s, ok := f.firstErr.Load().(string); ok {
		return s
	}
	return ""
}

func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, len(sorted)*p/100)]
}

func fmtDur(d time.Duration) string {
	switch {
	case d == 0:
		return "–"
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond))
	}
}
