package refdevice

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
)

// DefaultFleetConcurrency is how many devices a Fleet starts at once by
// default.
const DefaultFleetConcurrency = 50

// FleetConfig describes a fleet of devices that differ only in their ID.
type FleetConfig struct {
	// Base is the configuration of every device; its DeviceID is the first
	// device's, the others follow as DeviceID+1, +2, … (see NthID).
	Base Config
	// Count is the number of devices (at least 1).
	Count int
	// Concurrency bounds how many devices start (register) at once
	// (default 50).
	Concurrency int
	// Password, when set, gives each device its password (vionet issues
	// one password per device); otherwise every device uses Base.Password.
	Password func(deviceID string) (string, error)
}

// FleetStats counts a fleet's devices.
type FleetStats struct {
	Devices    int // devices created
	Started    int // Start returned nil
	Failed     int // Start returned an error
	Registered int // currently registered
}

// Fleet runs many devices, for load generation.
type Fleet struct {
	cfg     FleetConfig
	devices []*Device
	started []atomic.Bool
	failed  atomic.Int64
	errMu   sync.Mutex
	errs    []error
}

// NewFleet creates the fleet's devices without starting them.
func NewFleet(cfg FleetConfig) (*Fleet, error) {
	if cfg.Count < 1 {
		return nil, fmt.Errorf("refdevice: fleet count %d: want at least 1", cfg.Count)
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultFleetConcurrency
	}
	f := &Fleet{cfg: cfg, started: make([]atomic.Bool, cfg.Count)}
	for i := range cfg.Count {
		c := cfg.Base
		id, err := NthID(cfg.Base.DeviceID, i)
		if err != nil {
			return nil, err
		}
		c.DeviceID = id // Username stays as given: "" means each device's own ID
		if cfg.Password != nil {
			if c.Password, err = cfg.Password(id); err != nil {
				return nil, fmt.Errorf("refdevice: password for %s: %w", id, err)
			}
		}
		d, err := New(c)
		if err != nil {
			return nil, err
		}
		f.devices = append(f.devices, d)
	}
	return f, nil
}

// Devices returns the fleet's devices in ID order.
func (f *Fleet) Devices() []*Device { return append([]*Device(nil), f.devices...) }

// Start starts every device, at most Concurrency at a time, and returns
// when all have registered or failed. It returns the failures joined (a
// fleet with some failed devices keeps the others running); ctx bounds
// the start of each device.
func (f *Fleet) Start(ctx context.Context) error {
	sem := make(chan struct{}, f.cfg.Concurrency)
	var wg sync.WaitGroup
	for i, d := range f.devices {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return errors.Join(append(f.Errors(), ctx.Err())...)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := d.Start(ctx); err != nil {
				f.failed.Add(1)
				f.errMu.Lock()
				f.errs = append(f.errs, err)
				f.errMu.Unlock()
				return
			}
			f.started[i].Store(true)
		}()
	}
	wg.Wait()
	return errors.Join(f.Errors()...)
}

// Errors returns the start failures so far.
func (f *Fleet) Errors() []error {
	f.errMu.Lock()
	defer f.errMu.Unlock()
	return append([]error(nil), f.errs...)
}

// Stats returns the fleet's counts.
func (f *Fleet) Stats() FleetStats {
	s := FleetStats{Devices: len(f.devices), Failed: int(f.failed.Load())}
	for i, d := range f.devices {
		if f.started[i].Load() {
			s.Started++
		}
		if d.Registered() {
			s.Registered++
		}
	}
	return s
}

// Stop stops every device (unregistering when unregister is true), at
// most Concurrency at a time, and returns the unregistration errors
// joined.
func (f *Fleet) Stop(unregister bool) error {
	sem := make(chan struct{}, f.cfg.Concurrency)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for _, d := range f.devices {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if !unregister {
				d.StopSilently()
				return
			}
			if err := d.Stop(); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
