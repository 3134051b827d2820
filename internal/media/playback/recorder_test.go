package playback

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/vionet/vionet/internal/media/hub"
	"github.com/vionet/vionet/internal/media/recorder"
)

// TestRecorderSegments plays and exports files written by vionet's recorder,
// the producer this package is for: 6 s of H.264 + AAC (read from ffmpeg
// segments with this package's reader) are published on a hub path, recorded
// in 2 s segments, and read back.
func TestRecorderSegments(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dir := t.TempDir()
	src := segmentsOf(makeSegmentFile(t, dir, hub.H264, true), 3, t0, 0)
	h := hub.New(hub.Options{})

	var (
		mu   sync.Mutex
		segs []Segment
	)
	rec, err := recorder.Start(ctx, recorder.Options{Hub: h, Path: "live/cam", Dir: filepath.Join(dir, "rec"),
		MaxSegment: 2 * time.Second, OnError: func(err error) { t.Errorf("recorder: %v", err) },
		OnSegment: func(s recorder.Segment) {
			mu.Lock()
			segs = append(segs, Segment{Path: s.Path, Start: s.Start, End: s.End})
			mu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	publishFast(t, ctx, h, "live/cam", src)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		mu.Lock()
		n := len(segs)
		mu.Unlock()
		if n >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d segments recorded", n)
		}
	}
	rec.Close()
	mu.Lock()
	defer mu.Unlock()
	if !segs[0].Start.Equal(t0) || !segs[2].End.Equal(t0.Add(6*time.Second)) {
		t.Errorf("recorded %+v, want 0 s to 6 s", segs)
	}

	// Export across all three.
	out := filepath.Join(dir, "out.mp4")
	info, err := ExportMP4File(ctx, out, segs, t0.Add(500*time.Millisecond), t0.Add(5500*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if p := ffprobe(t, out); !within(p.duration(t), 5*time.Second, 100*time.Millisecond) || len(p.Streams) != 2 {
		t.Errorf("export %+v: ffprobe %+v", info, p)
	}
	decodeClean(t, ctx, out)

	// Play at 1x from the 4 s keyframe: video and audio, continuous.
	s, err := Publish(ctx, Options{Hub: h, Path: "rec/cam", Segments: segs, From: t0.Add(4200 * time.Millisecond), To: t0.Add(6 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tracks, units := readAll(t, ctx, h, "rec/cam")
	if len(tracks) != 2 || len(unitsOf(units, tracks[0].ID)) != 50 {
		t.Errorf("%d tracks, %d video units; want 2 and 50", len(tracks), len(unitsOf(units, tracks[0].ID)))
	}
	checkContinuous(t, unitsOf(units, tracks[0].ID), 41*time.Millisecond)
	checkContinuous(t, unitsOf(units, tracks[1].ID), 22*time.Millisecond)

	if _, _, au, err := Thumbnail(ctx, segs, t0.Add(3500*time.Millisecond)); err != nil || len(au) == 0 {
		t.Errorf("thumbnail: %v", err)
	}
}

// publishFast publishes the samples of segs on path as fast as the hub
// takes them, with Received set to their wall-clock time.
func publishFast(t *testing.T, ctx context.Context, h *hub.Hub, path string, segs []Segment) {
	t.Helper()
	tl := newTimeline(segs, nil, false)
	defer tl.Close()
	if err := tl.seek(segs[0].Start, 0); err != nil {
		t.Fatal(err)
	}
	tracks := []hub.Track{tl.video.hubTrack()}
	if tl.audio != nil {
		tracks = append(tracks, tl.audio.hubTrack())
	}
	pub, err := h.Publish(path, tracks)
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	for h.Readers(path) == 0 { // the recorder attaches
		if ctx.Err() != nil {
			t.Fatal(ctx.Err())
		}
		time.Sleep(5 * time.Millisecond)
	}
	for {
		it, err := tl.next()
		if err != nil {
			return
		}
		data, err := it.f.readSample(it.ref)
		if err != nil {
			t.Fatal(err)
		}
		u := hub.Unit{Track: it.ref.track.id, PTS: it.pts, DTS: it.dts, Data: data, Received: segs[0].Start.Add(it.dts)}
		if it.ref.track == it.f.video {
			if err := toAnnexB(data); err != nil {
				t.Fatal(err)
			}
			u.Keyframe = it.ref.sync
		}
		pub.Write(u)
	}
}
