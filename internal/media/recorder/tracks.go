package recorder

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"

	"github.com/vionet/vionet/internal/media/formats/h26x"
	"github.com/vionet/vionet/internal/media/hub"
)

// Track IDs and the video timescale of every segment file.
const (
	videoTrackID   = 1
	audioTrackID   = 2
	videoTimescale = 90000
)

// errNoParamSets means a keyframe arrived without a complete set of
// parameter sets, in band or in Track.Config: no init can be written yet.
var errNoParamSets = errors.New("recorder: no complete parameter sets for the video track")

// plan is what the recorder keeps of a path's tracks: the first H.264/H.265
// track and the first AAC track. G.711 cannot be stored (mediacommon's fMP4
// has no A-law/µ-law sample entry), so it is left out.
type plan struct {
	video     *hub.Track
	audio     *hub.Track
	audioConf mpeg4audio.AudioSpecificConfig
	skipped   []hub.Track // tracks that are not recorded
}

func makePlan(tracks []hub.Track) plan {
	var p plan
	for i := range tracks {
		t := tracks[i]
		switch {
		case (t.Codec == hub.H264 || t.Codec == hub.H265) && p.video == nil:
			p.video = &t
		case t.Codec == hub.AAC && p.audio == nil:
			if err := p.audioConf.Unmarshal(t.Config); err == nil && p.audioConf.SampleRate > 0 {
				p.audio = &t
			} else {
				p.skipped = append(p.skipped, t)
			}
		default:
			p.skipped = append(p.skipped, t)
		}
	}
	return p
}

// audioRate is the timescale of the audio track.
func (p *plan) audioRate() int64 { return int64(p.audioConf.SampleRate) }

func h26xCodec(c hub.Codec) h26x.Codec {
	if c == hub.H265 {
		return h26x.H265
	}
	return h26x.H264
}

// initTracks returns the init tracks of a segment: video with the given
// parameter sets, and audio if planned.
func (p *plan) initTracks(ps h26x.ParamSets) ([]*fmp4.InitTrack, error) {
	var out []*fmp4.InitTrack
	if p.video != nil {
		if !ps.Complete(h26xCodec(p.video.Codec)) {
			return nil, errNoParamSets
		}
		var c codecs.Codec
		if p.video.Codec == hub.H265 {
			c = &codecs.H265{VPS: ps.VPS[0], SPS: ps.SPS[0], PPS: ps.PPS[0]}
		} else {
			c = &codecs.H264{SPS: ps.SPS[0], PPS: ps.PPS[0]}
		}
		out = append(out, &fmp4.InitTrack{ID: videoTrackID, TimeScale: videoTimescale, Codec: c})
	}
	if p.audio != nil {
		out = append(out, &fmp4.InitTrack{
			ID:        audioTrackID,
			TimeScale: uint32(p.audioConf.SampleRate),
			Codec:     &codecs.MPEG4Audio{Config: p.audioConf},
		})
	}
	return out, nil
}

// sameParamSets reports whether a and b start with the same parameter sets
// (the ones an init records).
func sameParamSets(a, b h26x.ParamSets) bool {
	first := func(s [][]byte) []byte {
		if len(s) == 0 {
			return nil
		}
		return s[0]
	}
	return bytes.Equal(first(a.VPS), first(b.VPS)) &&
		bytes.Equal(first(a.SPS), first(b.SPS)) &&
		bytes.Equal(first(a.PPS), first(b.PPS))
}

// appendAVCC appends the Annex-B access unit au to dst as 4-byte
// length-prefixed NAL units, the sample format of avc1/hvc1 tracks.
func appendAVCC(dst, au []byte) []byte {
	h26x.ForEachNAL(au, func(nal []byte) bool {
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(nal)))
		dst = append(dst, nal...)
		return true
	})
	return dst
}

// validAVCC reports whether sample is a sequence of non-empty
// length-prefixed NAL units that fills it exactly.
func validAVCC(sample []byte) bool {
	for len(sample) > 0 {
		if len(sample) < 4 {
			return false
		}
		n := binary.BigEndian.Uint32(sample)
		sample = sample[4:]
		if n == 0 || uint64(n) > uint64(len(sample)) {
			return false
		}
		sample = sample[n:]
	}
	return true
}

// avccToAnnexB converts a length-prefixed sample back to Annex-B with 4-byte
// start codes.
func avccToAnnexB(sample []byte) ([]byte, error) {
	out := make([]byte, 0, len(sample))
	for len(sample) > 0 {
		if len(sample) < 4 {
			return nil, fmt.Errorf("recorder: truncated NAL length")
		}
		n := binary.BigEndian.Uint32(sample)
		sample = sample[4:]
		if n == 0 || uint64(n) > uint64(len(sample)) {
			return nil, fmt.Errorf("recorder: bad NAL length %d", n)
		}
		out = append(out, 0, 0, 0, 1)
		out = append(out, sample[:n]...)
		sample = sample[n:]
	}
	return out, nil
}

// hubTracks turns the tracks of a segment's init into hub tracks: video
// Config as Annex-B parameter sets with the picture size from the SPS, AAC
// Config as the AudioSpecificConfig. Tracks of other codecs are left out.
func hubTracks(init *fmp4.Init) []hub.Track {
	var out []hub.Track
	for _, it := range init.Tracks {
		t := hub.Track{ID: it.ID, ClockRate: int(it.TimeScale)}
		switch c := it.Codec.(type) {
		case *codecs.H264:
			t.Codec = hub.H264
			t.Config = h26x.JoinAnnexB(c.SPS, c.PPS)
			t.Width, t.Height, _ = h26x.Dimensions(h26x.H264, c.SPS)
		case *codecs.H265:
			t.Codec = hub.H265
			t.Config = h26x.JoinAnnexB(c.VPS, c.SPS, c.PPS)
			t.Width, t.Height, _ = h26x.Dimensions(h26x.H265, c.SPS)
		case *codecs.MPEG4Audio:
			conf, err := c.Config.Marshal()
			if err != nil {
				continue
			}
			t.Codec = hub.AAC
			t.Config = conf
		default:
			continue
		}
		out = append(out, t)
	}
	return out
}
