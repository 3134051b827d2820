package hls

import (
	"errors"
	"fmt"

	"github.com/bluenviron/gohlslib/v2"
	"github.com/bluenviron/gohlslib/v2/pkg/codecs"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"

	"github.com/vionet/vionet/internal/media/hub"
)

// errNoTracks means the path has no track HLS can carry.
var errNoTracks = errors.New("no track HLS can carry (H.264, H.265 or AAC)")

// outTrack is one hub track as the muxer sees it.
type outTrack struct {
	hub   hub.Track
	hls   *gohlslib.Track
	rate  int      // timestamp units per second of the gohlslib track
	param [][]byte // video parameter sets, put before keyframes that lack them
}

// plan chooses the gohlslib variant and tracks for a path: the first video
// track and the first AAC track. Everything else is returned as skipped
// (with the reason) for the caller to log.
func plan(tracks []hub.Track) (gohlslib.MuxerVariant, []*outTrack, []string, error) {
	var video, audio *outTrack
	var skipped []string
	for _, t := range tracks {
		switch {
		case t.Codec.IsVideo() && video == nil:
			o, err := videoTrack(t)
			if err != nil {
				skipped = append(skipped, fmt.Sprintf("track %d (%v): %v", t.ID, t.Codec, err))
				continue
			}
			video = o
		case t.Codec == hub.AAC && audio == nil:
			var conf mpeg4audio.AudioSpecificConfig
			if err := conf.Unmarshal(t.Config); err != nil {
				skipped = append(skipped, fmt.Sprintf("track %d (AAC): bad AudioSpecificConfig: %v", t.ID, err))
				continue
			}
			audio = &outTrack{
				hub:  t,
				hls:  &gohlslib.Track{Codec: &codecs.MPEG4Audio{Config: conf}, ClockRate: conf.SampleRate},
				rate: conf.SampleRate,
			}
		case t.Codec == hub.G711A || t.Codec == hub.G711U:
			skipped = append(skipped, fmt.Sprintf("track %d (%v): HLS has no G.711, audio dropped", t.ID, t.Codec))
		default:
			skipped = append(skipped, fmt.Sprintf("track %d (%v): one video and one audio track are served", t.ID, t.Codec))
		}
	}
	var out []*outTrack
	variant := gohlslib.MuxerVariantMPEGTS
	if video != nil {
		out = append(out, video)
		if video.hub.Codec == hub.H265 {
			variant = gohlslib.MuxerVariantFMP4
		}
	}
	if audio != nil {
		out = append(out, audio)
	}
	if len(out) == 0 {
		return 0, nil, skipped, errNoTracks
	}
	return variant, out, skipped, nil
}

func videoTrack(t hub.Track) (*outTrack, error) {
	var params [][]byte
	if len(t.Config) > 0 {
		var nals h264.AnnexB
		if err := nals.Unmarshal(t.Config); err != nil {
			return nil, fmt.Errorf("bad parameter sets: %w", err)
		}
		params = nals
	}
	o := &outTrack{hub: t, rate: 90000, param: params}
	switch t.Codec {
	case hub.H264:
		c := &codecs.H264{}
		for _, n := range params {
			switch h264.NALUType(n[0] & 0x1f) {
			case h264.NALUTypeSPS:
				c.SPS = n
			case h264.NALUTypePPS:
				c.PPS = n
			}
		}
		o.hls = &gohlslib.Track{Codec: c, ClockRate: 90000}
	case hub.H265:
		c := &codecs.H265{}
		for _, n := range params {
			switch h265.NALUType((n[0] >> 1) & 0x3f) {
			case h265.NALUType_VPS_NUT:
				c.VPS = n
			case h265.NALUType_SPS_NUT:
				c.SPS = n
			case h265.NALUType_PPS_NUT:
				c.PPS = n
			}
		}
		o.hls = &gohlslib.Track{Codec: c, ClockRate: 90000}
	default:
		return nil, fmt.Errorf("unsupported video codec")
	}
	return o, nil
}

// accessUnit splits an Annex-B access unit into NAL units and, for a
// keyframe without in-band SPS, puts the track's parameter sets first: the
// MPEG-TS segments and gohlslib's DTS extractor need them at every keyframe.
func (o *outTrack) accessUnit(data []byte, keyframe bool) ([][]byte, error) {
	var nals h264.AnnexB
	if err := nals.Unmarshal(data); err != nil {
		return nil, err
	}
	if !keyframe || len(o.param) == 0 {
		return nals, nil
	}
	for _, n := range nals {
		if o.isSPS(n) {
			return nals, nil
		}
	}
	// An access unit delimiter, if any, stays first.
	lead := 0
	if o.isAUD(nals[0]) {
		lead = 1
	}
	au := make([][]byte, 0, len(o.param)+len(nals))
	au = append(au, nals[:lead]...)
	au = append(au, o.param...)
	return append(au, nals[lead:]...), nil
}

func (o *outTrack) isAUD(n []byte) bool {
	if o.hub.Codec == hub.H265 {
		return h265.NALUType((n[0]>>1)&0x3f) == h265.NALUType_AUD_NUT
	}
	return h264.NALUType(n[0]&0x1f) == h264.NALUTypeAccessUnitDelimiter
}

func (o *outTrack) isSPS(n []byte) bool {
	if o.hub.Codec == hub.H265 {
		return h265.NALUType((n[0]>>1)&0x3f) == h265.NALUType_SPS_NUT
	}
	return h264.NALUType(n[0]&0x1f) == h264.NALUTypeSPS
}
