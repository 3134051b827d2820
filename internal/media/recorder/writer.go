package recorder

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4/seekablebuffer"

	"github.com/vionet/vionet/internal/media/formats/h26x"
	"github.com/vionet/vionet/internal/media/hub"
)

// Durations assumed for a last sample whose successor is unknown (end of a
// segment) and that has no predecessor to copy: one frame at 25 fps, one
// AAC frame.
const (
	defaultVideoDur = videoTimescale / 25
	defaultAudioDur = 1024
)

// pendingSample is a sample of the fragment being assembled; its payload
// lives in writer.arena (offsets, because the arena may move as it grows).
type pendingSample struct {
	dts    int64 // ticks since the segment's media time 0
	ptsOff int32
	sync   bool
	off, n int
}

// writer writes segment files: one at a time, the fragment being assembled
// in memory and written with a single Write once the next keyframe closes
// it. Its buffers are kept from one segment to the next.
type writer struct {
	dir  string
	now  func() time.Time
	sync time.Duration // fsync interval
	c    *counters

	// current segment
	f         *os.File
	part      string
	start     time.Time     // wall clock of media time 0
	zero      time.Duration // hub DTS of media time 0
	codec     hub.Codec
	hasAudio  bool
	audioRate int64
	params    h26x.ParamSets // in the init
	seq       uint32
	size      int64 // init + complete fragments written
	frags     int
	lastSync  time.Time
	videoEnd  int64 // media end of the written fragments, ticks
	audioEnd  int64
	videoDur  int64 // duration of the last video sample written
	audioDur  int64

	// fragment being assembled
	arena        []byte
	video, audio []pendingSample

	// scratch
	out     seekablebuffer.Buffer
	samples []fmp4.Sample
}

// isOpen reports whether a segment is being written.
func (w *writer) isOpen() bool { return w.f != nil }

// open starts a segment whose media time 0 is the hub DTS zero and whose
// wall-clock start is start (to the millisecond: the file name). It writes
// the init. If a file of that name exists, the start moves on by 1 ms.
func (w *writer) open(p *plan, params h26x.ParamSets, start time.Time, zero time.Duration) error {
	tracks, err := p.initTracks(params)
	if err != nil {
		return err
	}
	w.reset()
	w.out.Reset()
	w.out.Seek(0, io.SeekStart) //nolint:errcheck // cannot fail on a buffer
	if err := (&fmp4.Init{Tracks: tracks}).Marshal(&w.out); err != nil {
		return fmt.Errorf("recorder: init: %w", err)
	}
	// Rounded up to the millisecond: a segment that follows on from another
	// never starts before it ended.
	start = time.UnixMilli(start.Add(time.Millisecond - 1).UnixMilli())
	var f *os.File
	var name string
	for range 1000 {
		name = filepath.Join(w.dir, fileName(start, partExt))
		if _, err = os.Lstat(strings.TrimSuffix(name, ".part")); err == nil {
			start = start.Add(time.Millisecond)
			continue
		}
		f, err = os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			start = start.Add(time.Millisecond)
			continue
		}
		if err != nil {
			return fmt.Errorf("recorder: %w", err)
		}
		w.part = name
		break
	}
	if f == nil {
		return fmt.Errorf("recorder: no free file name up to %s", name)
	}
	if _, err := f.Write(w.out.Bytes()); err != nil {
		f.Close()
		os.Remove(w.part)
		return fmt.Errorf("recorder: write init: %w", err)
	}
	// The directory entry must be durable for the fsynced fragments to be
	// found after a power loss.
	if err := syncDir(w.dir); err != nil {
		f.Close()
		os.Remove(w.part)
		return fmt.Errorf("recorder: %w", err)
	}
	w.f, w.start, w.zero = f, start, zero
	w.size = int64(w.out.Len())
	w.c.bytes.Add(uint64(w.size))
	w.c.recording.Store(true)
	w.seq = 1
	w.lastSync = w.now()
	w.params = params.Clone()
	if p.video != nil {
		w.codec = p.video.Codec
	}
	if p.audio != nil {
		w.hasAudio, w.audioRate = true, p.audioRate()
	}
	return nil
}

// reset forgets the current segment (not the buffers).
func (w *writer) reset() {
	w.f, w.part, w.codec, w.hasAudio, w.audioRate = nil, "", 0, false, 0
	w.params = h26x.ParamSets{}
	w.size, w.frags, w.seq = 0, 0, 0
	w.videoEnd, w.audioEnd, w.videoDur, w.audioDur = 0, 0, 0, 0
	w.arena, w.video, w.audio = w.arena[:0], w.video[:0], w.audio[:0]
}

// addVideo queues a video access unit (Annex-B) for the current fragment.
func (w *writer) addVideo(u *hub.Unit) {
	dts := toTicks(u.DTS-w.zero, videoTimescale)
	off := len(w.arena)
	w.arena = appendAVCC(w.arena, u.Data)
	w.video = append(w.video, pendingSample{
		dts:    dts,
		ptsOff: clampInt32(toTicks(u.PTS-w.zero, videoTimescale) - dts),
		sync:   u.Keyframe,
		off:    off,
		n:      len(w.arena) - off,
	})
}

// addAudio queues an audio frame for the current fragment.
func (w *writer) addAudio(u *hub.Unit) {
	off := len(w.arena)
	w.arena = append(w.arena, u.Data...)
	w.audio = append(w.audio, pendingSample{
		dts:  toTicks(u.DTS-w.zero, w.audioRate),
		sync: true,
		off:  off,
		n:    len(u.Data),
	})
}

// pending reports whether a fragment is being assembled.
func (w *writer) pending() bool { return len(w.video)+len(w.audio) > 0 }

// pendingBytes is the size of the fragment being assembled.
func (w *writer) pendingBytes() int { return len(w.arena) }

// pendingSpan is the media time the fragment being assembled covers so far.
func (w *writer) pendingSpan() time.Duration {
	if len(w.video) > 0 {
		return fromTicks(w.video[len(w.video)-1].dts-w.video[0].dts, videoTimescale)
	}
	if len(w.audio) > 0 {
		return fromTicks(w.audio[len(w.audio)-1].dts-w.audio[0].dts, w.audioRate)
	}
	return 0
}

// flush writes the fragment being assembled. If known, next is the hub DTS
// of the video unit that follows it (the keyframe that closed it), which
// gives the last video sample its exact duration; otherwise (the segment
// ends at a gap) the last duration repeats the one before.
func (w *writer) flush(next time.Duration, known bool) error {
	if !w.pending() {
		return nil
	}
	part := fmp4.Part{SequenceNumber: w.seq}
	if cap(w.samples) < len(w.video)+len(w.audio) {
		w.samples = make([]fmp4.Sample, len(w.video)+len(w.audio))
	}
	w.samples = w.samples[:len(w.video)+len(w.audio)]
	videoEnd, videoDur := w.videoEnd, w.videoDur
	if len(w.video) > 0 {
		nextTicks := int64(-1)
		if known {
			nextTicks = toTicks(next-w.zero, videoTimescale)
		}
		pt, end, last := w.track(videoTrackID, w.video, w.samples[:len(w.video)], nextTicks, w.videoDur, defaultVideoDur)
		part.Tracks = append(part.Tracks, pt)
		videoEnd, videoDur = end, last
	}
	audioEnd, audioDur := w.audioEnd, w.audioDur
	if len(w.audio) > 0 {
		pt, end, last := w.track(audioTrackID, w.audio, w.samples[len(w.video):], -1, w.audioDur, defaultAudioDur)
		part.Tracks = append(part.Tracks, pt)
		audioEnd, audioDur = end, last
	}
	w.out.Reset()
	w.out.Seek(0, io.SeekStart) //nolint:errcheck // cannot fail on a buffer
	if err := part.Marshal(&w.out); err != nil {
		return fmt.Errorf("recorder: fragment: %w", err)
	}
	// One Write per fragment: a crash leaves a prefix of it at most, which
	// Recover cuts away.
	n, err := w.f.Write(w.out.Bytes())
	if err != nil {
		if n > 0 {
			w.f.Truncate(w.size)           //nolint:errcheck // best effort; Recover cuts it too
			w.f.Seek(w.size, io.SeekStart) //nolint:errcheck
		}
		return fmt.Errorf("recorder: write fragment: %w", err)
	}
	w.size += int64(n)
	w.frags++
	w.c.fragments.Add(1)
	w.c.bytes.Add(uint64(n))
	w.c.units.Add(uint64(len(w.video) + len(w.audio)))
	w.seq++
	w.videoEnd, w.videoDur, w.audioEnd, w.audioDur = videoEnd, videoDur, audioEnd, audioDur
	w.arena, w.video, w.audio = w.arena[:0], w.video[:0], w.audio[:0]
	if now := w.now(); now.Sub(w.lastSync) >= w.sync {
		if err := w.f.Sync(); err != nil {
			return fmt.Errorf("recorder: fsync: %w", err)
		}
		w.lastSync = now
	}
	return nil
}

// track builds the traf of one track from its pending samples. nextTicks,
// if >= 0, is the DTS of the sample that follows; otherwise the last
// duration repeats the previous one (prevDur, or def). It returns the media
// end of the track and the last sample's duration.
func (w *writer) track(id int, ps []pendingSample, out []fmp4.Sample, nextTicks, prevDur, def int64) (*fmp4.PartTrack, int64, int64) {
	pt := &fmp4.PartTrack{ID: id, BaseTime: uint64(ps[0].dts), Samples: make([]*fmp4.Sample, len(ps))}
	var dur int64
	for i, s := range ps {
		switch {
		case i+1 < len(ps):
			dur = ps[i+1].dts - s.dts
		case nextTicks >= s.dts:
			dur = nextTicks - s.dts
		case i > 0:
			// dur keeps the previous sample's duration
		case prevDur > 0:
			dur = prevDur
		default:
			dur = def
		}
		dur = min(max(dur, 0), math.MaxUint32)
		out[i] = fmp4.Sample{
			Duration:        uint32(dur),
			PTSOffset:       s.ptsOff,
			IsNonSyncSample: !s.sync,
			Payload:         w.arena[s.off : s.off+s.n],
		}
		pt.Samples[i] = &out[i]
	}
	last := ps[len(ps)-1]
	return pt, last.dts + dur, dur
}

// finish writes the pending fragment, fsyncs and closes the file, renames
// it to its final name and returns the segment. If no fragment could be
// written the file is removed and ok is false.
func (w *writer) finish(next time.Duration, known bool) (seg Segment, ok bool, err error) {
	if !w.isOpen() {
		return Segment{}, false, nil
	}
	ferr := w.flush(next, known)
	f, part := w.f, w.part
	seg = w.segment()
	frags := w.frags
	w.reset()
	w.c.recording.Store(false)
	serr := f.Sync()
	cerr := f.Close()
	if frags == 0 {
		os.Remove(part)
		return Segment{}, false, errors.Join(ferr, serr, cerr)
	}
	if err := errors.Join(serr, cerr); err != nil {
		// Left as a part for Recover: what is on disk is not known to be durable.
		return Segment{}, false, fmt.Errorf("recorder: close segment: %w", errors.Join(ferr, err))
	}
	if err := os.Rename(part, seg.Path); err != nil {
		return Segment{}, false, fmt.Errorf("recorder: %w", errors.Join(ferr, err))
	}
	if err := syncDir(w.dir); err != nil {
		return seg, true, fmt.Errorf("recorder: %w", errors.Join(ferr, err))
	}
	// ferr (a last fragment lost) still lets the earlier ones stand.
	return seg, true, ferr
}

// segment describes the current segment as it stands on disk.
func (w *writer) segment() Segment {
	s := Segment{
		Path:     strings.TrimSuffix(w.part, ".part"),
		Start:    w.start,
		Size:     w.size,
		Codec:    w.codec,
		HasAudio: w.hasAudio,
	}
	if w.codec != 0 {
		s.End = w.start.Add(fromTicks(w.videoEnd, videoTimescale))
	} else {
		s.End = w.start.Add(fromTicks(w.audioEnd, w.audioRate))
	}
	return s
}

func clampInt32(v int64) int32 {
	return int32(min(max(v, math.MinInt32), math.MaxInt32))
}
