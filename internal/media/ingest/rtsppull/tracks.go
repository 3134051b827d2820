package rtsppull

import (
	"bytes"
	"errors"
	"time"

	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtph264"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtph265"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"
	"github.com/pion/rtp"

	"github.com/vionet/vionet/internal/media/hub"
)

// Hub track IDs of a pulled stream.
const (
	videoTrackID = 0
	audioTrackID = 1
)

// dtsExtractor is mediacommon's H264 or H265 DTS extractor.
type dtsExtractor interface {
	Extract(au [][]byte, pts int64) (int64, error)
}

// videoIn turns the RTP packets of an H264 or H265 media into Annex-B
// access units with PTS and DTS.
type videoIn struct {
	codec  hub.Codec
	media  *description.Media
	format format.Format
	decode func(*rtp.Packet) ([][]byte, error)
	// params are the parameter sets known so far, from the SDP or in-band:
	// H264 [SPS, PPS], H265 [VPS, SPS, PPS].
	params  [][]byte
	dts     dtsExtractor
	needKey bool // drop until a keyframe (at start, after a DTS error)
}

// newVideoIn returns the receiver for the first H264 or H265 format of
// desc, or nil if there is none.
func newVideoIn(desc *description.Session) (*videoIn, error) {
	for _, m := range desc.Medias {
		for _, f := range m.Formats {
			switch f := f.(type) {
			case *format.H264:
				dec, err := f.CreateDecoder()
				if err != nil {
					return nil, err
				}
				sps, pps := f.SafeParams()
				return &videoIn{codec: hub.H264, media: m, format: f, decode: dec.Decode,
					params: [][]byte{clone(sps), clone(pps)}, needKey: true}, nil
			case *format.H265:
				dec, err := f.CreateDecoder()
				if err != nil {
					return nil, err
				}
				vps, sps, pps := f.SafeParams()
				return &videoIn{codec: hub.H265, media: m, format: f, decode: dec.Decode,
					params: [][]byte{clone(vps), clone(sps), clone(pps)}, needKey: true}, nil
			}
		}
	}
	return nil, nil
}

func clone(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}

// isIncomplete reports whether a decoder error only means "wait for more
// packets" (or for the start of the next access unit).
func isIncomplete(err error) bool {
	return errors.Is(err, rtph264.ErrMorePacketsNeeded) || errors.Is(err, rtph264.ErrNonStartingPacketAndNoPrevious) ||
		errors.Is(err, rtph265.ErrMorePacketsNeeded) || errors.Is(err, rtph265.ErrNonStartingPacketAndNoPrevious)
}

// learnParams records the parameter sets carried in au.
func (v *videoIn) learnParams(au [][]byte) {
	for _, n := range au {
		if i := paramIndex(v.codec, n); i >= 0 && !bytes.Equal(v.params[i], n) {
			v.params[i] = clone(n)
		}
	}
}

// ready reports whether every parameter set is known.
func (v *videoIn) ready() bool {
	for _, p := range v.params {
		if len(p) == 0 {
			return false
		}
	}
	return true
}

func (v *videoIn) isKeyframe(au [][]byte) bool {
	if v.codec == hub.H265 {
		return h265.IsRandomAccess(au)
	}
	return h264.IsRandomAccess(au)
}

// withParams returns keyframe au with the known parameter sets it lacks
// in front, so that every keyframe in the hub decodes on its own.
func (v *videoIn) withParams(au [][]byte) [][]byte {
	var have [3]bool
	for _, n := range au {
		if i := paramIndex(v.codec, n); i >= 0 {
			have[i] = true
		}
	}
	var out [][]byte
	for i, p := range v.params {
		if !have[i] && len(p) > 0 {
			out = append(out, p)
		}
	}
	if out == nil {
		return au
	}
	return append(out, au...)
}

// unit turns a received access unit into a hub unit. It returns a unit
// with nil Data while waiting for a keyframe, and an error (after which it
// waits for a keyframe again) when the DTS cannot be worked out.
func (v *videoIn) unit(au [][]byte, pts int64, key bool) (hub.Unit, error) {
	if v.needKey && !key {
		return hub.Unit{}, nil
	}
	if key {
		au = v.withParams(au)
		if v.needKey {
			v.resetDTS()
			v.needKey = false
		}
	}
	dts, err := v.dts.Extract(au, pts)
	if err != nil {
		// Without a reliable DTS the decoding order is unknown: resync on
		// the next keyframe.
		v.needKey = true
		return hub.Unit{}, err
	}
	data, err := h264.AnnexB(au).Marshal()
	if err != nil {
		v.needKey = true
		return hub.Unit{}, err
	}
	return hub.Unit{
		Track:    videoTrackID,
		PTS:      ticksToDuration(pts, 90000),
		DTS:      ticksToDuration(dts, 90000),
		Keyframe: key,
		Data:     data,
	}, nil
}

// resetDTS starts a new DTS extractor; it must be fed a keyframe first.
func (v *videoIn) resetDTS() {
	if v.codec == hub.H265 {
		d := &h265.DTSExtractor{}
		d.Initialize()
		v.dts = d
	} else {
		d := &h264.DTSExtractor{}
		d.Initialize()
		v.dts = d
	}
}

// track is the hub track of this video, from the known parameter sets.
func (v *videoIn) track() hub.Track {
	t := hub.Track{ID: videoTrackID, Codec: v.codec, ClockRate: 90000}
	var conf [][]byte
	for _, p := range v.params {
		if len(p) > 0 {
			conf = append(conf, p)
		}
	}
	t.Config, _ = h264.AnnexB(conf).Marshal()
	if v.codec == hub.H265 {
		var sps h265.SPS
		if sps.Unmarshal(v.params[1]) == nil {
			t.Width, t.Height = sps.Width(), sps.Height()
		}
	} else {
		var sps h264.SPS
		if sps.Unmarshal(v.params[0]) == nil {
			t.Width, t.Height = sps.Width(), sps.Height()
		}
	}
	return t
}

// paramIndex returns the index of a parameter set NAL unit in params, or
// -1 for other NAL units.
func paramIndex(codec hub.Codec, nal []byte) int {
	if len(nal) == 0 {
		return -1
	}
	if codec == hub.H265 {
		switch h265.NALUType((nal[0] >> 1) & 0x3f) {
		case h265.NALUType_VPS_NUT:
			return 0
		case h265.NALUType_SPS_NUT:
			return 1
		case h265.NALUType_PPS_NUT:
			return 2
		}
		return -1
	}
	switch h264.NALUType(nal[0] & 0x1f) {
	case h264.NALUTypeSPS:
		return 0
	case h264.NALUTypePPS:
		return 1
	}
	return -1
}

// audioIn turns the RTP packets of an AAC or G.711 media into hub units.
type audioIn struct {
	media *description.Media
	track hub.Track
	// frames decodes a packet into frames, each with its offset in clock
	// ticks from the packet's timestamp.
	frames func(*rtp.Packet) ([][]byte, error)
	// frameTicks is the duration of one frame in ticks (AAC: 1024 samples);
	// 0 for G.711, whose packet is one unit.
	frameTicks int64
}

// newAudioIn returns the receiver for the first AAC or G.711 format of
// desc, or nil if there is none.
func newAudioIn(desc *description.Session) (*audioIn, error) {
	for _, m := range desc.Medias {
		for _, f := range m.Formats {
			switch f := f.(type) {
			case *format.MPEG4Audio:
				if f.Config == nil {
					continue
				}
				conf, err := f.Config.Marshal()
				if err != nil {
					continue
				}
				dec, err := f.CreateDecoder()
				if err != nil {
					return nil, err
				}
				return &audioIn{
					media:      m,
					track:      hub.Track{ID: audioTrackID, Codec: hub.AAC, ClockRate: f.ClockRate(), Config: conf},
					frames:     dec.Decode,
					frameTicks: mpeg4audio.SamplesPerAccessUnit,
				}, nil
			case *format.G711:
				if f.ChannelCount > 1 {
					continue
				}
				dec, err := f.CreateDecoder()
				if err != nil {
					return nil, err
				}
				codec := hub.G711A
				if f.MULaw {
					codec = hub.G711U
				}
				return &audioIn{
					media: m,
					track: hub.Track{ID: audioTrackID, Codec: codec, ClockRate: f.ClockRate()},
					frames: func(p *rtp.Packet) ([][]byte, error) {
						s, err := dec.Decode(p)
						if err != nil {
							return nil, err
						}
						return [][]byte{s}, nil
					},
				}, nil
			}
		}
	}
	return nil, nil
}

// ticksToDuration converts ticks of a clock of the given rate to a
// duration without overflow for long-running streams.
func ticksToDuration(ticks, clock int64) time.Duration {
	return time.Duration(ticks/clock)*time.Second + time.Duration(ticks%clock)*time.Second/time.Duration(clock)
}
