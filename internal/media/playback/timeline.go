package playback

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"
)

// ErrNoData is returned when the requested time or range has no recorded
// data (before the first segment, after the last, or every file unusable).
var ErrNoData = errors.New("playback: no recorded data at that time")

// timeline walks the samples of a list of segments in decoding order and
// maps each to two clocks:
//
//   - wall-clock time: Segment.Start is the time of the segment's first
//     sample, later samples follow the file's timestamps;
//   - content time: a continuous clock that starts at the position given to
//     seek and in which the gaps between segments are cut out. A segment
//     that starts within joinTolerance of the end of the previous one's
//     data follows it as on the wall clock (recorder segments tile exactly,
//     so audio and video stay in step and an hour exports as an hour); one
//     after a longer gap is placed right where the previous one's video
//     ended, so a reader of the output sees one uninterrupted stream whose
//     timestamps never jump, while the wall clock under it does. Audio that
//     would overlap audio already returned (a segment's last AAC frame
//     outlasting its video) is left out, so each track's timestamps only
//     increase.
type timeline struct {
	segs []Segment
	log  *slog.Logger
	// strict ends the timeline at a segment whose video parameter sets differ
	// from the first one's (an MP4 file has one sample description); without
	// it only a codec change ends it, and the new parameter sets are passed
	// along with the segment's first keyframe.
	strict bool

	video *trackInfo // formats fixed by the first segment opened
	audio *trackInfo

	idx    int           // index of the open segment
	f      *segmentFile  // nil when not started or past the end
	base   time.Duration // file media time at segs[idx].Start
	offset time.Duration // content time of segs[idx].Start
	frag   []sampleRef
	pos    int
	config []byte // parameter sets to pass with the next video sample, if changed

	// Content end (decoding time + duration) of the samples returned: of
	// all, of the video and of the audio track.
	end, videoEnd, audioEnd time.Duration
}

// joinTolerance is the largest hole between two segments that is kept as
// it is rather than cut out: jitter in the index, not a recording pause.
const joinTolerance = time.Second

// item is one sample placed on the timeline.
type item struct {
	ref      sampleRef
	f        *segmentFile
	wall     time.Time     // wall-clock presentation time
	wallDTS  time.Time     // wall-clock decoding time
	dts, pts time.Duration // content time
	dur      time.Duration
	config   []byte // new video parameter sets (Annex-B) to put before this sample
}

func newTimeline(segs []Segment, log *slog.Logger, strict bool) *timeline {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &timeline{segs: segs, log: log, strict: strict, idx: -1}
}

// Close closes the open segment.
func (t *timeline) Close() {
	if t.f != nil {
		t.f.Close()
		t.f = nil
	}
}

// open opens segment i and loads its first fragment. It reports false when
// the segment is unusable (logged) and err when the timeline must end there.
func (t *timeline) open(i int) (bool, error) {
	t.Close()
	seg := t.segs[i]
	f, err := openSegment(seg.Path)
	if err != nil {
		t.log.Warn("playback: skipping segment", "path", seg.Path, "err", err)
		return false, nil
	}
	if t.video != nil && f.video.codec != t.video.codec {
		f.Close()
		return false, fmt.Errorf("%s: video codec changes from %v to %v", seg.Path, t.video.codec, f.video.codec)
	}
	if t.strict && t.video != nil && !f.video.sameFormat(t.video) {
		f.Close()
		return false, fmt.Errorf("%s: video parameter sets change", seg.Path)
	}
	frag, err := f.nextFragment()
	if err != nil {
		if !errors.Is(err, io.EOF) {
			t.log.Warn("playback: skipping segment", "path", seg.Path, "err", err)
		}
		f.Close()
		return false, nil
	}
	if t.video == nil {
		t.video, t.audio = f.video, f.audio
	}
	t.config = nil
	if !f.video.sameFormat(t.video) {
		t.config = f.video.config
	}
	t.idx, t.f, t.frag, t.pos = i, f, frag, 0
	// Segment.Start is the wall-clock time of the earliest decoding time in
	// the file (media time 0 in the recorder's files, whatever the tfdt of
	// other writers' files start at).
	t.base = frag[0].track.toDuration(frag[0].dts)
	for _, r := range frag {
		t.base = min(t.base, r.track.toDuration(r.dts))
	}
	return true, nil
}

// seek positions the timeline on the video keyframe presented at or before
// at, or on the first keyframe after at when at falls in a gap between
// segments or before the first one, and gives that keyframe the content
// decoding time content.
func (t *timeline) seek(at time.Time, content time.Duration) error {
	t.Close()
	i := 0
	for j, s := range t.segs {
		if !s.Start.After(at) {
			i = j
		}
	}
	if s := t.segs[i]; !s.End.IsZero() && !at.Before(s.End) && s.Start.Before(at) {
		i++ // at is after this segment's data: start on the next one
	}
	for ; i < len(t.segs); i++ {
		ok, err := t.open(i)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		found, err := t.findKeyframe(at)
		if err != nil {
			t.log.Warn("playback: skipping segment", "path", t.segs[i].Path, "err", err)
			continue
		}
		if found {
			kf := t.frag[t.pos]
			t.offset = content - (kf.track.toDuration(kf.dts) - t.base)
			t.end, t.videoEnd, t.audioEnd = content, content, content
			return nil
		}
	}
	t.Close()
	return ErrNoData
}

// findKeyframe positions frag/pos on the last video sync sample presented at
// or before at in the open segment, or on its first one if at precedes it.
func (t *timeline) findKeyframe(at time.Time) (bool, error) {
	start := t.segs[t.idx].Start
	var (
		bestFrag []sampleRef
		bestPos  = -1
		bestNext int64
	)
	for frag := t.frag; ; {
		for i, r := range frag {
			if r.track != t.f.video || !r.sync {
				continue
			}
			wall := start.Add(r.track.toDuration(r.dts+r.ptsOff) - t.base)
			if wall.After(at) && bestPos >= 0 {
				goto done
			}
			bestFrag, bestPos, bestNext = frag, i, t.f.next
			if wall.After(at) {
				goto done
			}
		}
		var err error
		frag, err = t.f.nextFragment()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if bestPos >= 0 { // keep what was found before the damage
				t.log.Warn("playback: damaged segment", "path", t.segs[t.idx].Path, "err", err)
				break
			}
			return false, err
		}
	}
done:
	if bestPos < 0 {
		return false, nil
	}
	t.frag, t.pos, t.f.next = bestFrag, bestPos, bestNext
	return true, nil
}

// next returns the next sample, or io.EOF after the last segment. Audio in
// a format other than the first segment's is left out.
func (t *timeline) next() (item, error) {
	for t.f != nil {
		if t.pos < len(t.frag) {
			r := t.frag[t.pos]
			t.pos++
			video := r.track == t.f.video
			if !video && !r.track.sameFormat(t.audio) {
				continue
			}
			it := t.place(r)
			e := it.dts + it.dur
			if video {
				t.videoEnd = max(t.videoEnd, e)
			} else {
				if it.dts < t.audioEnd-time.Millisecond {
					continue
				}
				t.audioEnd = max(t.audioEnd, e)
			}
			t.end = max(t.end, e)
			if r.track == t.f.video && t.config != nil {
				it.config, t.config = t.config, nil
			}
			return it, nil
		}
		frag, err := t.f.nextFragment()
		if err == nil {
			t.frag, t.pos = frag, 0
			continue
		}
		if !errors.Is(err, io.EOF) {
			t.log.Warn("playback: rest of segment skipped", "path", t.segs[t.idx].Path, "err", err)
		}
		if err := t.advance(); err != nil {
			return item{}, err
		}
	}
	return item{}, io.EOF
}

// advance opens the next usable segment and places it on the content clock
// (see timeline).
func (t *timeline) advance() error {
	prevStart, prevOffset := t.segs[t.idx].Start, t.offset
	wallEnd := prevStart.Add(t.end - prevOffset)
	for i := t.idx + 1; i < len(t.segs); i++ {
		ok, err := t.open(i)
		if err != nil {
			t.Close()
			t.log.Info("playback: stopping at format change", "err", err)
			return io.EOF
		}
		if ok {
			t.offset = t.videoEnd
			if start := t.segs[i].Start; start.Sub(wallEnd) <= joinTolerance {
				// Never before the video already returned: overlapping
				// segments replay a little rather than go back in time.
				t.offset = max(t.offset, prevOffset+start.Sub(prevStart))
			}
			return nil
		}
	}
	t.Close()
	return io.EOF
}

// place maps r to both clocks.
func (t *timeline) place(r sampleRef) item {
	start := t.segs[t.idx].Start
	d := r.track.toDuration(r.dts) - t.base
	p := r.track.toDuration(r.dts+r.ptsOff) - t.base
	return item{
		ref:     r,
		f:       t.f,
		wall:    start.Add(p),
		wallDTS: start.Add(d),
		dts:     t.offset + d,
		pts:     t.offset + p,
		dur:     r.track.toDuration(r.dur),
	}
}

// contentAt maps a wall-clock time inside the open segment to content time.
func (t *timeline) contentAt(at time.Time) time.Duration {
	return t.offset + at.Sub(t.segs[t.idx].Start)
}
