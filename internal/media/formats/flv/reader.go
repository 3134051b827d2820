package flv

import (
	"encoding/binary"
	"errors"
	"io"
	"slices"

	"github.com/vionet/vionet/internal/media/hub"
)

// Errors returned by the reader.
var (
	ErrFormat      = errors.New("flv: invalid data")
	ErrUnsupported = errors.New("flv: unsupported codec or packet type")
)

// maxHeaderSkip bounds the DataOffset a header may declare.
const maxHeaderSkip = 1 << 16

// readStep is how much ReadTag allocates ahead of the data it has read.
const readStep = 256 << 10

// Header is the FLV file header.
type Header struct {
	Audio, Video bool // the type flags
}

// ReadHeader reads the FLV file header and the PreviousTagSize0 field.
func ReadHeader(r io.Reader) (Header, error) {
	var b [9]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return Header{}, err
	}
	if b[0] != 'F' || b[1] != 'L' || b[2] != 'V' {
		return Header{}, ErrFormat
	}
	off := binary.BigEndian.Uint32(b[5:9])
	if off < 9 || off > maxHeaderSkip {
		return Header{}, ErrFormat
	}
	if _, err := io.CopyN(io.Discard, r, int64(off-9)+4); err != nil {
		return Header{}, unexpected(err)
	}
	return Header{Audio: b[4]&0x04 != 0, Video: b[4]&0x01 != 0}, nil
}

// Tag is one FLV tag.
type Tag struct {
	Type      uint8  // TagAudio, TagVideo, TagScript (or another value)
	Timestamp uint32 // milliseconds
	Data      []byte // tag body
}

// ReadTag reads one tag and its trailing PreviousTagSize, which must match.
// It returns io.EOF only when r ends cleanly before the tag. Data is freshly
// allocated, growing with what r delivers rather than with the declared
// size.
func ReadTag(r io.Reader) (Tag, error) {
	var h [tagHeaderSize]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return Tag{}, err
	}
	if h[0]&0x20 != 0 { // filter (encryption) bit
		return Tag{}, ErrUnsupported
	}
	size := int(h[1])<<16 | int(h[2])<<8 | int(h[3])
	t := Tag{
		Type:      h[0] & 0x1f,
		Timestamp: uint32(h[7])<<24 | uint32(h[4])<<16 | uint32(h[5])<<8 | uint32(h[6]),
	}
	// Grow in steps so that a forged size cannot make us allocate 16 MiB
	// before the bytes are there.
	data := make([]byte, 0, min(size, readStep))
	for len(data) < size {
		n := min(size-len(data), readStep)
		data = slices.Grow(data, n)
		m, err := io.ReadFull(r, data[len(data):len(data)+n])
		data = data[:len(data)+m]
		if err != nil {
			return Tag{}, unexpected(err)
		}
	}
	var p [4]byte
	if _, err := io.ReadFull(r, p[:]); err != nil {
		return Tag{}, unexpected(err)
	}
	if binary.BigEndian.Uint32(p[:]) != uint32(size+tagHeaderSize) {
		return Tag{}, ErrFormat
	}
	t.Data = data
	return t, nil
}

func unexpected(err error) error {
	if err == nil || err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// VideoTag is the parsed body of a video tag, legacy or enhanced.
type VideoTag struct {
	Codec    hub.Codec // hub.H264 or hub.H265
	Keyframe bool
	Config   bool  // Payload is the decoder configuration record
	End      bool  // end of sequence, no payload
	CTS      int32 // composition time offset (PTS - DTS) in milliseconds
	// Payload is the configuration record or the 4-byte length-prefixed
	// NAL units of one access unit; it aliases the tag data.
	Payload []byte
}

// ParseVideo parses a video tag body: legacy AVC (codec id 7, and the
// unofficial id 12 for H.265) or Enhanced FLV "avc1"/"hvc1" with packet
// types SequenceStart, CodedFrames, SequenceEnd and CodedFramesX.
func ParseVideo(data []byte) (VideoTag, error) {
	if len(data) < 1 {
		return VideoTag{}, ErrFormat
	}
	b0 := data[0]
	if b0&exHeader != 0 {
		if len(data) < 5 {
			return VideoTag{}, ErrFormat
		}
		v := VideoTag{Keyframe: (b0>>4)&7 == frameKey}
		switch [4]byte(data[1:5]) {
		case fourCCHEVC:
			v.Codec = hub.H265
		case [4]byte{'a', 'v', 'c', '1'}:
			v.Codec = hub.H264
		default:
			return VideoTag{}, ErrUnsupported
		}
		switch b0 & 0x0f {
		case packetTypeSequenceStart:
			v.Config, v.Payload = true, data[5:]
		case packetTypeCodedFrames:
			if len(data) < 8 {
				return VideoTag{}, ErrFormat
			}
			v.CTS, v.Payload = si24(data[5:8]), data[8:]
		case packetTypeSequenceEnd:
			v.End = true
		case packetTypeCodedFramesX:
			v.Payload = data[5:]
		default:
			return VideoTag{}, ErrUnsupported
		}
		return v, nil
	}
	v := VideoTag{Keyframe: b0>>4 == frameKey}
	switch b0 & 0x0f {
	case codecIDAVC:
		v.Codec = hub.H264
	case 12:
		v.Codec = hub.H265
	default:
		return VideoTag{}, ErrUnsupported
	}
	if len(data) < 5 {
		return VideoTag{}, ErrFormat
	}
	switch data[1] {
	case 0:
		v.Config = true
	case 1:
	case 2:
		v.End = true
		return v, nil
	default:
		return VideoTag{}, ErrFormat
	}
	v.CTS, v.Payload = si24(data[2:5]), data[5:]
	return v, nil
}

func si24(b []byte) int32 {
	return int32(uint32(b[0])<<24|uint32(b[1])<<16|uint32(b[2])<<8) >> 8
}

// AudioTag is the parsed body of an audio tag.
type AudioTag struct {
	Codec   hub.Codec // hub.AAC, hub.G711A or hub.G711U
	Config  bool      // AAC: Payload is the AudioSpecificConfig
	Payload []byte    // raw AAC frame or G.711 samples; aliases the tag data
}

// ParseAudio parses an audio tag body (AAC, G.711 A-law, G.711 µ-law).
func ParseAudio(data []byte) (AudioTag, error) {
	if len(data) < 1 {
		return AudioTag{}, ErrFormat
	}
	switch data[0] >> 4 {
	case soundAAC:
		if len(data) < 2 || data[1] > 1 {
			return AudioTag{}, ErrFormat
		}
		return AudioTag{Codec: hub.AAC, Config: data[1] == 0, Payload: data[2:]}, nil
	case soundG711A:
		return AudioTag{Codec: hub.G711A, Payload: data[1:]}, nil
	case soundG711U:
		return AudioTag{Codec: hub.G711U, Payload: data[1:]}, nil
	}
	return AudioTag{}, ErrUnsupported
}
