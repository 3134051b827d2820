package flv

import (
	"encoding/binary"
	"errors"
	"io"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"

	"github.com/vionet/vionet/internal/media/hub"
)

// ErrNoTracks is returned by NewWriter when none of the tracks can be
// carried in FLV (H.264, H.265, AAC with a valid config, G.711).
var ErrNoTracks = errors.New("flv: no track FLV can carry")

// Tag types (FLV spec E.4.1).
const (
	TagAudio  = 8
	TagVideo  = 9
	TagScript = 18
)

const (
	tagHeaderSize = 11
	maxKeptBuffer = 4 << 20
	maxTagData    = 1<<24 - 1

	// Legacy FLV codec ids.
	codecIDAVC   = 7
	soundG711A   = 7
	soundG711U   = 8
	soundAAC     = 10
	aacHeaderTag = 0xaf // AAC, 44 kHz, 16 bit, stereo: fixed values for AAC

	// Enhanced RTMP video: IsExHeader bit and packet types.
	exHeader                = 0x80
	packetTypeSequenceStart = 0
	packetTypeCodedFrames   = 1
	packetTypeSequenceEnd   = 2
	packetTypeCodedFramesX  = 3

	frameKey   = 1
	frameInter = 2
)

// fourCCHEVC identifies H.265 in Enhanced RTMP/FLV.
var fourCCHEVC = [4]byte{'h', 'v', 'c', '1'}

type videoState struct {
	id            int
	codec         hub.Codec
	width, height int
	params        paramSets // parameter sets of the current sequence header
	configured    bool      // a sequence header for params was written
	started       bool      // the first keyframe was written
}

type audioState struct {
	id             int
	codec          hub.Codec
	config         []byte // AAC AudioSpecificConfig
	rate, channels int
}

// Writer writes hub units of one video and one audio track as an FLV
// stream. It is not safe for concurrent use.
type Writer struct {
	w                  io.Writer
	hasVideo, hasAudio bool
	video              videoState
	audio              audioState

	buf        []byte    // the tags of one Write call, reused
	inband     paramSets // scratch: parameter sets found in a keyframe
	headerDone bool
	baseSet    bool
	base       time.Duration
	lastTS     uint32
	skipped    uint64
}

// NewWriter returns a Writer for the first H.264/H.265 track and the first
// AAC/G.711 track of tracks; other tracks are ignored. An AAC track whose
// Config is not a valid AudioSpecificConfig is ignored too.
func NewWriter(w io.Writer, tracks []hub.Track) (*Writer, error) {
	fw := &Writer{w: w}
	for _, t := range tracks {
		switch t.Codec {
		case hub.H264, hub.H265:
			if fw.hasVideo {
				continue
			}
			fw.hasVideo = true
			fw.video = videoState{id: t.ID, codec: t.Codec, width: t.Width, height: t.Height}
			fw.video.params = parseConfig(t.Codec, t.Config)
			if fw.video.width == 0 || fw.video.height == 0 {
				fw.video.width, fw.video.height, _ = videoSize(t.Codec, &fw.video.params)
			}
		case hub.AAC:
			if fw.hasAudio {
				continue
			}
			var asc mpeg4audio.AudioSpecificConfig
			if err := asc.Unmarshal(t.Config); err != nil {
				continue
			}
			fw.hasAudio = true
			channels := int(asc.ChannelConfig)
			if asc.ChannelConfig == 7 {
				channels = 8
			}
			fw.audio = audioState{id: t.ID, codec: t.Codec, config: t.Config, rate: asc.SampleRate, channels: channels}
		case hub.G711A, hub.G711U:
			if fw.hasAudio {
				continue
			}
			fw.hasAudio = true
			fw.audio = audioState{id: t.ID, codec: t.Codec, rate: 8000, channels: 1}
		}
	}
	if !fw.hasVideo && !fw.hasAudio {
		return nil, ErrNoTracks
	}
	return fw, nil
}

// Skipped returns how many units of the written tracks were dropped: units
// before the first keyframe, units without any NAL unit, video before its
// parameter sets are known.
func (w *Writer) Skipped() uint64 { return w.skipped }

// WriteHeader writes the FLV header, the onMetaData tag and the sequence
// headers known so far. WriteUnit calls it if it has not been called.
func (w *Writer) WriteHeader() error {
	if w.headerDone {
		return nil
	}
	w.headerDone = true
	flags := byte(0)
	if w.hasAudio {
		flags |= 0x04
	}
	if w.hasVideo {
		flags |= 0x01
	}
	w.buf = append(w.buf[:0], 'F', 'L', 'V', 1, flags, 0, 0, 0, 9, 0, 0, 0, 0)

	m := metadata{video: w.hasVideo, audio: w.hasAudio,
		width: w.video.width, height: w.video.height,
		audioRate: w.audio.rate, channels: w.audio.channels}
	if w.hasVideo {
		m.videoCodecID = codecIDAVC
		if w.video.codec == hub.H265 {
			// Enhanced FLV puts the FourCC's value in videocodecid.
			m.videoCodecID = float64(binary.BigEndian.Uint32(fourCCHEVC[:]))
		}
	}
	switch w.audio.codec {
	case hub.AAC:
		m.audioCodecID = soundAAC
	case hub.G711A:
		m.audioCodecID = soundG711A
	case hub.G711U:
		m.audioCodecID = soundG711U
	}
	start := w.beginTag(TagScript, 0)
	w.buf = appendMetadata(w.buf, m)
	w.endTag(start)

	if w.hasVideo && w.video.params.complete(w.video.codec) {
		w.appendSequenceHeader(0)
	}
	if w.hasAudio && w.audio.codec == hub.AAC {
		start := w.beginTag(TagAudio, 0)
		w.buf = append(w.buf, aacHeaderTag, 0)
		w.buf = append(w.buf, w.audio.config...)
		w.endTag(start)
	}
	return w.flush()
}

// WriteUnit writes u as one tag (preceded by a sequence header when the
// parameter sets changed). Units of other tracks are ignored. It returns
// only the underlying writer's errors.
func (w *Writer) WriteUnit(u hub.Unit) error {
	switch {
	case w.hasVideo && u.Track == w.video.id:
		if err := w.WriteHeader(); err != nil {
			return err
		}
		return w.writeVideo(u)
	case w.hasAudio && u.Track == w.audio.id:
		if err := w.WriteHeader(); err != nil {
			return err
		}
		return w.writeAudio(u)
	}
	return nil
}

func (w *Writer) writeVideo(u hub.Unit) error {
	v := &w.video
	if !v.started && !u.Keyframe {
		w.skipped++
		return nil
	}
	w.buf = w.buf[:0]
	w.inband.reset()
	count := 0
	it := annexB{rest: u.Data}
	for n := it.next(); n != nil; n = it.next() {
		if w.isAUD(n) {
			continue
		}
		if u.Keyframe {
			w.inband.add(v.codec, n)
		}
		count++
	}
	if count == 0 {
		w.skipped++
		return nil
	}
	if u.Keyframe && w.inband.complete(v.codec) && !w.inband.equal(&v.params) {
		v.params.copyFrom(&w.inband)
		v.configured = false
	}
	if !v.configured && !v.params.complete(v.codec) {
		w.skipped++
		return nil
	}
	ts := w.timestamp(u.DTS)
	if !v.configured && !w.appendSequenceHeader(ts) {
		w.skipped++
		return nil
	}
	v.started = true

	cts := int64((u.PTS-w.base)/time.Millisecond) - int64(ts)
	cts = max(min(cts, 1<<23-1), -1<<23)
	frame := byte(frameInter)
	if u.Keyframe {
		frame = frameKey
	}
	start := w.beginTag(TagVideo, ts)
	if v.codec == hub.H264 {
		w.buf = append(w.buf, frame<<4|codecIDAVC, 1, byte(cts>>16), byte(cts>>8), byte(cts))
	} else if cts == 0 {
		w.buf = append(w.buf, exHeader|frame<<4|packetTypeCodedFramesX)
		w.buf = append(w.buf, fourCCHEVC[:]...)
	} else {
		w.buf = append(w.buf, exHeader|frame<<4|packetTypeCodedFrames)
		w.buf = append(w.buf, fourCCHEVC[:]...)
		w.buf = append(w.buf, byte(cts>>16), byte(cts>>8), byte(cts))
	}
	it = annexB{rest: u.Data}
	for n := it.next(); n != nil; n = it.next() {
		if w.isAUD(n) {
			continue
		}
		w.buf = binary.BigEndian.AppendUint32(w.buf, uint32(len(n)))
		w.buf = append(w.buf, n...)
	}
	if !w.endTag(start) {
		w.skipped++
	}
	return w.flush()
}

func (w *Writer) isAUD(n []byte) bool {
	if w.video.codec == hub.H264 {
		return h264Type(n) == h264NALAUD
	}
	return h265Type(n) == h265NALAUD
}

// appendSequenceHeader appends the video decoder configuration tag for the
// current parameter sets and reports whether they were valid.
func (w *Writer) appendSequenceHeader(ts uint32) bool {
	v := &w.video
	start := w.beginTag(TagVideo, ts)
	var err error
	if v.codec == hub.H264 {
		w.buf = append(w.buf, frameKey<<4|codecIDAVC, 0, 0, 0, 0)
		w.buf, err = appendAVCConfig(w.buf, &v.params)
	} else {
		w.buf = append(w.buf, exHeader|frameKey<<4|packetTypeSequenceStart)
		w.buf = append(w.buf, fourCCHEVC[:]...)
		w.buf, err = appendHEVCConfig(w.buf, &v.params)
	}
	if err != nil {
		w.buf = w.buf[:start]
		return false
	}
	v.configured = true
	return w.endTag(start)
}

func (w *Writer) writeAudio(u hub.Unit) error {
	if w.hasVideo && !w.video.started {
		// Start with the video keyframe, as a live viewer would.
		w.skipped++
		return nil
	}
	if len(u.Data) == 0 {
		w.skipped++
		return nil
	}
	w.buf = w.buf[:0]
	start := w.beginTag(TagAudio, w.timestamp(u.PTS))
	switch w.audio.codec {
	case hub.AAC:
		w.buf = append(w.buf, aacHeaderTag, 1)
	case hub.G711A:
		w.buf = append(w.buf, soundG711A<<4|1<<1) // 16-bit flag as ffmpeg writes it, mono
	case hub.G711U:
		w.buf = append(w.buf, soundG711U<<4|1<<1)
	}
	w.buf = append(w.buf, u.Data...)
	if !w.endTag(start) {
		w.skipped++
	}
	return w.flush()
}

// timestamp converts d to FLV milliseconds since the first written unit,
// never going back (compared modulo 2^32 so it survives the wrap after
// 49 days).
func (w *Writer) timestamp(d time.Duration) uint32 {
	if !w.baseSet {
		w.base, w.baseSet = d, true
	}
	var ms uint32
	if rel := d - w.base; rel > 0 {
		ms = uint32(int64(rel / time.Millisecond))
	}
	if int32(ms-w.lastTS) < 0 {
		ms = w.lastTS
	}
	w.lastTS = ms
	return ms
}

// beginTag appends a tag header whose size endTag fills in.
func (w *Writer) beginTag(typ byte, ts uint32) int {
	start := len(w.buf)
	w.buf = append(w.buf, typ, 0, 0, 0, byte(ts>>16), byte(ts>>8), byte(ts), byte(ts>>24), 0, 0, 0)
	return start
}

// endTag completes the tag begun at start, or removes it if it is too
// large for FLV's 24-bit size.
func (w *Writer) endTag(start int) bool {
	size := len(w.buf) - start - tagHeaderSize
	if size > maxTagData {
		w.buf = w.buf[:start]
		return false
	}
	w.buf[start+1], w.buf[start+2], w.buf[start+3] = byte(size>>16), byte(size>>8), byte(size)
	w.buf = binary.BigEndian.AppendUint32(w.buf, uint32(size+tagHeaderSize))
	return true
}

func (w *Writer) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	_, err := w.w.Write(w.buf)
	w.buf = w.buf[:0]
	if cap(w.buf) > maxKeptBuffer {
		w.buf = nil // one huge frame should not pin its buffer forever
	}
	return err
}
