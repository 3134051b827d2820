package playback

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/vionet/vionet/internal/media/hub"
)

// decodeUnits writes the video units as an Annex-B elementary stream and
// has ffmpeg decode it: a unit sent without its references (a P-frame after
// a seek or after keyframes-only) shows up as a decoding error.
func decodeUnits(t *testing.T, ctx context.Context, track hub.Track, units []received) {
	t.Helper()
	var es bytes.Buffer
	es.Write(track.Config)
	for _, u := range units {
		if u.Track == track.ID {
			es.Write(u.Data)
		}
	}
	path := filepath.Join(t.TempDir(), "es")
	if err := os.WriteFile(path, es.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	format := map[hub.Codec]string{hub.H264: "h264", hub.H265: "hevc"}[track.Codec]
	cmd := exec.CommandContext(ctx, "ffmpeg", "-v", "error", "-f", format, "-i", path, "-f", "null", "-")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Fatalf("ffmpeg decode: %v: %s", err, stderr.String())
	}
}

// readFor reads path in the background and returns the units once the
// publisher has gone.
func readBackground(t *testing.T, ctx context.Context, h *hub.Hub, path string) func() ([]hub.Track, []received) {
	r, err := h.Read(ctx, path, hub.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		units []received
		err   error
	}
	ch := make(chan result, 1)
	go func() {
		defer r.Close()
		var out []received
		for {
			u, err := r.Next(ctx)
			if errors.Is(err, hub.ErrClosed) {
				ch <- result{out, nil}
				return
			}
			if err != nil {
				ch <- result{out, err}
				return
			}
			out = append(out, received{u, time.Now()})
		}
	}()
	return func() ([]hub.Track, []received) {
		res := <-ch
		if res.err != nil {
			t.Fatal(res.err)
		}
		return r.Tracks(), res.units
	}
}

func TestSessionSeek(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	segs := segmentsOf(makeSegmentFile(t, t.TempDir(), hub.H265, false), 3, t0, 0)
	h := hub.New(hub.Options{})
	s, err := Publish(ctx, Options{Hub: h, Path: "rec/seek", Segments: segs, From: t0, To: t0.Add(6 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	wait := readBackground(t, ctx, h, "rec/seek")
	time.Sleep(300 * time.Millisecond)
	if err := s.Seek(t0.Add(time.Hour)); !errors.Is(err, ErrNoData) {
		t.Errorf("seek past the end: %v", err)
	}
	start := time.Now()
	if err := s.Seek(t0.Add(4500 * time.Millisecond)); err != nil { // keyframe at 4 s
		t.Fatal(err)
	}
	tracks, units := wait()
	elapsed := time.Since(start)
	// Before the seek: the first 0.3 s (one keyframe); after it: 4 s to 6 s.
	second := -1
	for i, u := range units[1:] {
		if u.Keyframe {
			second = i + 1
			break
		}
	}
	if second < 0 || len(units)-second != 50 {
		t.Fatalf("%d units, %d from the second keyframe on, want 50 after the seek", len(units), len(units)-second)
	}
	checkContinuous(t, units, 80*time.Millisecond)
	if !within(elapsed, 2*time.Second, 400*time.Millisecond) {
		t.Errorf("2 s after the seek took %v", elapsed)
	}
	if got, want := s.Position(), t0.Add(6*time.Second-40*time.Millisecond); !got.Equal(want) {
		t.Errorf("ended at %v, want %v", got, want)
	}
	decodeUnits(t, ctx, tracks[0], units)
	if err := s.Seek(t0); !errors.Is(err, ErrSessionDone) {
		t.Errorf("seek after the end: %v", err)
	}
}

func TestSessionSetSpeed(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	segs := segmentsOf(makeSegmentFile(t, t.TempDir(), hub.H264, false), 4, t0, 0)
	h := hub.New(hub.Options{})
	start := time.Now()
	s, err := Publish(ctx, Options{Hub: h, Path: "rec/speed", Segments: segs, From: t0, To: t0.Add(8 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	wait := readBackground(t, ctx, h, "rec/speed")
	time.Sleep(500 * time.Millisecond)
	if err := s.SetSpeed(64); !errors.Is(err, ErrSpeed) {
		t.Errorf("speed 64: %v", err)
	}
	if err := s.SetSpeed(8); err != nil { // keyframes only
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if err := s.SetSpeed(2); err != nil { // every frame again, from a keyframe
		t.Fatal(err)
	}
	tracks, units := wait()
	elapsed := time.Since(start)
	// 0.5 s at 1x, 0.5 s at 8x (4 s of content), 3.5 s left at 2x.
	if want := 2750 * time.Millisecond; !within(elapsed, want, 500*time.Millisecond) {
		t.Errorf("took %v, want about %v", elapsed, want)
	}
	checkContinuous(t, units, 130*time.Millisecond)
	decodeUnits(t, ctx, tracks[0], units)
	var keyOnly int
	for i := 1; i < len(units); i++ {
		if units[i].Keyframe && units[i-1].Keyframe {
			keyOnly++
		}
	}
	if keyOnly < 3 {
		t.Errorf("%d keyframes in a row, want the 8x stretch", keyOnly)
	}
}

func TestSessionEnds(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	segs := segmentsOf(makeSegmentFile(t, t.TempDir(), hub.H264, true), 2, t0, 0)
	h := hub.New(hub.Options{})
	opts := Options{Hub: h, Path: "rec/end", Segments: segs, From: t0, To: t0.Add(time.Hour)}

	// Close: unpublished at once, no error.
	s, err := Publish(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Publish(ctx, opts); !errors.Is(err, hub.ErrPathBusy) {
		t.Errorf("second publisher on the path: %v", err)
	}
	s.Close()
	s.Close()
	if _, ok := h.Info(opts.Path); ok || s.Err() != nil {
		t.Errorf("after Close: published %v, err %v", ok, s.Err())
	}

	// The context ends the session with its error.
	cctx, ccancel := context.WithCancel(ctx)
	s, err = Publish(cctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	ccancel()
	<-s.Done()
	if !errors.Is(s.Err(), context.Canceled) {
		t.Errorf("cancelled: %v", s.Err())
	}

	// Bad options.
	for name, o := range map[string]Options{
		"speed":     {Hub: h, Path: "p", Segments: segs, From: t0, To: t0.Add(time.Second), Speed: 33},
		"slow":      {Hub: h, Path: "p", Segments: segs, From: t0, To: t0.Add(time.Second), Speed: 0.1},
		"range":     {Hub: h, Path: "p", Segments: segs, From: t0, To: t0},
		"no hub":    {Path: "p", Segments: segs, From: t0, To: t0.Add(time.Second)},
		"after end": {Hub: h, Path: "p", Segments: segs, From: t0.Add(time.Hour), To: t0.Add(2 * time.Hour)},
		"no data":   {Hub: h, Path: "p", From: t0, To: t0.Add(time.Second)},
	} {
		if s, err := Publish(ctx, o); err == nil {
			s.Close()
			t.Errorf("%s: accepted", name)
		}
	}
	if _, ok := h.Info("p"); ok {
		t.Error("a refused session left its path published")
	}
}
