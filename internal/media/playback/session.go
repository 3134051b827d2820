package playback

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vionet/vionet/internal/media/formats/h26x"
	"github.com/vionet/vionet/internal/media/hub"
)

// Playback speeds.
const (
	MinSpeed = 0.25
	MaxSpeed = 32.0
	// KeyframesOnlyAbove is the speed above which only keyframes are sent:
	// faster than that, players and networks cannot keep up with every frame
	// and a frame per GOP is enough to follow the scene ("frame extraction").
	KeyframesOnlyAbove = 4.0
)

// Errors of a playback session.
var (
	// ErrSpeed is returned for a speed outside [MinSpeed, MaxSpeed].
	ErrSpeed = errors.New("playback: speed out of range")
	// ErrSessionDone is returned by Seek and SetSpeed once the session ended.
	ErrSessionDone = errors.New("playback: session ended")
)

// Options configure a playback session.
type Options struct {
	Hub  *hub.Hub
	Path string // hub path to publish, e.g. "rec/<id>"
	// Segments are the recorded files covering the range, in ascending
	// order; they may have gaps between them.
	Segments []Segment
	// From and To bound the wall-clock range to play. Playback starts on the
	// keyframe at or before From (or on the first one after it when From
	// falls in a gap) and ends at To or at the end of the data; a zero To
	// plays to the end of the data.
	From, To time.Time
	// Speed is the initial playback rate, MinSpeed to MaxSpeed (0 means 1).
	Speed  float64
	Logger *slog.Logger
}

// Session is one recording published on the hub. Its methods are safe for
// concurrent use.
type Session struct {
	opts     Options
	log      *slog.Logger
	pub      *hub.Publisher
	video    *trackInfo
	audio    *trackInfo // nil when no audio track was published
	cmds     chan command
	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{}
	err      error        // set before done is closed
	position atomic.Int64 // wall clock of the last unit written, Unix ns

	// Owned by the playing goroutine (and by Publish before it starts).
	tl      *timeline
	speed   float64
	timer   *time.Timer
	needKey bool   // skip video until a keyframe (start, seek, leaving keyframes-only)
	anchor  anchor // maps content time to output time and to real time
	last    anchor // the last unit written
	written int
}

// anchor ties a content time to an output timestamp and to the real time at
// which a unit with that content time is (or was) due.
type anchor struct {
	content time.Duration
	out     time.Duration
	real    time.Time
}

type command struct {
	seek  *time.Time
	speed float64
	reply chan error
}

// Publish starts playing a recording on the hub path opts.Path: it opens the
// first segment, publishes the path with the recording's tracks and writes
// the first keyframe before returning, so a reader attached after Publish
// returns starts decoding at once. Units then follow in real time divided by
// the speed, with timestamps divided by the speed, so that players see a
// normal-rate stream that covers the recording faster or slower:
//
//   - above KeyframesOnlyAbove only keyframes are sent;
//   - audio is published only when the initial speed is 1, and sent only
//     while the speed is 1;
//   - gaps between segments are skipped: the output timestamps continue
//     without a jump while the wall clock under them does (see the package
//     doc).
//
// The session ends, closing the publisher, at To, at the end of the data,
// on Close, or when ctx ends: ctx bounds the whole playback, not just this
// call, so pass a context that lives as long as the viewer's session.
func Publish(ctx context.Context, opts Options) (*Session, error) {
	if opts.Hub == nil || opts.Path == "" {
		return nil, errors.New("playback: Hub and Path are required")
	}
	if opts.Speed == 0 {
		opts.Speed = 1
	}
	if err := checkSpeed(opts.Speed); err != nil {
		return nil, err
	}
	if !opts.To.IsZero() && !opts.To.After(opts.From) {
		return nil, fmt.Errorf("playback: empty range %v–%v", opts.From, opts.To)
	}
	if len(opts.Segments) == 0 {
		return nil, ErrNoData
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("path", opts.Path)
	tl := newTimeline(opts.Segments, log, false)
	if err := tl.seek(opts.From, 0); err != nil {
		return nil, err
	}
	s := &Session{
		opts: opts, log: log, tl: tl, video: tl.video, speed: opts.Speed, needKey: true,
		cmds: make(chan command), stop: make(chan struct{}), done: make(chan struct{}),
		timer: time.NewTimer(time.Hour),
	}
	s.timer.Stop()
	tracks := []hub.Track{tl.video.hubTrack()}
	if tl.audio != nil && opts.Speed == 1 {
		s.audio = tl.audio
		tracks = append(tracks, tl.audio.hubTrack())
	}
	pub, err := opts.Hub.Publish(opts.Path, tracks)
	if err != nil {
		tl.Close()
		return nil, err
	}
	s.pub = pub
	s.anchor = anchor{real: time.Now()}
	for s.written == 0 { // the first keyframe, written at once
		if err := s.step(ctx); err != nil {
			pub.Close()
			tl.Close()
			if errors.Is(err, io.EOF) {
				return nil, ErrNoData
			}
			return nil, err
		}
	}
	log.Info("playback: started", "from", opts.From, "to", opts.To, "speed", opts.Speed, "start", s.Position())
	go s.run(ctx)
	return s, nil
}

func checkSpeed(v float64) error {
	if v < MinSpeed || v > MaxSpeed || v != v {
		return fmt.Errorf("%w: %v", ErrSpeed, v)
	}
	return nil
}

// Done is closed when the session has ended and its path is unpublished.
func (s *Session) Done() <-chan struct{} { return s.done }

// Err returns why the session ended: nil when it reached To or the end of
// the data or was closed, ctx's error when its context ended, or the error
// that stopped it. It returns nil while the session runs.
func (s *Session) Err() error {
	select {
	case <-s.done:
		return s.err
	default:
		return nil
	}
}

// Close ends the session, unpublishes its path and waits for both.
func (s *Session) Close() {
	s.stopOnce.Do(func() { close(s.stop) })
	<-s.done
}

// Position returns the wall-clock time of the last unit written.
func (s *Session) Position() time.Time {
	return time.Unix(0, s.position.Load())
}

// Seek moves playback to the keyframe at or before at (the first keyframe
// after it when at falls in a gap). The path stays published and the output
// timestamps continue without a jump, so connected players simply go on.
// It fails with ErrNoData when nothing is recorded from at to To.
func (s *Session) Seek(at time.Time) error {
	if !s.opts.To.IsZero() && !at.Before(s.opts.To) {
		return fmt.Errorf("%w: %v is not before the end %v", ErrNoData, at, s.opts.To)
	}
	return s.command(command{seek: &at})
}

// SetSpeed changes the playback rate from the next unit on, with no jump in
// timestamps. Dropping to KeyframesOnlyAbove or below from a faster rate
// goes back to the frames that follow the last keyframe sent, so players go
// on from the picture they show.
func (s *Session) SetSpeed(speed float64) error {
	if err := checkSpeed(speed); err != nil {
		return err
	}
	return s.command(command{speed: speed})
}

func (s *Session) command(c command) error {
	c.reply = make(chan error, 1)
	select {
	case s.cmds <- c:
		return <-c.reply
	case <-s.done:
		return ErrSessionDone
	}
}

// run plays until the end and then tears the session down.
func (s *Session) run(ctx context.Context) {
	var err error
	for err == nil {
		err = s.step(ctx)
	}
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, errStopped):
		err = nil
	}
	s.pub.Close()
	s.tl.Close()
	s.timer.Stop()
	s.err = err
	switch {
	case err == nil, errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		s.log.Info("playback: ended", "position", s.Position(), "err", err)
	default:
		s.log.Warn("playback: stopped", "position", s.Position(), "err", err)
	}
	close(s.done)
}

var errStopped = errors.New("playback: stopped")

// step writes at most one unit. It returns io.EOF at the end.
func (s *Session) step(ctx context.Context) error {
	it, err := s.tl.next()
	if err != nil {
		return err
	}
	if !s.opts.To.IsZero() && !it.wallDTS.Before(s.opts.To) {
		return io.EOF
	}
	if !s.wanted(it) {
		return s.poll(ctx)
	}
	u, ok, err := s.load(it)
	if err != nil {
		s.log.Warn("playback: bad sample skipped", "err", err)
		s.needKey = true
		return s.poll(ctx)
	}
	if !ok {
		return s.poll(ctx)
	}
	for {
		u.DTS, u.PTS = s.out(it.dts), s.out(it.pts)
		due := s.anchor.real.Add(u.DTS - s.anchor.out)
		c, err := s.wait(ctx, due)
		if err != nil {
			return err
		}
		if c == nil {
			s.pub.Write(u)
			s.last = anchor{content: it.dts, out: u.DTS, real: due}
			s.position.Store(it.wall.UnixNano())
			s.written++
			return nil
		}
		if s.handle(c) { // a seek: this unit is no longer wanted
			return nil
		}
	}
}

// wanted decides from the index alone whether a sample is sent, before its
// payload is read.
func (s *Session) wanted(it item) bool {
	if it.ref.track != it.f.video {
		return s.audio != nil && s.speed == 1 && !s.needKey
	}
	if s.speed > KeyframesOnlyAbove || s.needKey {
		return it.ref.sync
	}
	return true
}

// load reads a sample and makes a hub unit of it; ok is false when it turns
// out not to be wanted (a sync sample that is no keyframe in the bitstream).
func (s *Session) load(it item) (hub.Unit, bool, error) {
	data, err := it.f.readSample(it.ref)
	if err != nil {
		return hub.Unit{}, false, err
	}
	if it.ref.track != it.f.video {
		return hub.Unit{Track: s.audio.id, Data: data}, true, nil
	}
	if err := toAnnexB(data); err != nil {
		return hub.Unit{}, false, err
	}
	if it.config != nil { // a segment with other parameter sets than those published
		data = append(append(make([]byte, 0, len(it.config)+len(data)), it.config...), data...)
	}
	key := h26x.IsKeyframe(h26xCodec(s.video.codec), data)
	if !key && (s.needKey || s.speed > KeyframesOnlyAbove) {
		return hub.Unit{}, false, nil
	}
	if key {
		s.needKey = false
	}
	return hub.Unit{Track: s.video.id, Keyframe: key, Data: data}, true, nil
}

// out maps content time to output timestamps.
func (s *Session) out(content time.Duration) time.Duration {
	return s.anchor.out + time.Duration(float64(content-s.anchor.content)/s.speed)
}

// poll handles pending commands without waiting.
func (s *Session) poll(ctx context.Context) error {
	for {
		c, err := s.wait(ctx, time.Time{})
		if err != nil || c == nil {
			return err
		}
		s.handle(c)
	}
}

// wait sleeps until due (not at all if due has passed), returning early with
// a command to handle, or with an error when the session must stop.
func (s *Session) wait(ctx context.Context, due time.Time) (*command, error) {
	d := time.Until(due)
	if d <= 0 {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-s.stop:
			return nil, errStopped
		case c := <-s.cmds:
			return &c, nil
		default:
			return nil, nil
		}
	}
	s.timer.Reset(d)
	defer s.timer.Stop()
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-s.stop:
		return nil, errStopped
	case c := <-s.cmds:
		return &c, nil
	case <-s.timer.C:
		return nil, nil
	}
}

// handle applies a command and reports whether it repositioned the
// timeline (the unit being scheduled is then dropped).
func (s *Session) handle(c *command) bool {
	if c.seek != nil {
		err := s.seek(*c.seek)
		c.reply <- err
		return err == nil
	}
	old := s.speed
	s.speed = c.speed
	// Re-anchor at the last unit written so the new rate applies from there
	// on with no jump in timestamps or pacing.
	s.anchor = s.last
	s.log.Info("playback: speed", "speed", c.speed)
	c.reply <- nil
	if old > KeyframesOnlyAbove && c.speed <= KeyframesOnlyAbove {
		// The frames after the last keyframe were never sent: go back and
		// play them, so the stream goes on from the picture players have.
		return s.resumeAfterKeyframe()
	}
	return false
}

// resumeAfterKeyframe repositions the timeline just after the last keyframe
// written, with content times unchanged. If that fails, playback goes on
// from the next keyframe instead.
func (s *Session) resumeAfterKeyframe() bool {
	tl := newTimeline(s.opts.Segments, s.log, false)
	tl.video, tl.audio = s.tl.video, s.tl.audio
	if err := tl.seek(s.Position(), s.last.content); err == nil {
		if _, err := tl.next(); err == nil { // the keyframe itself, already sent
			s.tl.Close()
			s.tl = tl
			return true
		}
	}
	tl.Close()
	s.needKey = true
	return false
}

// seek repositions on a fresh timeline, so a failed seek leaves playback
// where it was. The new keyframe's content time follows what was played, so
// the output timestamps stay continuous; its pacing starts now.
func (s *Session) seek(at time.Time) error {
	tl := newTimeline(s.opts.Segments, s.log, false)
	tl.video, tl.audio = s.tl.video, s.tl.audio
	content := s.tl.end
	if err := tl.seek(at, content); err != nil {
		return err
	}
	s.tl.Close()
	s.tl = tl
	s.anchor = anchor{content: content, out: s.out(content), real: time.Now()}
	s.needKey = true
	s.log.Info("playback: seek", "at", at)
	return nil
}
