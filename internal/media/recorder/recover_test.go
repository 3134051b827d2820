package recorder

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vionet/vionet/internal/media/hub"
	"github.com/vionet/vionet/internal/media/mediatest"
)

// crashSnapshot records the H.264 sample until three fragments of an open
// segment are on disk, and returns a copy of the .part file as it is at
// that moment: what a crash would leave, and the units written.
func crashSnapshot(t *testing.T) ([]byte, []hub.Unit) {
	t.Helper()
	sample := mediatest.Load(hub.H264)
	units := append(shifted(sample.Units, 0), shifted(sample.Units, 2*time.Second)...)
	h := hub.New(hub.Options{})
	pub, err := h.Publish(testPath, []hub.Track{sample.Track})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	dir := t.TempDir()
	rec := startRecorder(t, h, dir, newSegments(), func(o *Options) { o.MaxSegment = time.Minute })
	waitReaders(t, h, 1)
	for _, u := range units[:76] { // up to the keyframe at 3 s
		pub.Write(u)
	}
	waitFor(t, "three fragments", func() bool { return rec.Stats().Fragments == 3 })
	parts, _ := filepath.Glob(filepath.Join(dir, "*.mp4.part"))
	if len(parts) != 1 {
		t.Fatalf("parts: %v", parts)
	}
	b, err := os.ReadFile(parts[0])
	if err != nil {
		t.Fatal(err)
	}
	return b, units
}

// fragmentsOf returns the [start, end) offsets of the fragments of a file.
func fragmentsOf(t *testing.T, b []byte) [][2]int64 {
	t.Helper()
	return fragmentsOfBytes(b)
}

// TestRecover: parts left by a crash keep their complete fragments whatever
// follows them; parts without one are deleted; other files are left alone.
func TestRecover(t *testing.T) {
	t.Parallel()
	snap, written := crashSnapshot(t)
	frags := fragmentsOf(t, snap)
	if len(frags) != 3 {
		t.Fatalf("snapshot has %d fragments", len(frags))
	}
	initEnd := frags[0][0]
	garbage := make([]byte, 5000)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range garbage {
		garbage[i] = byte(rng.UintN(256))
	}
	badMdat := bytes.Clone(snap)
	copy(badMdat[frags[1][0]+int64(bytes.Index(snap[frags[1][0]:], []byte("mdat"))):], "xdat")

	dir := t.TempDir()
	files := map[string][]byte{
		"1000.mp4.part":  snap,                                             // crash between two fragments
		"2000.mp4.part":  snap[:len(snap)-100],                             // inside the last mdat
		"3000.mp4.part":  snap[:frags[2][0]+4],                             // inside the last moof header
		"4000.mp4.part":  append(bytes.Clone(snap), make([]byte, 8192)...), // zero-filled tail
		"5000.mp4.part":  append(bytes.Clone(snap), garbage...),
		"6000.mp4.part":  snap[:initEnd], // init only
		"7000.mp4.part":  snap[:100],     // inside the init
		"8000.mp4.part":  garbage,
		"9000.mp4.part":  nil,
		"11000.mp4.part": badMdat, // second fragment damaged
		"notes.mp4.part": snap,    // not a name the recorder writes
		"10000.mp4":      snap,    // a closed segment: not touched
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A part being read before recovery: complete fragments, then the tear.
	r, err := Open(filepath.Join(dir, "2000.mp4.part"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for ; ; n++ {
		if _, err = r.Next(); err != nil {
			break
		}
	}
	r.Close()
	if !errors.Is(err, ErrTruncated) || n != 50 {
		t.Errorf("reading a torn part: %d units, then %v", n, err)
	}

	segs, err := Recover(dir)
	if err == nil || !strings.Contains(err.Error(), "notes.mp4.part") {
		t.Errorf("Recover error %v, want one about notes.mp4.part", err)
	}
	want := []struct {
		name  string
		secs  int
		bytes int64
	}{
		{"1000.mp4", 3, int64(len(snap))},
		{"2000.mp4", 2, frags[1][1]},
		{"3000.mp4", 2, frags[1][1]},
		{"4000.mp4", 3, int64(len(snap))},
		{"5000.mp4", 3, int64(len(snap))},
		{"11000.mp4", 1, frags[0][1]},
	}
	if len(segs) != len(want) {
		t.Fatalf("recovered %d segments: %+v", len(segs), segs)
	}
	for i, w := range want {
		seg := segs[i]
		if filepath.Base(seg.Path) != w.name || seg.Duration() != time.Duration(w.secs)*time.Second ||
			seg.Size != w.bytes || seg.Codec != hub.H264 || seg.HasAudio {
			t.Errorf("segment %d: %+v, want %s of %d s, %d bytes", i, seg, w.name, w.secs, w.bytes)
			continue
		}
		if st, err := os.Stat(seg.Path); err != nil || st.Size() != seg.Size {
			t.Errorf("%s: %v", seg.Path, err)
		}
		info, err := ReadInfo(seg.Path)
		if err != nil || info != seg {
			t.Errorf("ReadInfo %+v %v, Recover %+v", info, err, seg)
		}
		p := ffprobe(t, seg.Path)
		if len(p.Streams) != 1 || p.Streams[0].CodecName != "h264" || p.Streams[0].Width != mediatest.Width {
			t.Errorf("ffprobe %s: %+v", seg.Path, p.Streams)
		}
		ffdecode(t, seg.Path)
		_, units := readAll(t, seg.Path)
		compareUnits(t, written[:25*w.secs], units, videoTrackID)
	}
	left, _ := os.ReadDir(dir)
	var names []string
	for _, e := range left {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "1000.mp4 10000.mp4 11000.mp4 2000.mp4 3000.mp4 4000.mp4 5000.mp4 notes.mp4.part" {
		t.Errorf("files after Recover: %v", names)
	}
	// Running it again finds nothing more to do.
	if segs, err := Recover(dir); len(segs) != 0 || err == nil {
		t.Errorf("second Recover: %v, %v", segs, err)
	}
}

// TestReadErrors: Open and ReadInfo refuse what is not a segment.
func TestReadErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	snap, _ := crashSnapshot(t)
	for name, b := range map[string][]byte{
		"1.mp4": nil,
		"2.mp4": []byte("not an mp4 file at all"),
		"3.mp4": snap[:200],
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(p); err == nil {
			t.Errorf("Open %s: no error", name)
		}
		if _, err := ReadInfo(p); err == nil {
			t.Errorf("ReadInfo %s: no error", name)
		}
	}
	p := filepath.Join(dir, "segment.mp4")
	if err := os.WriteFile(p, snap, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadInfo(p); !errors.Is(err, ErrBadName) {
		t.Errorf("ReadInfo without a start in the name: %v", err)
	}
	r, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if !r.Start().IsZero() {
		t.Errorf("Start %v", r.Start())
	}
	n := 0
	for ; ; n++ {
		if _, err = r.Next(); err != nil {
			break
		}
	}
	if err != io.EOF || n != 75 {
		t.Errorf("%d units then %v", n, err)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("after EOF: %v", err)
	}
}
