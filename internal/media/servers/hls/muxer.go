package hls

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/bluenviron/gohlslib/v2"

	"github.com/vionet/vionet/internal/media/hub"
	"github.com/vionet/vionet/internal/media/token"
)

// muxer is the gohlslib muxer of one hub path with the hub reader feeding it.
// It is created by the first playlist request and removes itself from the
// handler when it stops (idle, publisher gone, handler closed).
type muxer struct {
	h      *Handler
	path   string
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc

	ready  chan struct{} // closed once started or failed
	status int           // HTTP status of a failed start (set before ready)
	err    error         // start failure (set before ready)
	done   chan struct{} // closed once a started muxer stopped

	hls      *gohlslib.Muxer
	reader   *hub.Reader
	tracks   map[int]*outTrack // by hub track ID
	hasVideo bool
	lastUsed atomic.Int64 // unix nanoseconds of the latest request
	active   atomic.Int64 // requests being served (a playlist may wait for content)
	// encodeErrs counts refused units; gohlslib reports some of them
	// through a callback, so it is not left to the feeder alone.
	encodeErrs atomic.Int64

	// feeder state, owned by the run goroutine
	based bool
	base  time.Duration // DTS of the first unit written, timestamp 0
	wall0 time.Time     // wall clock of base, for EXT-X-PROGRAM-DATE-TIME
}

// muxerFor returns the running muxer of req.path, starting one for a
// playlist request, and waits (bounded by ctx) until it has started. On
// failure it returns the HTTP status to answer.
func (h *Handler) muxerFor(ctx context.Context, req request, c token.Claims) (*muxer, int, error) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, http.StatusServiceUnavailable, errors.New("server closing")
	}
	m := h.muxers[req.path]
	if m == nil {
		if !req.isPlaylist() {
			h.mu.Unlock()
			return nil, http.StatusNotFound, errors.New("not found")
		}
		m = &muxer{
			h:     h,
			path:  req.path,
			log:   h.log.With("path", req.path),
			ready: make(chan struct{}),
			done:  make(chan struct{}),
		}
		m.ctx, m.cancel = context.WithCancel(h.ctx)
		m.touch()
		h.muxers[req.path] = m
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			m.run(c)
		}()
	}
	h.mu.Unlock()

	select {
	case <-m.ready:
	case <-ctx.Done():
		return nil, http.StatusServiceUnavailable, ctx.Err()
	}
	if m.err != nil {
		return nil, m.status, m.err
	}
	return m, 0, nil
}

// remove forgets m if it is still the path's muxer.
func (h *Handler) remove(m *muxer) {
	h.mu.Lock()
	if h.muxers[m.path] == m {
		delete(h.muxers, m.path)
	}
	h.mu.Unlock()
}

func (m *muxer) touch() { m.lastUsed.Store(time.Now().UnixNano()) }

// use marks a request in progress; the returned func ends it. A muxer is
// never idle while a request is being served, however long it waits.
func (m *muxer) use() (end func()) {
	m.active.Add(1)
	m.touch()
	return func() {
		m.touch()
		m.active.Add(-1)
	}
}

// run starts the muxer, feeds it until it stops, then releases everything.
func (m *muxer) run(c token.Claims) {
	defer m.cancel()
	if status, err := m.start(c); err != nil {
		m.status, m.err = status, err
		m.h.remove(m)
		close(m.ready)
		return
	}
	m.h.readers.Add(1)
	m.h.readersTotal.Add(1)
	close(m.ready)

	idle := time.AfterFunc(m.h.o.IdleTimeout, m.checkIdle)
	reason := m.feed()
	idle.Stop()

	// Forget the muxer first, so a new request starts a fresh one instead
	// of finding this closing one.
	m.h.remove(m)
	m.reader.Close()
	m.hls.Close()
	m.h.readers.Add(-1)
	close(m.done)
	m.log.Info("hls muxer stopped", "reason", reason)
}

// checkIdle stops the muxer if no request came for IdleTimeout, or re-arms
// itself for the remaining time.
func (m *muxer) checkIdle() {
	if m.ctx.Err() != nil {
		return // stopped meanwhile: do not re-arm
	}
	idle := time.Since(time.Unix(0, m.lastUsed.Load()))
	if m.active.Load() > 0 {
		idle = 0
	}
	if left := m.h.o.IdleTimeout - idle; left > 0 {
		time.AfterFunc(left, m.checkIdle)
		return
	}
	m.log.Debug("hls muxer idle", "idle", idle)
	m.cancel()
}

// start reads the path (asking the app for the stream if nobody publishes
// it) and starts the gohlslib muxer for its tracks.
func (m *muxer) start(c token.Claims) (int, error) {
	h := m.h
	r, err := h.o.Hub.Read(m.ctx, m.path, hub.ReadOptions{})
	if errors.Is(err, hub.ErrNoPublisher) {
		if h.o.Demand != nil {
			dctx, cancel := context.WithTimeout(m.ctx, h.o.ReadWait)
			err = h.o.Demand(dctx, m.path, c)
			cancel()
			if err != nil {
				h.demandFailures.Add(1)
				m.log.Warn("demand failed", "err", err)
				return http.StatusServiceUnavailable, fmt.Errorf("stream unavailable: %w", err)
			}
		}
		r, err = h.o.Hub.Read(m.ctx, m.path, hub.ReadOptions{Wait: h.o.ReadWait})
	}
	if err != nil {
		if errors.Is(err, hub.ErrNoPublisher) {
			h.noStream.Add(1)
			return http.StatusNotFound, errors.New("no stream on this path")
		}
		return http.StatusServiceUnavailable, err
	}

	variant, tracks, skipped, err := plan(r.Tracks())
	for _, s := range skipped {
		m.log.Info("hls track skipped", "track", s)
	}
	if err != nil {
		r.Close()
		m.log.Warn("hls refused", "err", err)
		return http.StatusNotFound, err
	}
	m.tracks = make(map[int]*outTrack, len(tracks))
	hlsTracks := make([]*gohlslib.Track, 0, len(tracks))
	for _, t := range tracks {
		m.tracks[t.hub.ID] = t
		hlsTracks = append(hlsTracks, t.hls)
		m.hasVideo = m.hasVideo || t.hub.Codec.IsVideo()
	}
	m.hls = &gohlslib.Muxer{
		Tracks:             hlsTracks,
		Variant:            variant,
		SegmentCount:       h.o.SegmentCount,
		SegmentMinDuration: h.o.SegmentDuration,
		OnEncodeError:      m.encodeError,
	}
	if err := m.hls.Start(); err != nil {
		r.Close()
		m.log.Warn("hls muxer refused the tracks", "err", err)
		return http.StatusNotFound, fmt.Errorf("tracks not supported by HLS: %w", err)
	}
	m.reader = r
	m.log.Info("hls muxer started", "variant", variantName(variant), "tracks", len(tracks))
	return 0, nil
}

// feed copies units from the hub reader to the muxer until the reader ends
// or the muxer is stopped, and returns why it ended.
func (m *muxer) feed() string {
	for {
		u, err := m.reader.Next(m.ctx)
		switch {
		case m.ctx.Err() != nil:
			if m.h.ctx.Err() != nil {
				return "server closing"
			}
			return "idle"
		case errors.Is(err, hub.ErrClosed):
			return "publisher gone"
		case err != nil:
			return err.Error()
		}
		if err := m.write(u); err != nil {
			m.encodeError(err)
		}
	}
}

// write hands one unit to gohlslib with timestamps counted from the first
// keyframe, which the hub's GOP cache delivers first.
func (m *muxer) write(u hub.Unit) error {
	t := m.tracks[u.Track]
	if t == nil || len(u.Data) == 0 {
		return nil
	}
	video := t.hub.Codec.IsVideo()
	if !m.based {
		if m.hasVideo && !(video && u.Keyframe) {
			return nil
		}
		m.based, m.base, m.wall0 = true, u.DTS, u.Received
		if m.wall0.IsZero() {
			m.wall0 = time.Now()
		}
	}
	rel := u.PTS - m.base
	if rel < 0 {
		// Audio captured before the first keyframe, or leading pictures of
		// an open GOP: nothing a viewer could play.
		return nil
	}
	ts := durationToTS(rel, t.rate)
	ntp := m.wall0.Add(rel)
	switch t.hub.Codec {
	case hub.H264:
		au, err := t.accessUnit(u.Data, u.Keyframe)
		if err != nil {
			return err
		}
		return m.hls.WriteH264(t.hls, ntp, ts, au)
	case hub.H265:
		au, err := t.accessUnit(u.Data, u.Keyframe)
		if err != nil {
			return err
		}
		return m.hls.WriteH265(t.hls, ntp, ts, au)
	case hub.AAC:
		return m.hls.WriteMPEG4Audio(t.hls, ntp, ts, [][]byte{u.Data})
	}
	return nil
}

// encodeError counts a unit the muxer could not take; the first one of a
// muxer is logged as a warning, the rest at debug level so a broken camera
// does not flood the log.
func (m *muxer) encodeError(err error) {
	m.h.encodeErrors.Add(1)
	if m.encodeErrs.Add(1) == 1 {
		m.log.Warn("hls muxer: unit refused (further ones logged at debug level)", "err", err)
		return
	}
	m.log.Debug("hls muxer: unit refused", "err", err)
}

// durationToTS converts d to units of rate per second without overflowing
// for long-running streams.
func durationToTS(d time.Duration, rate int) int64 {
	secs, rem := int64(d/time.Second), int64(d%time.Second)
	return secs*int64(rate) + rem*int64(rate)/int64(time.Second)
}

func variantName(v gohlslib.MuxerVariant) string {
	switch v {
	case gohlslib.MuxerVariantMPEGTS:
		return "mpegts"
	case gohlslib.MuxerVariantFMP4:
		return "fmp4"
	}
	return "lowlatency"
}
