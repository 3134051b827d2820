package snapshot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vionet/vionet/internal/media/hub"
)

// Defaults used when the corresponding Options field is zero.
const (
	DefaultFFmpeg  = "ffmpeg"
	DefaultQuality = 5
	DefaultTimeout = 10 * time.Second
)

// ErrNoVideo is returned when the stream has no video track to take a
// picture of (an audio-only path).
var ErrNoVideo = errors.New("snapshot: stream has no video track")

// ErrUnsupportedCodec is returned for a video codec ffmpeg is not asked to decode.
var ErrUnsupportedCodec = errors.New("snapshot: unsupported video codec")

// ErrDecode is wrapped by the error returned when ffmpeg fails to turn the
// keyframe into a JPEG; the error text carries the tail of ffmpeg's stderr.
var ErrDecode = errors.New("snapshot: decode failed")

// Options tune a snapshot. The zero value takes the picture at the source
// size with the defaults.
type Options struct {
	// Width and Height of the JPEG. Both set: scaled to exactly WxH. One set:
	// the other follows the source aspect ratio. Neither: source size.
	Width, Height int
	// Wait is how long Grab waits for a publisher to appear on the path
	// (hub.ReadOptions.Wait); 0 fails at once with hub.ErrNoPublisher.
	Wait time.Duration
	// FFmpeg is the ffmpeg binary (name looked up in PATH, or a path).
	FFmpeg string
	// Quality is ffmpeg's -q:v for MJPEG, 2 (best) to 31 (smallest).
	Quality int
	// Timeout bounds the work after the reader is attached: waiting for a
	// keyframe plus running ffmpeg (default 10 s).
	Timeout time.Duration
}

func (o Options) withDefaults() (Options, error) {
	if o.FFmpeg == "" {
		o.FFmpeg = DefaultFFmpeg
	}
	if o.Quality == 0 {
		o.Quality = DefaultQuality
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	switch {
	case o.Quality < 2 || o.Quality > 31:
		return o, fmt.Errorf("snapshot: quality %d out of range 2..31", o.Quality)
	case o.Width < 0 || o.Height < 0 || o.Width > 16384 || o.Height > 16384:
		return o, fmt.Errorf("snapshot: size %dx%d out of range", o.Width, o.Height)
	}
	return o, nil
}

// Grab returns a JPEG of the latest keyframe of path. It fails with
// hub.ErrNoPublisher when nothing is published there (after o.Wait),
// ErrNoVideo for audio-only streams, an error wrapping exec.ErrNotFound when
// ffmpeg is missing, and one wrapping ErrDecode when ffmpeg cannot decode.
func Grab(ctx context.Context, h *hub.Hub, path string, o Options) ([]byte, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	r, err := h.Read(ctx, path, hub.ReadOptions{Wait: o.Wait})
	if err != nil {
		return nil, fmt.Errorf("snapshot: %s: %w", path, err)
	}
	defer r.Close()

	var video *hub.Track
	for _, t := range r.Tracks() {
		if t.Codec.IsVideo() {
			video = &t
			break
		}
	}
	if video == nil {
		return nil, fmt.Errorf("%w: %s", ErrNoVideo, path)
	}

	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	for {
		u, err := r.Next(ctx)
		if err != nil {
			return nil, fmt.Errorf("snapshot: %s: waiting for a keyframe: %w", path, err)
		}
		if u.Track == video.ID && u.Keyframe {
			return FromAccessUnit(ctx, video.Codec, video.Config, u.Data, o)
		}
	}
}
