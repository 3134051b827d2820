package flv

import (
	"encoding/binary"
	"math"
)

// AMF0 type markers used by onMetaData.
const (
	amf0Number    = 0x00
	amf0Boolean   = 0x01
	amf0String    = 0x02
	amf0ECMAArray = 0x08
	amf0ObjectEnd = 0x09
)

// metadata is the content of the onMetaData script tag.
type metadata struct {
	video, audio        bool
	width, height       int
	videoCodecID        float64
	audioCodecID        float64
	audioRate, channels int
}

// appendMetadata appends the AMF0 body of an onMetaData script tag.
func appendMetadata(dst []byte, m metadata) []byte {
	dst = appendAMFString(dst, "onMetaData")
	n := 1 // duration
	if m.video {
		n += 3
	}
	if m.audio {
		n += 4
	}
	dst = append(dst, amf0ECMAArray)
	dst = binary.BigEndian.AppendUint32(dst, uint32(n))
	// duration 0 marks a live stream.
	dst = appendAMFNumberProp(dst, "duration", 0)
	if m.video {
		dst = appendAMFNumberProp(dst, "width", float64(m.width))
		dst = appendAMFNumberProp(dst, "height", float64(m.height))
		dst = appendAMFNumberProp(dst, "videocodecid", m.videoCodecID)
	}
	if m.audio {
		dst = appendAMFNumberProp(dst, "audiocodecid", m.audioCodecID)
		dst = appendAMFNumberProp(dst, "audiosamplerate", float64(m.audioRate))
		dst = appendAMFNumberProp(dst, "audiosamplesize", 16)
		dst = appendAMFKey(dst, "stereo")
		stereo := byte(0)
		if m.channels > 1 {
			stereo = 1
		}
		dst = append(dst, amf0Boolean, stereo)
	}
	return append(dst, 0, 0, amf0ObjectEnd)
}

func appendAMFKey(dst []byte, k string) []byte {
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(k)))
	return append(dst, k...)
}

func appendAMFString(dst []byte, s string) []byte {
	return appendAMFKey(append(dst, amf0String), s)
}

func appendAMFNumberProp(dst []byte, k string, v float64) []byte {
	dst = appendAMFKey(dst, k)
	dst = append(dst, amf0Number)
	return binary.BigEndian.AppendUint64(dst, math.Float64bits(v))
}
