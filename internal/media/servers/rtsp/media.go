package rtsp

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"
	"github.com/pion/rtp"

	"github.com/vionet/vionet/internal/media/hub"
)

// errEmptyUnit is returned for a unit with nothing to send.
var errEmptyUnit = errors.New("rtsp: empty unit")

// trackOut turns the units of one hub track into RTP packets of one RTSP
// media. It is used by a single feeder goroutine, except for params, which
// are also read when the SDP is rebuilt (guarded by the gortsplib format's
// own SafeSetParams/ReloadDesc).
type trackOut struct {
	track  hub.Track
	media  *description.Media
	clock  int64
	tsBase uint32
	encode func([]byte) ([]*rtp.Packet, error)

	// Video only: the parameter sets currently announced (H264: SPS, PPS;
	// H265: VPS, SPS, PPS), inserted before keyframes that lack them.
	params [][]byte
	// paramsChanged is set by prepareVideo when in-band parameter sets
	// replaced params, so the caller reloads the SDP of the stream.
	paramsChanged bool
}

// newTrackOut builds the RTSP media and RTP encoder of hub track t; pt is
// the dynamic payload type to use for codecs without a static one.
func newTrackOut(t hub.Track, pt uint8) (*trackOut, error) {
	o := &trackOut{track: t, tsBase: randUint32()}
	switch t.Codec {
	case hub.H264:
		o.params = paramSets(hub.H264, t.Config)
		f := &format.H264{PayloadTyp: pt, PacketizationMode: 1}
		f.SPS, f.PPS = o.params[0], o.params[1]
		enc, err := f.CreateEncoder()
		if err != nil {
			return nil, err
		}
		o.media = &description.Media{Type: description.MediaTypeVideo, Formats: []format.Format{f}}
		o.encode = o.videoEncoder(func(au [][]byte) ([]*rtp.Packet, error) { return enc.Encode(au) })
	case hub.H265:
		o.params = paramSets(hub.H265, t.Config)
		f := &format.H265{PayloadTyp: pt}
		f.VPS, f.SPS, f.PPS = o.params[0], o.params[1], o.params[2]
		enc, err := f.CreateEncoder()
		if err != nil {
			return nil, err
		}
		o.media = &description.Media{Type: description.MediaTypeVideo, Formats: []format.Format{f}}
		o.encode = o.videoEncoder(func(au [][]byte) ([]*rtp.Packet, error) { return enc.Encode(au) })
	case hub.AAC:
		var conf mpeg4audio.AudioSpecificConfig
		if err := conf.Unmarshal(t.Config); err != nil {
			return nil, fmt.Errorf("rtsp: AAC config: %w", err)
		}
		f := &format.MPEG4Audio{PayloadTyp: pt, Config: &conf, SizeLength: 13, IndexLength: 3, IndexDeltaLength: 3}
		enc, err := f.CreateEncoder()
		if err != nil {
			return nil, err
		}
		o.media = &description.Media{Type: description.MediaTypeAudio, Formats: []format.Format{f}}
		o.encode = func(b []byte) ([]*rtp.Packet, error) { return enc.Encode([][]byte{b}) }
	case hub.G711A, hub.G711U:
		rate := t.ClockRate
		if rate <= 0 {
			rate = 8000
		}
		f := &format.G711{PayloadTyp: pt, MULaw: t.Codec == hub.G711U, SampleRate: rate, ChannelCount: 1}
		if rate == 8000 {
			// Static payload types (RFC 3551): 0 is PCMU, 8 is PCMA.
			f.PayloadTyp = 8
			if f.MULaw {
				f.PayloadTyp = 0
			}
		}
		enc, err := f.CreateEncoder()
		if err != nil {
			return nil, err
		}
		o.media = &description.Media{Type: description.MediaTypeAudio, Formats: []format.Format{f}}
		o.encode = enc.Encode
	default:
		return nil, fmt.Errorf("rtsp: unsupported codec %v", t.Codec)
	}
	o.clock = int64(o.media.Formats[0].ClockRate())
	if o.clock <= 0 {
		return nil, fmt.Errorf("rtsp: track %d: no clock rate", t.ID)
	}
	return o, nil
}

// videoEncoder wraps an RTP encoder of NAL unit lists into one of Annex-B
// access units that inserts missing parameter sets before keyframes.
func (o *trackOut) videoEncoder(enc func([][]byte) ([]*rtp.Packet, error)) func([]byte) ([]*rtp.Packet, error) {
	return func(b []byte) ([]*rtp.Packet, error) {
		au, err := o.prepareVideo(b)
		if err != nil {
			return nil, err
		}
		return enc(au)
	}
}

// prepareVideo splits an Annex-B access unit into NAL units, learns
// in-band parameter sets and puts the known ones in front of a keyframe
// that lacks them, so every keyframe can be decoded on its own.
func (o *trackOut) prepareVideo(b []byte) ([][]byte, error) {
	var au h264.AnnexB
	if err := au.Unmarshal(b); err != nil {
		return nil, err
	}
	codec := o.track.Codec
	var have [3]bool
	key := false
	for _, n := range au {
		if len(n) == 0 {
			continue
		}
		i := paramIndex(codec, n)
		if i >= 0 {
			have[i] = true
			if !bytes.Equal(o.params[i], n) {
				// Copy: the hub's unit data is shared and the format keeps it.
				o.params[i] = append([]byte(nil), n...)
				o.paramsChanged = true
			}
		}
		if isKeyNAL(codec, n) {
			key = true
		}
	}
	if !key {
		return au, nil
	}
	var missing [][]byte
	for i, p := range o.params {
		if !have[i] && p != nil {
			missing = append(missing, p)
		}
	}
	if len(missing) == 0 {
		return au, nil
	}
	return append(missing, au...), nil
}

// packets encodes u and stamps the packets with u's presentation time.
func (o *trackOut) packets(u hub.Unit) ([]*rtp.Packet, error) {
	if len(u.Data) == 0 {
		return nil, errEmptyUnit
	}
	pkts, err := o.encode(u.Data)
	if err != nil {
		return nil, err
	}
	ts := o.tsBase + uint32(durationToTicks(u.PTS, o.clock))
	for _, p := range pkts {
		// Audio encoders emit offsets from the first sample; video
		// encoders leave the timestamp at zero.
		p.Timestamp += ts
	}
	return pkts, nil
}

// applyParams copies the learnt parameter sets into the SDP format; it
// returns whether they changed since the last call.
func (o *trackOut) applyParams() bool {
	if !o.paramsChanged {
		return false
	}
	o.paramsChanged = false
	switch f := o.media.Formats[0].(type) {
	case *format.H264:
		f.SafeSetParams(o.params[0], o.params[1])
	case *format.H265:
		f.SafeSetParams(o.params[0], o.params[1], o.params[2])
	}
	return true
}

// durationToTicks converts d to units of a clock of the given rate without
// overflowing for long-running streams.
func durationToTicks(d time.Duration, clock int64) int64 {
	sec := int64(d / time.Second)
	rem := int64(d % time.Second)
	return sec*clock + rem*clock/int64(time.Second)
}

// paramSets extracts the parameter sets from an Annex-B Config, in the
// order the SDP formats want them: [SPS, PPS] for H264, [VPS, SPS, PPS]
// for H265. Missing ones are nil.
func paramSets(codec hub.Codec, config []byte) [][]byte {
	n := 2
	if codec == hub.H265 {
		n = 3
	}
	out := make([][]byte, n)
	var au h264.AnnexB
	if au.Unmarshal(config) != nil {
		return out
	}
	for _, nal := range au {
		if len(nal) == 0 {
			continue
		}
		if i := paramIndex(codec, nal); i >= 0 && out[i] == nil {
			out[i] = append([]byte(nil), nal...)
		}
	}
	return out
}

// paramIndex returns the position of a parameter set NAL unit in the
// params slice, or -1 if nal is not a parameter set.
func paramIndex(codec hub.Codec, nal []byte) int {
	if codec == hub.H265 {
		if len(nal) < 2 {
			return -1
		}
		switch (nal[0] >> 1) & 0x3f {
		case 32:
			return 0
		case 33:
			return 1
		case 34:
			return 2
		}
		return -1
	}
	switch nal[0] & 0x1f {
	case 7:
		return 0
	case 8:
		return 1
	}
	return -1
}

// isKeyNAL reports whether nal starts a random access point: an IDR slice
// for H264, an IRAP picture for H265.
func isKeyNAL(codec hub.Codec, nal []byte) bool {
	if codec == hub.H265 {
		t := (nal[0] >> 1) & 0x3f
		return t >= 16 && t <= 21
	}
	return nal[0]&0x1f == 5
}

func randUint32() uint32 {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return binary.BigEndian.Uint32(b[:])
}
