package recorder

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/vionet/vionet/internal/media/hub"
	"github.com/vionet/vionet/internal/media/mediatest"
)

// shifted returns copies of units with timestamps moved by d.
func shifted(units []hub.Unit, d time.Duration) []hub.Unit {
	out := make([]hub.Unit, len(units))
	for i, u := range units {
		u.PTS += d
		u.DTS += d
		out[i] = u
	}
	return out
}

// checkContinuous fails if the units of a segment are not one unbroken
// stream: first a keyframe, then one frame every 1/FPS.
func checkContinuous(t *testing.T, path string, units []hub.Unit) {
	t.Helper()
	if len(units) == 0 || !units[0].Keyframe {
		t.Fatalf("%s does not start on a keyframe", path)
	}
	for i := 1; i < len(units); i++ {
		if d := units[i].DTS - units[i-1].DTS; d != time.Second/mediatest.FPS {
			t.Fatalf("%s: unit %d steps %v", path, i, d)
		}
	}
}

// TestPublisherGoneAndBack: a publisher that leaves and comes back gives
// two segments with a gap between them; the recorder waits for it.
func TestPublisherGoneAndBack(t *testing.T) {
	t.Parallel()
	sample := mediatest.Load(hub.H264)
	h := hub.New(hub.Options{})
	col := newSegments()
	rec := startRecorder(t, h, t.TempDir(), col, func(o *Options) { o.MaxSegment = 10 * time.Second })
	for range 2 {
		pub, err := h.Publish(testPath, []hub.Track{sample.Track})
		if err != nil {
			t.Fatal(err)
		}
		waitReaders(t, h, 1)
		mediatest.Feed(context.Background(), pub, sample, 1)
		pub.Close()
		col.wait(t, 1, 10*time.Second)
		time.Sleep(500 * time.Millisecond)
	}
	segs := col.list()
	if len(segs) != 2 {
		t.Fatalf("%d segments: %+v", len(segs), segs)
	}
	for _, seg := range segs {
		if seg.Duration() != 2*time.Second {
			t.Errorf("%s lasts %v", seg.Path, seg.Duration())
		}
		_, units := readAll(t, seg.Path)
		compareUnits(t, sample.Units, units, videoTrackID)
	}
	if gap := segs[1].Start.Sub(segs[0].End); gap < 400*time.Millisecond {
		t.Errorf("gap between the sessions is %v", gap)
	}
	st := rec.Stats()
	if st.Sessions != 2 || st.Segments != 2 || st.Gaps != 2 || st.Recording || st.Units != uint64(2*len(sample.Units)) {
		t.Errorf("stats %+v", st)
	}
}

// TestTimestampJumps: a DTS jump forward beyond 2 s, or any step back,
// ends the segment; the next starts at the next keyframe. No file ever
// holds the discontinuity.
func TestTimestampJumps(t *testing.T) {
	t.Parallel()
	sample := mediatest.Load(hub.H264)
	h := hub.New(hub.Options{})
	pub, err := h.Publish(testPath, []hub.Track{sample.Track})
	if err != nil {
		t.Fatal(err)
	}
	col := newSegments()
	rec := startRecorder(t, h, t.TempDir(), col, func(o *Options) { o.MaxSegment = 10 * time.Second })
	waitReaders(t, h, 1)
	var parts [][]hub.Unit
	parts = append(parts, shifted(sample.Units, 0))
	parts = append(parts, shifted(sample.Units, 7*time.Second)) // jump forward
	parts = append(parts, shifted(sample.Units, time.Second))   // jump back
	// Second part starts mid-GOP: its first GOP is not recordable.
	parts[1] = parts[1][10:]
	for _, p := range parts {
		for _, u := range p {
			pub.Write(u)
		}
	}
	pub.Close()
	col.wait(t, 3, 10*time.Second)
	segs := col.list()
	if len(segs) != 3 {
		t.Fatalf("%d segments: %+v", len(segs), segs)
	}
	want := []time.Duration{2 * time.Second, time.Second, 2 * time.Second}
	for i, seg := range segs {
		_, units := readAll(t, seg.Path)
		checkContinuous(t, seg.Path, units)
		if seg.Duration() != want[i] {
			t.Errorf("segment %d lasts %v, want %v", i, seg.Duration(), want[i])
		}
		ffdecode(t, seg.Path)
		if i > 0 && seg.Start.Before(segs[i-1].End) {
			t.Errorf("segment %d starts before the previous one ended", i)
		}
	}
	if st := rec.Stats(); st.Gaps != 3 || st.Skipped != 15 {
		t.Errorf("stats %+v", st)
	}
}

// TestHubDrop: a recorder that falls behind loses units in the hub; the
// segment ends where the units went missing and the next one starts on the
// keyframe the hub resumed on.
func TestHubDrop(t *testing.T) {
	t.Parallel()
	sample := mediatest.Load(hub.H264)
	units := append(shifted(sample.Units, 0), shifted(sample.Units, 2*time.Second)...)
	h := hub.New(hub.Options{})
	pub, err := h.Publish(testPath, []hub.Track{sample.Track})
	if err != nil {
		t.Fatal(err)
	}
	col := newSegments()
	release := make(chan struct{})
	first := true
	rec := startRecorder(t, h, t.TempDir(), col, func(o *Options) {
		o.QueueSize = 40
		o.OnSegment = func(s Segment) {
			if first {
				first = false
				<-release // the recorder stalls: its queue fills up
			}
			col.onSegment(s)
		}
	})
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	t.Cleanup(unblock) // before rec.Close, should the test fail while it is stalled
	waitReaders(t, h, 1)
	// Each batch fits in the queue unless the recorder is stalled.
	for _, u := range units[:26] { // the keyframe at 1 s cuts the first segment
		pub.Write(u)
	}
	waitFor(t, "the first cut", func() bool { return rec.Stats().Fragments == 1 })
	for _, u := range units[26:75] { // 40 are queued, 66..74 dropped
		pub.Write(u)
	}
	unblock()
	col.wait(t, 2, 10*time.Second) // the second cut: unit 50 is out of the queue
	for _, u := range units[75:] { // the hub resumes on the keyframe at 3 s
		pub.Write(u)
	}
	pub.Close()
	col.wait(t, 2, 10*time.Second)
	rec.Close()
	segs := col.list()
	if len(segs) != 4 {
		t.Fatalf("%d segments: %+v", len(segs), segs)
	}
	want := []int{25, 25, 16, 25} // cut at 1 s and 2 s, gap after 2.6 s
	for i, seg := range segs {
		_, us := readAll(t, seg.Path)
		checkContinuous(t, seg.Path, us)
		if len(us) != want[i] {
			t.Errorf("segment %d has %d units, want %d", i, len(us), want[i])
		}
		ffdecode(t, seg.Path)
	}
	if st := rec.Stats(); st.Dropped != 9 || st.Gaps != 2 {
		t.Errorf("stats %+v", st)
	}
}

// TestStalledStream: a fragment may not grow without end. Video without a
// keyframe for over 30 s, or audio going on while the video stalls, ends
// the segment; recording resumes at the next keyframe.
func TestStalledStream(t *testing.T) {
	t.Parallel()
	sample := mediatest.Load(hub.H264)
	atrack, aunits := aacSample(t, 1, 8000, "1")
	key, inter := sample.Units[0], sample.Units[1]
	frame := time.Second / mediatest.FPS
	at := func(u hub.Unit, n int) hub.Unit {
		u.PTS, u.DTS = time.Duration(n)*frame, time.Duration(n)*frame
		return u
	}
	h := hub.New(hub.Options{})
	pub, err := h.Publish(testPath, []hub.Track{sample.Track, atrack})
	if err != nil {
		t.Fatal(err)
	}
	col := newSegments()
	rec := startRecorder(t, h, t.TempDir(), col, func(o *Options) {
		o.MaxSegment = time.Minute
		o.QueueSize = 4096 // everything fits: no drop however slow the machine
	})
	waitReaders(t, h, 1)
	// 31 s without a keyframe, then a keyframe.
	pub.Write(at(key, 0))
	for n := 1; n < 31*mediatest.FPS; n++ {
		pub.Write(at(inter, n))
	}
	n := 31 * mediatest.FPS
	pub.Write(at(key, n))
	// Then audio only for 31 s (the video stalls), then a keyframe.
	audio := aunits[0]
	step := time.Duration(1024) * time.Second / 8000
	for i := 1; time.Duration(i)*step <= 31*time.Second; i++ {
		audio.PTS = time.Duration(n)*frame + time.Duration(i)*step
		audio.DTS = audio.PTS
		pub.Write(audio)
	}
	pub.Write(at(key, n+33*mediatest.FPS))
	pub.Close()
	col.wait(t, 3, 10*time.Second)
	segs := col.list()
	if len(segs) != 3 {
		t.Fatalf("%d segments: %+v", len(segs), segs)
	}
	if d := segs[0].Duration(); d < 29*time.Second || d > 31*time.Second {
		t.Errorf("first segment lasts %v", d)
	}
	if st := rec.Stats(); st.Gaps != 3 || st.Dropped != 0 {
		t.Errorf("stats %+v", st)
	}
}
