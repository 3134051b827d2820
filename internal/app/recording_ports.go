package app

import (
	"context"
	"time"

	"github.com/vionet/vionet/internal/domain"
)

// Ports of cloud recording (issue 5): the recorder writes a hub path into segment files; the
// player publishes recordings back into the hub, exports MP4s and finds keyframes.

// Segment is a closed recording file, named by its key in the file store.
type Segment struct {
	Key        string
	Start, End time.Time
	Size       int64
}

// Recorder records hub paths into segment files under a file-store key prefix.
type Recorder interface {
	// Record writes path into segments under prefix until the run is closed, calling
	// onSegment for each closed segment. It waits for the path's publisher (again after
	// each gap).
	Record(path, prefix string, onSegment func(Segment)) (RecordingRun, error)
	// Segments lists every closed segment file under prefix, first finishing the files a
	// crash left open (their complete fragments are kept).
	Segments(ctx context.Context, prefix string) ([]Segment, error)
}

// RecordingRun is one path being recorded.
type RecordingRun interface {
	Close()
}

// Player plays, exports and samples cloud recordings.
type Player interface {
	// Play publishes recs at path from from to to at speed until the session ends.
	Play(ctx context.Context, path string, recs []domain.Recording, from, to time.Time, speed float64) (PlaySession, error)
	// Export writes an MP4 of [from, to] (starting at the keyframe at or before from) under
	// key and returns its real range and size.
	Export(ctx context.Context, key string, recs []domain.Recording, from, to time.Time) (Segment, error)
	// Picture returns a JPEG of the keyframe at or before at, scaled to w×h (0: source).
	Picture(ctx context.Context, recs []domain.Recording, at time.Time, w, h int) ([]byte, error)
}

// PlaySession is a recording being played into the hub.
type PlaySession interface {
	Done() <-chan struct{}
	Close()
}

// RecordingOptions configures cloud recording.
type RecordingOptions struct {
	Recorder Recorder
	Player   Player
	// RetentionDay is the length of one "day" of a plan's retention (24 h; tests shorten it).
	RetentionDay time.Duration
	// ArchiveAfter moves recordings older than this to the archive tier, readable only after
	// 4.5.1.7 unfreezes them (0: never).
	ArchiveAfter time.Duration
	// ThawDelay is how long unfreezing takes before the msgType 6 push.
	ThawDelay time.Duration
}
