package playback

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vionet/vionet/internal/media/hub"
)

// TestTimelineSeek checks where playback and exports start: the keyframe at
// or before the requested time (the sample has one every second), the next
// segment's first keyframe from a gap, and no data after the end.
func TestTimelineSeek(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := makeSegmentFile(t, dir, hub.H264, true)
	segs := segmentsOf(file, 3, t0, 3*time.Second) // at 0, 5 and 10 s
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	cases := []struct {
		at, want time.Time
	}{
		{ms(0), ms(0)},
		{ms(999), ms(0)},
		{ms(1000), ms(1000)},
		{ms(1999), ms(1000)},
		{ms(3000), ms(5000)},   // in the gap: the next segment
		{ms(-3000), ms(0)},     // before the first segment
		{ms(6500), ms(6000)},   // second segment
		{ms(11990), ms(11000)}, // end of the last
	}
	for _, c := range cases {
		tl := newTimeline(segs, nil, false)
		if err := tl.seek(c.at, 0); err != nil {
			t.Fatalf("seek %v: %v", c.at.Sub(t0), err)
		}
		it, err := tl.next()
		if err != nil {
			t.Fatal(err)
		}
		if !it.wall.Equal(c.want) || !it.ref.sync || it.ref.track != it.f.video || it.dts != 0 {
			t.Errorf("seek %v: first sample at %v (sync %v, dts %v), want the keyframe at %v",
				c.at.Sub(t0), it.wall.Sub(t0), it.ref.sync, it.dts, c.want.Sub(t0))
		}
		tl.Close()
	}
	tl := newTimeline(segs, nil, false)
	if err := tl.seek(ms(12000), 0); !errors.Is(err, ErrNoData) {
		t.Errorf("seek after the end: %v", err)
	}
}

// TestTimelineSkipsBadSegments checks that missing, empty and truncated files
// are skipped or cut and the content clock stays continuous over them.
func TestTimelineSkipsBadSegments(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := makeSegmentFile(t, dir, hub.H265, false)
	raw, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "truncated.mp4")
	if err := os.WriteFile(truncated, raw[:len(raw)*3/4], 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.mp4")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	segs := []Segment{
		{Path: good, Start: t0},
		{Path: filepath.Join(dir, "missing.mp4"), Start: t0.Add(2 * time.Second)},
		{Path: empty, Start: t0.Add(4 * time.Second)},
		{Path: truncated, Start: t0.Add(6 * time.Second)}, // only its first fragment is complete
		{Path: good, Start: t0.Add(10 * time.Second)},     // 3 s after the truncated data: cut out
	}
	tl := newTimeline(segs, nil, false)
	defer tl.Close()
	if err := tl.seek(t0, 0); err != nil {
		t.Fatal(err)
	}
	var n int
	var last time.Duration = -1
	for {
		it, err := tl.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if it.dts <= last || it.dts > last+41*time.Millisecond && last >= 0 {
			t.Fatalf("sample %d at %v after %v", n, it.dts, last)
		}
		last = it.dts
		n++
	}
	if n != 50+25+50 {
		t.Errorf("%d samples, want 125 (two whole segments and one fragment)", n)
	}
}
