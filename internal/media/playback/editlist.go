package playback

import (
	"encoding/binary"
	"io"
)

// editListFixer passes the MP4 written by mediacommon's pmp4 through,
// correcting the edit list of tracks whose presentation starts inside their
// media (the exported range starts after its first keyframe): pmp4 writes
// that edit's segment_duration as media duration plus the skipped part
// instead of minus it. ffmpeg copes, but players that follow the edit list to
// the letter would present past the end. The right value is the track's
// presented duration, which pmp4 does put in tkhd.
//
// pmp4 writes ftyp and moov in one Write, before the mdat; only that first
// Write is examined, and anything unexpected in it is left untouched.
type editListFixer struct {
	w    io.Writer
	done bool
}

func (f *editListFixer) Write(p []byte) (int, error) {
	if !f.done {
		f.done = true
		forEachChild(p, 0, func(typ string, moov []byte) {
			if typ == "moov" {
				fixEditLists(moov)
			}
		})
	}
	return f.w.Write(p)
}

// fixEditLists rewrites, in place, the single-entry edit lists of moov's
// tracks to last as long as the track's tkhd says.
func fixEditLists(moov []byte) {
	forEachChild(moov, 8, func(typ string, trak []byte) {
		if typ != "trak" {
			return
		}
		var (
			duration uint64
			ok       bool
		)
		forEachChild(trak, 8, func(typ string, b []byte) {
			switch typ {
			case "tkhd":
				duration, ok = tkhdDuration(b)
			case "edts":
				if ok {
					forEachChild(b, 8, func(typ string, elst []byte) {
						if typ == "elst" {
							setEditDuration(elst, duration)
						}
					})
				}
			}
		})
	})
}

// tkhdDuration reads the duration field of a tkhd box (ISO 14496-12 8.3.2).
func tkhdDuration(b []byte) (uint64, bool) {
	if len(b) < 12 {
		return 0, false
	}
	if b[8] == 1 {
		if len(b) < 44 {
			return 0, false
		}
		return binary.BigEndian.Uint64(b[36:44]), true
	}
	if len(b) < 32 {
		return 0, false
	}
	return uint64(binary.BigEndian.Uint32(b[28:32])), true
}

// setEditDuration sets the segment_duration of a one-entry elst box whose
// entry presents media (media_time ≥ 0).
func setEditDuration(b []byte, d uint64) {
	if len(b) < 16 || binary.BigEndian.Uint32(b[12:16]) != 1 {
		return
	}
	if b[8] == 1 {
		if len(b) >= 32 && int64(binary.BigEndian.Uint64(b[24:32])) >= 0 {
			binary.BigEndian.PutUint64(b[16:24], d)
		}
		return
	}
	if len(b) >= 24 && int32(binary.BigEndian.Uint32(b[20:24])) >= 0 && d <= 1<<32-1 {
		binary.BigEndian.PutUint32(b[16:20], uint32(d))
	}
}
