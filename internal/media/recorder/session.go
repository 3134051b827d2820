package recorder

import (
	"context"
	"errors"
	"time"

	"github.com/vionet/vionet/internal/media/formats/h26x"
	"github.com/vionet/vionet/internal/media/hub"
)

// session records what one hub reader delivers: one publisher's stream,
// from its GOP cache to ErrClosed (or a drop, or the recorder's end).
type session struct {
	r  *Recorder
	rd *hub.Reader
	w  *writer
	p  plan

	// continuation: when a segment is cut (not ended by a gap) the next one
	// starts exactly where it ended on the wall clock.
	cont    bool
	contEnd time.Time

	lastVideo, videoDelta time.Duration // DTS of the last video unit, and the step before it
	haveVideo             bool
	lastAudio, audioDelta time.Duration
	haveAudio             bool

	// held is the audio of a path with video not given to the writer yet.
	// A fragment ends at a keyframe, and only then is it known which audio
	// belongs in it: audio often arrives a little ahead of or behind the
	// video of the same instant, so each frame is placed by its DTS.
	held      []hub.Unit
	heldBytes int

	dropped     uint64 // rd.Dropped() last seen
	dropWatch   int    // units left in which to look for the resume point of a drop
	paramsError bool   // errNoParamSets reported this session
}

func newSession(r *Recorder, rd *hub.Reader) *session {
	s := &session{r: r, rd: rd, w: &r.w, p: makePlan(rd.Tracks())}
	for _, t := range s.p.skipped {
		r.log.Info("track not recorded", "track", t.ID, "codec", t.Codec.String(),
			"why", "only H.264/H.265 video and AAC audio can be stored in the fMP4 segments")
	}
	return s
}

func (s *session) run(ctx context.Context) {
	if s.p.video == nil && s.p.audio == nil {
		s.r.fail(errors.New("recorder: path " + s.r.opts.Path + " has no track that can be recorded"))
		for {
			if _, err := s.rd.Next(ctx); err != nil {
				return
			}
			s.r.c.skipped.Add(1)
		}
	}
	for {
		u, err := s.rd.Next(ctx)
		if err != nil {
			// Publisher gone, reader closed for being slow, or the recorder
			// stopping: in every case the segment ends here, cleanly.
			if errors.Is(err, hub.ErrTooSlow) {
				s.r.log.Warn("recorder too slow, hub closed its reader", "dropped", s.rd.Dropped())
			}
			s.noteDrops()
			s.end(ctx.Err() == nil)
			return
		}
		s.noteDrops()
		switch {
		case s.p.video != nil && u.Track == s.p.video.ID:
			s.video(&u)
		case s.p.audio != nil && u.Track == s.p.audio.ID:
			s.audio(&u)
		default:
			s.r.c.skipped.Add(1)
		}
	}
}

// noteDrops watches the hub's drop counter. The hub drops units while the
// recorder's queue is full and resumes on a keyframe (any unit on an
// audio-only path); since queued units are still delivered, that resume
// point is somewhere in the next queue-full of units.
func (s *session) noteDrops() {
	if d := s.rd.Dropped(); d != s.dropped {
		s.r.c.dropped.Add(d - s.dropped)
		s.dropped = d
		s.dropWatch = dropWindow
	} else if s.dropWatch > 0 {
		s.dropWatch--
	}
}

// resumed reports whether a unit that steps delta from its predecessor is
// where the hub resumed after a drop: only a drop can make a regular stream
// skip frames, which shows as a step well beyond the previous one.
func (s *session) resumed(delta, prev time.Duration) bool {
	if s.dropWatch > 0 && prev > 0 && delta > prev+prev/2 {
		s.dropWatch = 0
		return true
	}
	return false
}

func (s *session) video(u *hub.Unit) {
	if !hasNAL(u.Data) { // an empty sample would make the fragment unreadable
		s.r.c.skipped.Add(1)
		return
	}
	w := s.w
	delta := u.DTS - s.lastVideo
	if w.isOpen() {
		switch {
		case delta < 0 || delta > maxJump:
			s.r.log.Info("video timestamp jump, segment ended", "step", delta)
			s.end(true)
		case u.Keyframe && s.resumed(delta, s.videoDelta):
			s.r.log.Info("hub dropped units, segment ended at the gap", "step", delta)
			s.end(true)
		}
	}
	switch {
	case !w.isOpen():
		if !u.Keyframe || !s.open(u) {
			s.r.c.skipped.Add(1)
			s.haveVideo = false
			return
		}
		s.release(u.DTS) // held audio from before the start is dropped
	case u.Keyframe:
		s.release(u.DTS)
		ps := h26x.FindParamSets(h26xCodec(s.p.video.Codec), u.Data)
		changed := ps.Complete(h26xCodec(s.p.video.Codec)) && !sameParamSets(ps, w.params)
		if u.DTS-w.zero >= s.r.opts.MaxSegment || changed {
			s.cut(u.DTS, true)
			if !s.open(u) {
				s.r.c.skipped.Add(1)
				s.haveVideo = false
				return
			}
		} else if err := w.flush(u.DTS, true); err != nil {
			s.r.fail(err)
		}
	case w.pendingBytes()+len(u.Data) > maxPendingBytes || u.DTS-w.zero-fromTicks(w.videoEnd, videoTimescale) > maxPendingSpan:
		s.r.log.Warn("no keyframe for too long, segment ended", "pending", w.pendingBytes(), "span", w.pendingSpan())
		s.end(true)
		s.r.c.skipped.Add(1)
		s.haveVideo = false
		return
	}
	w.addVideo(u)
	if s.haveVideo {
		s.videoDelta = delta
	}
	s.lastVideo, s.haveVideo = u.DTS, true
}

// open starts a segment with u (a video keyframe, or the first audio frame
// of an audio-only path). It returns false if no segment could be opened.
func (s *session) open(u *hub.Unit) bool {
	var ps h26x.ParamSets
	if s.p.video != nil {
		c := h26xCodec(s.p.video.Codec)
		if ps = h26x.FindParamSets(c, u.Data); !ps.Complete(c) {
			ps = h26x.FindParamSets(c, s.p.video.Config)
		}
	}
	start := u.Received
	if start.IsZero() {
		start = s.r.opts.Now()
	}
	if s.cont {
		// Follow on from the previous segment unless the two clocks have
		// drifted apart; never overlap it.
		if d := start.Sub(s.contEnd); d <= driftTolerance {
			start = s.contEnd
		}
		s.cont = false
	}
	if start.Before(s.r.lastEnd) {
		start = s.r.lastEnd
	}
	// Timestamp steps are compared within a segment only. (The audio of a
	// path with video is only checked for order, across segments.)
	s.haveVideo, s.videoDelta = false, 0
	if s.p.video == nil {
		s.haveAudio, s.audioDelta = false, 0
	}
	if err := s.w.open(&s.p, ps, start, u.DTS); err != nil {
		if !errors.Is(err, errNoParamSets) || !s.paramsError {
			s.r.fail(err)
		}
		s.paramsError = s.paramsError || errors.Is(err, errNoParamSets)
		return false
	}
	return true
}

// cut closes the current segment because it is complete; the next one
// follows on. next is the DTS of the keyframe that starts the next one.
func (s *session) cut(next time.Duration, known bool) {
	seg, ok, err := s.w.finish(next, known)
	if err != nil {
		s.r.fail(err)
	}
	if ok {
		s.r.closed(seg)
		s.cont, s.contEnd = true, seg.End
	}
}

// end closes the current segment at a gap (or because the recorder stops);
// the next segment starts at the next keyframe.
func (s *session) end(gap bool) {
	if !s.w.isOpen() {
		return
	}
	// Held audio up to a jump's worth past the last video goes in; what is
	// further ahead waits for the next segment.
	s.release(s.lastVideo + maxJump)
	seg, ok, err := s.w.finish(0, false)
	if gap {
		s.r.c.gaps.Add(1)
	}
	s.cont = false
	if err != nil {
		s.r.fail(err)
	}
	if ok {
		s.r.closed(seg)
	}
}

// hasNAL reports whether the Annex-B access unit au holds a NAL unit.
func hasNAL(au []byte) bool {
	found := false
	h26x.ForEachNAL(au, func([]byte) bool {
		found = true
		return false
	})
	return found
}
