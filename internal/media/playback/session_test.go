package playback

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/vionet/vionet/internal/media/hub"
)

// received is one unit as a hub reader saw it.
type received struct {
	hub.Unit
	at time.Time
}

// readAll reads path until the publisher goes away.
func readAll(t *testing.T, ctx context.Context, h *hub.Hub, path string) ([]hub.Track, []received) {
	t.Helper()
	r, err := h.Read(ctx, path, hub.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var out []received
	for {
		u, err := r.Next(ctx)
		if errors.Is(err, hub.ErrClosed) {
			return r.Tracks(), out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, received{u, time.Now()})
	}
}

// unitsOf keeps the units of one track.
func unitsOf(units []received, id int) []received {
	var v []received
	for _, u := range units {
		if u.Track == id {
			v = append(v, u)
		}
	}
	return v
}

// checkContinuous fails unless DTS increase by at most maxStep per unit.
func checkContinuous(t *testing.T, v []received, maxStep time.Duration) {
	t.Helper()
	for i := 1; i < len(v); i++ {
		d := v[i].DTS - v[i-1].DTS
		if d <= 0 || d > maxStep {
			t.Fatalf("unit %d: DTS %v after %v (step %v, max %v)", i, v[i].DTS, v[i-1].DTS, d, maxStep)
		}
	}
}

func within(got, want, tol time.Duration) bool {
	return got >= want-tol && got <= want+tol
}

func TestPublishRealTime(t *testing.T) {
	t.Parallel()
	for _, codec := range []hub.Codec{hub.H264, hub.H265} {
		t.Run(codec.String(), func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			file := makeSegmentFile(t, t.TempDir(), codec, codec == hub.H264)
			segs := segmentsOf(file, 2, t0, 0)
			h := hub.New(hub.Options{})
			start := time.Now()
			// H.264 with audio: 4 s over two segments from the start;
			// H.265: 2 s from the second keyframe, across the boundary.
			from, to, want := t0.Add(300*time.Millisecond), t0.Add(4*time.Second), t0
			if codec == hub.H265 {
				from, to, want = t0.Add(1300*time.Millisecond), t0.Add(3*time.Second), t0.Add(time.Second)
			}
			s, err := Publish(ctx, Options{Hub: h, Path: "rec/1", Segments: segs, From: from, To: to})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			published := time.Now()
			if got := s.Position(); !got.Equal(want) {
				t.Errorf("started at %v, want the keyframe at %v", got, want)
			}
			content := to.Sub(want)
			tracks, units := readAll(t, ctx, h, "rec/1")
			elapsed := time.Since(start)
			<-s.Done()
			if err := s.Err(); err != nil {
				t.Fatal(err)
			}
			if tracks[0].Codec != codec || tracks[0].Width != 320 || tracks[0].Height != 240 || len(tracks[0].Config) == 0 {
				t.Fatalf("video track %+v", tracks[0])
			}
			if wantAudio := codec == hub.H264; (len(tracks) == 2) != wantAudio {
				t.Fatalf("tracks %+v, audio expected: %v", tracks, wantAudio)
			}
			v := unitsOf(units, tracks[0].ID)
			if !v[0].Keyframe {
				t.Fatal("first unit is not a keyframe")
			}
			// Publish wrote the keyframe: a reader has it at once.
			if wait := units[0].at.Sub(published); wait > 50*time.Millisecond {
				t.Errorf("first unit after %v", wait)
			}
			if len(v) != int(content/(40*time.Millisecond)) {
				t.Errorf("%d video units for %v at 25 fps", len(v), content)
			}
			checkContinuous(t, v, 41*time.Millisecond)
			if last, want := v[len(v)-1].DTS, content-40*time.Millisecond; !within(last, want, 5*time.Millisecond) {
				t.Errorf("last DTS %v, want %v", last, want)
			}
			// Real time: each unit about when its timestamp says.
			if !within(elapsed, content, 500*time.Millisecond) {
				t.Errorf("%v of content took %v", content, elapsed)
			}
			for _, u := range v {
				if lag := u.at.Sub(v[0].at) - (u.DTS - v[0].DTS); lag < -20*time.Millisecond || lag > 300*time.Millisecond {
					t.Fatalf("unit at DTS %v arrived %v off its time", u.DTS, lag)
				}
			}
			if len(tracks) == 2 {
				if at := tracks[1]; at.Codec != hub.AAC || at.ClockRate != 48000 || len(at.Config) == 0 {
					t.Errorf("audio track %+v", at)
				}
				a := unitsOf(units, tracks[1].ID)
				checkContinuous(t, a, 22*time.Millisecond)
				if len(a) < 180 { // 48 kHz AAC: 46.9 frames/s
					t.Errorf("%d audio units in 4 s", len(a))
				}
			}
		})
	}
}

func TestPublishSpeeds(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		speed     float64
		segments  int
		wantUnits int           // video units
		wantReal  time.Duration // wall time to play it
		maxStep   time.Duration // DTS step between video units
		keyOnly   bool
	}{
		{"8x", 8, 2, 4, 500 * time.Millisecond, 130 * time.Millisecond, true},
		{"32x", 32, 4, 8, 250 * time.Millisecond, 40 * time.Millisecond, true},
		{"2x", 2, 2, 100, 2 * time.Second, 21 * time.Millisecond, false},
		{"half", 0.5, 1, 25, 2 * time.Second, 81 * time.Millisecond, false}, // 1 s of content
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			file := makeSegmentFile(t, t.TempDir(), hub.H264, true)
			segs := segmentsOf(file, c.segments, t0, 0)
			h := hub.New(hub.Options{})
			start := time.Now()
			to := segs[len(segs)-1].End
			if c.speed < 1 { // 1 s of content is enough to see the pace
				to = t0.Add(time.Second)
			}
			s, err := Publish(ctx, Options{Hub: h, Path: "rec/x", Segments: segs, From: t0, To: to, Speed: c.speed})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			tracks, units := readAll(t, ctx, h, "rec/x")
			elapsed := time.Since(start)
			if len(tracks) != 1 {
				t.Errorf("audio published at %vx: %+v", c.speed, tracks)
			}
			if len(units) != c.wantUnits {
				t.Errorf("%d units, want %d", len(units), c.wantUnits)
			}
			for _, u := range units {
				if u.Track != tracks[0].ID {
					t.Fatalf("audio unit at %vx", c.speed)
				}
				if c.keyOnly && !u.Keyframe {
					t.Fatalf("non-keyframe at %vx", c.speed)
				}
			}
			checkContinuous(t, units, c.maxStep)
			content := to.Sub(t0)
			if want := time.Duration(float64(content) / c.speed); !within(units[len(units)-1].DTS, want, c.maxStep+10*time.Millisecond) {
				t.Errorf("last DTS %v, want about %v", units[len(units)-1].DTS, want)
			}
			if !within(elapsed, c.wantReal, c.wantReal/5+150*time.Millisecond) {
				t.Errorf("%v of content at %vx took %v, want about %v", content, c.speed, elapsed, c.wantReal)
			}
		})
	}
}
