package recorder

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"github.com/vionet/vionet/internal/media/hub"
)

// Defaults and fixed policies of the recorder.
const (
	DefaultMaxSegment = 60 * time.Second
	DefaultWait       = 10 * time.Second

	// syncInterval bounds what a power loss can take: fragments are written
	// as they close (a process crash loses only the fragment being
	// assembled) and fsynced at least this often.
	syncInterval = 2 * time.Second
	// maxJump is the largest DTS step between consecutive units of a track
	// that is still the same stream; a larger one, or a step back, is a gap.
	maxJump = 2 * time.Second
	// audioFragment is how much an audio-only path buffers per fragment.
	audioFragment = time.Second
	// Bounds of the fragment being assembled (a GOP): a stream whose
	// keyframes stop coming must not grow memory without end. Past them the
	// segment is closed and recording resumes at the next keyframe.
	maxPendingBytes = 64 << 20
	maxPendingSpan  = 30 * time.Second
	// driftTolerance is how far the wall clock may drift from the media
	// clock before a new segment is re-anchored to the arrival time of its
	// first unit instead of following on from the previous one.
	driftTolerance = 2 * time.Second
	// dropWindow is how many units after an observed hub drop the recorder
	// looks for the keyframe the hub resumed on (see session.video).
	dropWindow = 4096
)

// Options configure a Recorder.
type Options struct {
	Hub  *hub.Hub
	Path string // hub path to record
	Dir  string // directory of the segment files (created if missing)
	// MaxSegment: a segment is cut at the first keyframe at least this far
	// (in media time) from its start (default DefaultMaxSegment).
	MaxSegment time.Duration
	// Wait is passed to hub.Read as ReadOptions.Wait: how long one attempt
	// waits for a publisher (default DefaultWait). The recorder keeps
	// attempting until it is closed.
	Wait time.Duration
	// QueueSize is the hub reader's queue in units (default: the hub's).
	QueueSize int
	// OnSegment is called with each segment once it is closed, fsynced and
	// renamed to its final name: the application indexes it then. It runs on
	// the recorder's goroutine, so it should be quick.
	OnSegment func(Segment)
	// OnError is called with errors the recorder survives (a failed write,
	// a stream it cannot record); same goroutine.
	OnError func(error)
	Logger  *slog.Logger // default: discard
	// Now (default time.Now) times the fsyncs, and gives the start of a
	// segment whose first unit has no Received time (the hub sets it).
	Now func() time.Time
}

// Stats are the recorder's counters.
type Stats struct {
	Recording bool   // a segment file is open
	Sessions  uint64 // publisher sessions read (hub.Read successes)
	Segments  uint64 // segments closed and handed to OnSegment
	Fragments uint64 // fragments written
	Bytes     uint64 // bytes written to segment files
	Units     uint64 // units written
	Skipped   uint64 // units not recorded: before the first keyframe, unsupported tracks, bad timestamps
	Gaps      uint64 // segments ended by a gap: publisher gone, timestamp jump, hub drop, no keyframe
	Dropped   uint64 // units the hub dropped because the recorder was slow
	Errors    uint64 // errors passed to OnError
}

type counters struct {
	recording                                   atomic.Bool
	sessions, segments, fragments, bytes, units atomic.Uint64
	skipped, gaps, dropped, errors              atomic.Uint64
}

// Recorder records one hub path into segment files. See the package doc.
type Recorder struct {
	opts   Options
	log    *slog.Logger
	cancel context.CancelFunc
	done   chan struct{}
	c      counters
	w      writer // owned by the run goroutine
	// lastEnd is the end of the last segment closed: segments of one
	// recorder never overlap in wall-clock time, even when a publisher
	// comes back with a burst or a clock that runs ahead.
	lastEnd time.Time
}

// Start validates opts, creates opts.Dir and starts recording opts.Path in
// the background until ctx ends or Close is called. It does not wait for
// the publisher: the recorder waits for it (again after it goes away) for
// as long as it runs.
func Start(ctx context.Context, opts Options) (*Recorder, error) {
	if opts.Hub == nil || opts.Path == "" || opts.Dir == "" {
		return nil, errors.New("recorder: Hub, Path and Dir are required")
	}
	if opts.MaxSegment <= 0 {
		opts.MaxSegment = DefaultMaxSegment
	}
	if opts.Wait <= 0 {
		opts.Wait = DefaultWait
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("recorder: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	r := &Recorder{
		opts:   opts,
		log:    log.With("path", opts.Path),
		cancel: cancel,
		done:   make(chan struct{}),
	}
	r.w = writer{dir: opts.Dir, now: opts.Now, sync: syncInterval, c: &r.c}
	go r.run(ctx)
	return r, nil
}

// Close closes the current segment cleanly (OnSegment is called for it)
// and stops the recorder. It returns once the recorder's goroutine is done.
func (r *Recorder) Close() {
	r.cancel()
	<-r.done
}

// Stats returns a snapshot of the counters.
func (r *Recorder) Stats() Stats {
	return Stats{
		Recording: r.c.recording.Load(),
		Sessions:  r.c.sessions.Load(),
		Segments:  r.c.segments.Load(),
		Fragments: r.c.fragments.Load(),
		Bytes:     r.c.bytes.Load(),
		Units:     r.c.units.Load(),
		Skipped:   r.c.skipped.Load(),
		Gaps:      r.c.gaps.Load(),
		Dropped:   r.c.dropped.Load(),
		Errors:    r.c.errors.Load(),
	}
}

func (r *Recorder) run(ctx context.Context) {
	defer close(r.done)
	for ctx.Err() == nil {
		rd, err := r.opts.Hub.Read(ctx, r.opts.Path, hub.ReadOptions{Wait: r.opts.Wait, QueueSize: r.opts.QueueSize})
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if !errors.Is(err, hub.ErrNoPublisher) {
				r.fail(err)
				sleep(ctx, time.Second) // do not spin on a persistent failure
			}
			continue
		}
		r.c.sessions.Add(1)
		s := newSession(r, rd)
		s.run(ctx)
		rd.Close()
	}
}

// fail reports an error the recorder survives.
func (r *Recorder) fail(err error) {
	r.c.errors.Add(1)
	r.log.Warn("recorder error", "err", err)
	if r.opts.OnError != nil {
		r.opts.OnError(err)
	}
}

// closed reports a finished segment.
func (r *Recorder) closed(seg Segment) {
	r.c.segments.Add(1)
	r.lastEnd = seg.End
	r.log.Debug("segment closed", "file", seg.Path, "start", seg.Start, "duration", seg.Duration(), "size", seg.Size)
	if r.opts.OnSegment != nil {
		r.opts.OnSegment(seg)
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
