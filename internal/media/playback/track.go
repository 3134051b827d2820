package playback

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"

	"github.com/vionet/vionet/internal/media/formats/h26x"
	"github.com/vionet/vionet/internal/media/hub"
)

// trackInfo is one usable track of a segment.
type trackInfo struct {
	id        int // MP4 track ID
	timeScale int64
	codec     hub.Codec
	config    []byte // hub.Track.Config form
	width     int
	height    int
	rate      int          // audio sample rate: the hub clock rate of an AAC track
	mp4       codecs.Codec // for the exported file's sample description
}

// newTrackInfo keeps the tracks vionet can play: H.264, H.265 and AAC.
func newTrackInfo(t *fmp4.InitTrack) (*trackInfo, bool) {
	if t.TimeScale == 0 {
		return nil, false
	}
	ti := &trackInfo{id: t.ID, timeScale: int64(t.TimeScale), mp4: t.Codec}
	var sps []byte
	switch c := t.Codec.(type) {
	case *codecs.H264:
		ti.codec, sps = hub.H264, c.SPS
		ti.config = h26x.JoinAnnexB(c.SPS, c.PPS)
	case *codecs.H265:
		ti.codec, sps = hub.H265, c.SPS
		ti.config = h26x.JoinAnnexB(c.VPS, c.SPS, c.PPS)
	case *codecs.MPEG4Audio:
		cfg, err := c.Config.Marshal()
		if err != nil {
			return nil, false
		}
		ti.codec, ti.config, ti.rate = hub.AAC, cfg, c.Config.SampleRate
		return ti, true
	default:
		return nil, false
	}
	w, h, err := h26x.Dimensions(h26xCodec(ti.codec), sps)
	if err == nil {
		ti.width, ti.height = w, h
	}
	return ti, true
}

// hubTrack is the track as published on the hub.
func (t *trackInfo) hubTrack() hub.Track {
	rate := t.rate
	if t.codec.IsVideo() || rate <= 0 {
		rate = 90000
	}
	return hub.Track{ID: t.id, Codec: t.codec, ClockRate: rate, Width: t.width, Height: t.height, Config: t.config}
}

// sameFormat reports whether samples of t can follow samples of o in one
// stream or file without a new sample description.
func (t *trackInfo) sameFormat(o *trackInfo) bool {
	return o != nil && t.codec == o.codec && bytes.Equal(t.config, o.config)
}

// toDuration converts ticks of t's timescale to a duration without overflow
// for any value a segment can hold (hours at 90 kHz).
func (t *trackInfo) toDuration(ticks int64) time.Duration {
	sec, rem := ticks/t.timeScale, ticks%t.timeScale
	return time.Duration(sec)*time.Second + time.Duration(rem)*time.Second/time.Duration(t.timeScale)
}

// toTicks converts a duration to t's timescale, rounded to the nearest tick
// so that toTicks(toDuration(x)) == x.
func (t *trackInfo) toTicks(d time.Duration) int64 {
	sec, rem := int64(d/time.Second), int64(d%time.Second)
	return sec*t.timeScale + (rem*t.timeScale+int64(time.Second)/2)/int64(time.Second)
}

func h26xCodec(c hub.Codec) h26x.Codec {
	if c == hub.H265 {
		return h26x.H265
	}
	return h26x.H264
}

// sampleRef locates one sample in a segment file.
type sampleRef struct {
	track  *trackInfo
	dts    int64 // decoding time, in track ticks
	ptsOff int64 // composition offset, in track ticks
	dur    int64 // in track ticks
	sync   bool  // a sync sample (video keyframe; every audio frame)
	off    int64 // payload offset in the file
	size   int64
}

// mergeByDTS interleaves two decoding-order sample lists by decoding time;
// at equal times video comes first, so a fragment starts on its keyframe.
func mergeByDTS(video, audio []sampleRef) []sampleRef {
	if len(audio) == 0 {
		return video
	}
	out := make([]sampleRef, 0, len(video)+len(audio))
	for len(video) > 0 || len(audio) > 0 {
		if len(audio) == 0 || (len(video) > 0 && !audio[0].before(video[0])) {
			out = append(out, video[0])
			video = video[1:]
			continue
		}
		out = append(out, audio[0])
		audio = audio[1:]
	}
	return out
}

// before compares decoding times across timescales.
func (s sampleRef) before(o sampleRef) bool {
	return s.track.toDuration(s.dts) < o.track.toDuration(o.dts)
}

// toAnnexB rewrites a length-prefixed (AVCC/HVCC, 4-byte lengths, as both
// ffmpeg and mediacommon write) video sample into Annex-B in place: the
// 4-byte length fields become 4-byte start codes, so the size is unchanged.
func toAnnexB(b []byte) error {
	for p := 0; p < len(b); {
		if len(b)-p < 4 {
			return fmt.Errorf("%w: truncated NAL length", ErrBadSegment)
		}
		n := int(binary.BigEndian.Uint32(b[p:]))
		if n == 0 || n > len(b)-p-4 {
			return fmt.Errorf("%w: NAL length %d", ErrBadSegment, n)
		}
		copy(b[p:], []byte{0, 0, 0, 1})
		p += 4 + n
	}
	return nil
}
