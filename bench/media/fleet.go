package main

import (
	"context"
	"sync"
	"time"
)

// fleet is the readers of one protocol on one URL, grown step by step up the ladder.
type fleet struct {
	dial    dialer
	url     string
	conc    int // dials at once
	readers []reader

	dialFailed int
	firstErr   error
}

// grow dials readers until there are n (at most f.conc at once). Failed dials are counted,
// not retried: a server that refuses readers is a result.
func (f *fleet) grow(ctx context.Context, n int) {
	need := n - len(f.readers)
	if need <= 0 {
		return
	}
	var (
		mu  sync.Mutex
		wg  sync.WaitGroup
		sem = make(chan struct{}, f.conc)
	)
	for range need {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			dctx, cancel := context.WithTimeout(ctx, 15*time.Second)
			defer cancel()
			r, err := f.dial(dctx, f.url)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				f.dialFailed++
				if f.firstErr == nil {
					f.firstErr = err
				}
				return
			}
			f.readers = append(f.readers, r)
		})
	}
	wg.Wait()
}

// dead counts readers that have ended, and returns the first reason.
func (f *fleet) dead() (int, error) {
	n := 0
	var first error
	for _, r := range f.readers {
		if err := r.failed(); err != nil {
			n++
			if first == nil {
				first = err
			}
		}
	}
	return n, first
}

// lost is the RTP packets the fleet's RTSP readers have found missing so far.
func (f *fleet) lost() uint64 {
	var n uint64
	for _, r := range f.readers {
		if l, ok := r.(interface{ lostPackets() uint64 }); ok {
			n += l.lostPackets()
		}
	}
	return n
}

// counts is every reader's byte count now.
func (f *fleet) counts() []uint64 {
	out := make([]uint64, len(f.readers))
	for i, r := range f.readers {
		out[i] = r.received()
	}
	return out
}

// closeAll closes every reader, a few at a time.
func (f *fleet) closeAll() {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	for _, r := range f.readers {
		sem <- struct{}{}
		wg.Go(func() { defer func() { <-sem }(); r.close() })
	}
	wg.Wait()
	f.readers = nil
}
