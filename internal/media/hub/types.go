package hub

import (
	"errors"
	"time"
)

// Codec identifies the encoding of a track.
type Codec int

// Supported codecs.
const (
	H264 Codec = iota + 1
	H265
	AAC
	G711A
	G711U
)

// String returns the codec's conventional name.
func (c Codec) String() string {
	switch c {
	case H264:
		return "H264"
	case H265:
		return "H265"
	case AAC:
		return "AAC"
	case G711A:
		return "G711A"
	case G711U:
		return "G711U"
	}
	return "unknown"
}

// IsVideo reports whether the codec is a video codec.
func (c Codec) IsVideo() bool { return c == H264 || c == H265 }

// Track describes one elementary stream of a path.
type Track struct {
	ID        int   // identifier referenced by Unit.Track; unique within a path
	Codec     Codec // encoding
	ClockRate int   // RTP-style clock rate, e.g. 90000 for video, 8000 for G.711
	Width     int   // optional, video only
	Height    int   // optional, video only
	// Config holds out-of-band decoder configuration, shared and read-only:
	// for video the parameter sets (H264: SPS, PPS; H265: VPS, SPS, PPS) as
	// Annex-B (each NAL unit preceded by 00 00 00 01); for AAC the
	// AudioSpecificConfig. Keyframe units may or may not repeat the parameter
	// sets in-band, so outputs that need them before every keyframe insert
	// them from here.
	Config []byte
}

// Unit is one access unit (video) or frame (audio).
type Unit struct {
	Track    int           // Track.ID this unit belongs to
	PTS      time.Duration // presentation timestamp
	DTS      time.Duration // decoding timestamp
	Keyframe bool          // true for an IDR / IRAP video access unit
	// Data is an Annex-B access unit for video or a raw frame for audio.
	// It is shared, never copied: publishers must not modify or reuse it
	// after Write and readers must not modify it.
	Data     []byte
	Received time.Time // arrival time; set by Write when zero
}

// Errors returned by the hub.
var (
	// ErrPathBusy is returned by Publish when the path already has a publisher.
	ErrPathBusy = errors.New("hub: path already has a publisher")
	// ErrNoPublisher is returned by Read when the path has no publisher
	// (after waiting ReadOptions.Wait, if set).
	ErrNoPublisher = errors.New("hub: no publisher on path")
	// ErrClosed is returned by Reader.Next once the publisher went away and
	// the queued units are drained, or after Reader.Close. It plays the role
	// of io.EOF.
	ErrClosed = errors.New("hub: stream closed")
	// ErrTooSlow is returned by Reader.Next when the reader stayed lagging
	// longer than ReadOptions.MaxLag and was closed by the hub.
	ErrTooSlow = errors.New("hub: reader too slow")
	// ErrNoTracks is returned by Publish when no tracks are given.
	ErrNoTracks = errors.New("hub: publish without tracks")
)

// EventKind tells what happened on a path.
type EventKind int

// Event kinds.
const (
	PublisherUp EventKind = iota + 1
	PublisherDown
	ReaderAdded
	ReaderRemoved
)

// String returns the kind's name.
func (k EventKind) String() string {
	switch k {
	case PublisherUp:
		return "PublisherUp"
	case PublisherDown:
		return "PublisherDown"
	case ReaderAdded:
		return "ReaderAdded"
	case ReaderRemoved:
		return "ReaderRemoved"
	}
	return "unknown"
}

// Event reports a change on a path. Readers is the number of readers on the
// path after the change.
type Event struct {
	Kind    EventKind
	Path    string
	Readers int
}

// PathInfo is a snapshot of a published path.
type PathInfo struct {
	Path    string
	Tracks  []Track
	Readers int
	BytesIn uint64
	UnitsIn uint64
	Since   time.Time // when the publisher came up
}

// Defaults used when the corresponding option is zero.
const (
	DefaultGOPMaxUnits = 512
	DefaultGOPMaxBytes = 16 << 20
	DefaultQueueSize   = 1024
)

// Options configure a Hub. Zero values select the defaults.
type Options struct {
	GOPMaxUnits int // max units kept in a path's GOP cache (default 512)
	GOPMaxBytes int // max Data bytes kept in a path's GOP cache (default 16 MiB)
	QueueSize   int // default per-reader ring capacity in units (default 1024)
	// OnEvent, if set, receives path events in order, without hub locks held.
	OnEvent func(Event)
}

// ReadOptions configure one Reader.
type ReadOptions struct {
	// Wait, if > 0, makes Read wait up to this long for a publisher to appear
	// instead of failing at once with ErrNoPublisher.
	Wait time.Duration
	// MaxLag, if > 0, closes the reader with ErrTooSlow once it has been
	// lagging (dropping units) for longer than this.
	MaxLag time.Duration
	// QueueSize overrides Options.QueueSize for this reader.
	QueueSize int
}
