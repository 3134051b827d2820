package playback

import (
	"context"
	"time"

	"github.com/vionet/vionet/internal/media/hub"
)

// Thumbnail returns the video keyframe presented at or before at, taken from
// the segment that covers at (Start ≤ at ≤ End, or at ≥ Start when End is
// zero), as an Annex-B access unit with its codec and parameter sets
// (hub.Track.Config form): what snapshot.FromAccessUnit decodes into a JPEG.
// A time in a gap between segments, or outside all of them, has no picture:
// ErrNoData.
func Thumbnail(ctx context.Context, segments []Segment, at time.Time) (codec hub.Codec, config, au []byte, err error) {
	if err := ctx.Err(); err != nil {
		return 0, nil, nil, err
	}
	i := -1
	for j, s := range segments {
		if !s.Start.After(at) && (s.End.IsZero() || !at.After(s.End)) {
			i = j
		}
	}
	if i < 0 {
		return 0, nil, nil, ErrNoData
	}
	tl := newTimeline(segments[i:i+1], nil, true)
	defer tl.Close()
	if err := tl.seek(at, 0); err != nil {
		return 0, nil, nil, err
	}
	it, err := tl.next()
	if err != nil {
		return 0, nil, nil, err
	}
	data, err := it.f.readSample(it.ref)
	if err != nil {
		return 0, nil, nil, err
	}
	if err := toAnnexB(data); err != nil {
		return 0, nil, nil, err
	}
	return tl.video.codec, tl.video.config, data, nil
}
