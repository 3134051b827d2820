package recorder

import (
	"time"

	"github.com/vionet/vionet/internal/media/hub"
)

// preroll is how much audio a path with video keeps while it waits for the
// keyframe that starts a segment: the frames with a DTS at or after the
// keyframe's go into the segment even if they arrived before it.
const preroll = time.Second

func (s *session) audio(u *hub.Unit) {
	if len(u.Data) == 0 {
		s.r.c.skipped.Add(1)
		return
	}
	if s.p.video != nil {
		s.audioWithVideo(u)
	} else {
		s.audioOnly(u)
	}
}

// audioWithVideo holds u until the keyframe that closes its fragment.
func (s *session) audioWithVideo(u *hub.Unit) {
	if s.haveAudio && u.DTS < s.lastAudio && s.lastAudio-u.DTS <= maxJump {
		s.r.c.skipped.Add(1) // out of order; a larger step back is a new clock
		return
	}
	s.lastAudio, s.haveAudio = u.DTS, true
	s.held = append(s.held, *u)
	s.heldBytes += len(u.Data)
	if !s.w.isOpen() {
		n := 0
		for n < len(s.held) && (u.DTS-s.held[n].DTS > preroll || s.held[n].DTS > u.DTS) {
			s.heldBytes -= len(s.held[n].Data)
			n++
		}
		s.r.c.skipped.Add(uint64(n))
		was := len(s.held)
		s.held = s.held[:copy(s.held, s.held[n:])]
		clear(s.held[len(s.held):was])
		return
	}
	if u.DTS-s.held[0].DTS > maxPendingSpan || s.w.pendingBytes()+s.heldBytes > maxPendingBytes {
		// Audio kept coming but the video stalled: the fragment its next
		// keyframe would close must not grow on. (Measured on the audio
		// clock alone, so that an offset between the tracks' clocks does
		// not count as a stall.)
		s.r.log.Warn("video stalled, segment ended", "pending", s.w.pendingBytes()+s.heldBytes)
		s.end(true)
		s.held, s.heldBytes = s.held[:0], 0
	}
}

// release gives the writer the held audio with a DTS before before; what is
// before the segment start (or has no segment) is dropped, the rest stays.
func (s *session) release(before time.Duration) {
	keep := s.held[:0]
	for i := range s.held {
		h := &s.held[i]
		switch {
		case h.DTS >= before:
			keep = append(keep, *h)
			continue
		case s.w.isOpen() && h.DTS >= s.w.zero:
			s.w.addAudio(h)
		default:
			s.r.c.skipped.Add(1)
		}
		s.heldBytes -= len(h.Data)
	}
	clear(s.held[len(keep):])
	s.held = keep
}

// audioOnly records the audio of a path without video: it starts segments
// and closes a fragment about every second.
func (s *session) audioOnly(u *hub.Unit) {
	w := s.w
	delta := u.DTS - s.lastAudio
	if w.isOpen() {
		switch {
		case delta < 0 || delta > maxJump:
			s.r.log.Info("audio timestamp jump, segment ended", "step", delta)
			s.end(true)
		case s.resumed(delta, s.audioDelta):
			s.r.log.Info("hub dropped units, segment ended at the gap", "step", delta)
			s.end(true)
		}
	}
	switch {
	case !w.isOpen():
		if !s.open(u) {
			s.r.c.skipped.Add(1)
			s.haveAudio = false
			return
		}
	case u.DTS-w.zero >= s.r.opts.MaxSegment:
		s.cut(0, false)
		if !s.open(u) {
			s.r.c.skipped.Add(1)
			s.haveAudio = false
			return
		}
	case w.pendingSpan() >= audioFragment:
		if err := w.flush(0, false); err != nil {
			s.r.fail(err)
		}
	}
	w.addAudio(u)
	if s.haveAudio {
		s.audioDelta = delta
	}
	s.lastAudio, s.haveAudio = u.DTS, true
}
