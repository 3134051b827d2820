package app

import (
	"context"
	"time"

	"github.com/vionet/vionet/internal/domain"
)

// CruiseSchedulerInterval is how often the cruise scheduler looks at the clock and the schedules.
const CruiseSchedulerInterval = time.Second

// RunCruiseScheduler starts and stops scheduled cruises (4.5.2.10) until ctx ends: a route is
// started (0x88) when the local time enters one of its weekly windows and stopped when it
// leaves them. Schedules are read from the store on every tick, so they survive restarts and
// changes made on other nodes show up at once; a start or stop that fails (device offline)
// is retried on the next tick while it is still due. A node only reaches the devices
// registered with it; the others' commands fail as offline and are not logged twice.
func (a *App) RunCruiseScheduler(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = CruiseSchedulerInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	applied := map[cruiseKey]bool{} // what was last done to each route: true started, false stopped
	failing := map[cruiseKey]bool{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			a.scheduleTick(ctx, a.now(), applied, failing)
		}
	}
}

type cruiseKey struct {
	deviceID int64
	target   string
	code     int
}

func (a *App) scheduleTick(ctx context.Context, now time.Time, applied, failing map[cruiseKey]bool) {
	if a.gb == nil {
		return
	}
	list, err := a.store.ScheduledCruises(ctx)
	if err != nil {
		a.log.Warn("cruise scheduler: reading schedules", "err", err)
		return
	}
	seen := make(map[cruiseKey]bool, len(list))
	for _, c := range list {
		k := cruiseKey{c.DeviceID, c.Target, c.Code}
		seen[k] = true
		want := InCruiseWindow(c.Schedule, now)
		if applied[k] == want {
			continue
		}
		if err := a.applyCruise(ctx, c, want); err != nil {
			if !failing[k] {
				a.log.Warn("cruise scheduler", "deviceSn", c.DeviceSn, "target", c.Target, "cruiseCode", c.Code, "start", want, "err", err)
			}
			failing[k] = true
			continue
		}
		a.log.Info("cruise scheduler", "deviceSn", c.DeviceSn, "target", c.Target, "cruiseCode", c.Code, "start", want)
		applied[k], failing[k] = want, false
	}
	for k := range applied {
		if !seen[k] {
			delete(applied, k)
			delete(failing, k)
		}
	}
}

func (a *App) applyCruise(ctx context.Context, c domain.ScheduledCruise, start bool) error {
	st, err := a.store.PTZSettings(ctx, c.DeviceID, c.Target)
	if err != nil {
		return err
	}
	h := domain.PTZHead{DeviceSn: c.DeviceSn, Target: c.Target, Address: st.Address, Invert: st.Invert}
	if start {
		return a.gb.PTZStartCruise(ctx, h, c.Code)
	}
	return a.gb.PTZStop(ctx, h, false)
}

// InCruiseWindow reports whether now (its own location) falls in one of the weekly windows:
// weekDay 1 is Monday, 7 Sunday; a window covers [startTime, endTime) seconds of that day.
func InCruiseWindow(ws []domain.CruiseWindow, now time.Time) bool {
	wd := int(now.Weekday())
	if wd == 0 {
		wd = 7
	}
	sec := now.Hour()*3600 + now.Minute()*60 + now.Second()
	for _, w := range ws {
		if w.WeekDay == wd && w.Start <= sec && sec < w.End {
			return true
		}
	}
	return false
}
