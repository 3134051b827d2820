package playback

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/vionet/vionet/internal/media/hub"
)

// TestFormatChanges covers recordings whose format changes between segments
// (a camera reconfigured): new parameter sets are passed in band by playback
// and end an export; a codec change ends both.
func TestFormatChanges(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dir := t.TempDir()
	a := makeSegmentFile(t, dir, hub.H264, false)
	b := makeTestsrcSegment(t, dir, hub.H264, "160x120")
	c := makeSegmentFile(t, dir, hub.H265, false)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * segmentDuration) }
	segs := []Segment{
		{Path: a, Start: at(0), End: at(1)},
		{Path: b, Start: at(1), End: at(2)},
		{Path: c, Start: at(2), End: at(3)},
	}

	// Playback at 4x: 320x240, then 160x120 with its parameter sets in band,
	// then the end at the codec change.
	h := hub.New(hub.Options{})
	s, err := Publish(ctx, Options{Hub: h, Path: "rec/fmt", Segments: segs, From: at(0), To: at(3), Speed: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tracks, units := readAll(t, ctx, h, "rec/fmt")
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if len(units) != 100 {
		t.Errorf("%d units, want the 100 frames of the two H.264 segments", len(units))
	}
	decodeUnits(t, ctx, tracks[0], units)

	// Export: only the first segment.
	out := filepath.Join(dir, "out.mp4")
	info, err := ExportMP4File(ctx, out, segs, at(0).Add(500*time.Millisecond), at(3))
	if err != nil {
		t.Fatal(err)
	}
	if !info.End.Equal(at(1)) || !within(info.Duration, 1500*time.Millisecond, 10*time.Millisecond) {
		t.Errorf("export %+v, want it to end with the first segment", info)
	}
	decodeClean(t, ctx, out)
}
