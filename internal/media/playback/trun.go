package playback

import (
	"encoding/binary"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4"
)

// ISO 14496-12 flag bits used below.
const (
	trunDataOffsetPresent       = 0x000001
	trunFirstSampleFlagsPresent = 0x000004
	sampleIsNonSync             = 1 << 16
)

// applyFirstSampleFlags applies the trun first_sample_flags of moof to
// parts, which mediacommon's parser leaves out. ffmpeg (and most muxers)
// describe a fragment's keyframe exactly that way: default flags "non-sync"
// in tfhd and "sync" as the first sample's override; without this every
// fragment of an ffmpeg-written file would look keyframe-less.
//
// moof is the whole moof box; parts is what fmp4.Parts.Unmarshal made of it
// (one part whose tracks are the trafs in order). Malformed boxes are left
// alone: the parser has already accepted the structure.
func applyFirstSampleFlags(moof []byte, parts fmp4.Parts) {
	if len(parts) != 1 {
		return
	}
	tracks := parts[0].Tracks
	traf := 0
	forEachChild(moof, 8, func(typ string, b []byte) {
		if typ != "traf" {
			return
		}
		k := traf
		traf++
		if k >= len(tracks) {
			return
		}
		samples := tracks[k].Samples
		n := 0 // index of the current trun's first sample in the track
		forEachChild(b, 8, func(typ string, b []byte) {
			if typ != "trun" || len(b) < 16 {
				return
			}
			flags := binary.BigEndian.Uint32(b[8:12]) & 0xffffff
			count := int(binary.BigEndian.Uint32(b[12:16]))
			p := 16
			if flags&trunDataOffsetPresent != 0 {
				p += 4
			}
			if flags&trunFirstSampleFlagsPresent != 0 && len(b) >= p+4 && n < len(samples) && count > 0 {
				first := binary.BigEndian.Uint32(b[p : p+4])
				samples[n].IsNonSyncSample = first&sampleIsNonSync != 0
			}
			if count > 0 && count <= len(samples)-n {
				n += count
			} else {
				n = len(samples)
			}
		})
	})
}

// forEachChild calls fn for each child box of the box b whose children start
// at offset start, stopping at the first malformed size.
func forEachChild(b []byte, start int, fn func(typ string, box []byte)) {
	for p := start; len(b)-p >= 8; {
		size := int(binary.BigEndian.Uint32(b[p:]))
		if size < 8 || size > len(b)-p {
			return
		}
		fn(string(b[p+4:p+8]), b[p:p+size])
		p += size
	}
}
