package recorder

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vionet/vionet/internal/media/hub"
)

// File name suffixes: a segment is written as <start-unixmilli>.mp4.part and
// renamed to <start-unixmilli>.mp4 once it is complete and fsynced.
const (
	segmentExt = ".mp4"
	partExt    = ".mp4.part"
)

// ErrBadName is returned by ReadInfo for a file whose name does not carry
// the segment's start (<start-unixmilli>.mp4 or .mp4.part).
var ErrBadName = errors.New("recorder: file name is not <start-unixmilli>.mp4")

// Segment describes one closed segment file.
type Segment struct {
	Path string // the .mp4 file
	// Start is the wall-clock time of the first sample, to the millisecond
	// (it is the file name); End is Start plus the media time of the end of
	// the last video sample (of the last audio sample in an audio-only
	// segment), so back-to-back segments of a continuous stream tile exactly.
	Start, End time.Time
	Size       int64     // file size in bytes
	Codec      hub.Codec // video codec; 0 for an audio-only segment
	HasAudio   bool      // the file has an (AAC) audio track
}

// Duration is End - Start.
func (s Segment) Duration() time.Duration { return s.End.Sub(s.Start) }

// fileName returns the base name of the file of a segment starting at start.
func fileName(start time.Time, ext string) string {
	return strconv.FormatInt(start.UnixMilli(), 10) + ext
}

// startFromName returns the start time encoded in a segment's file name.
func startFromName(path string) (time.Time, error) {
	base := filepath.Base(path)
	digits, ok := strings.CutSuffix(base, partExt)
	if !ok {
		digits, ok = strings.CutSuffix(base, segmentExt)
	}
	if !ok || digits == "" || len(digits) > 18 {
		return time.Time{}, fmt.Errorf("%w: %q", ErrBadName, base)
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return time.Time{}, fmt.Errorf("%w: %q", ErrBadName, base)
		}
	}
	ms, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %q", ErrBadName, base)
	}
	return time.UnixMilli(ms), nil
}
