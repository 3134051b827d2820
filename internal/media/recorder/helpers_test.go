package recorder

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/vionet/vionet/internal/media/hub"
)

const testPath = "live/34020000001320000001/34020000001310000001/0"

// probe is what ffprobe reports of a file.
type probe struct {
	Streams []struct {
		CodecName string `json:"codec_name"`
		CodecType string `json:"codec_type"`
		Width     int    `json:"width"`
		Height    int    `json:"height"`
		Duration  string `json:"duration"`
		NbFrames  string `json:"nb_read_frames"`
	} `json:"streams"`
	Format struct {
		Duration string `json:"duration"`
	} `json:"format"`
}

func (p probe) duration() float64 {
	d, _ := strconv.ParseFloat(p.Format.Duration, 64)
	return d
}

// ffprobe runs ffprobe on path, counting the frames it reads.
func ffprobe(t *testing.T, path string) probe {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-count_frames",
		"-show_entries", "stream=codec_name,codec_type,width,height,duration,nb_read_frames:format=duration",
		"-of", "json", path).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("ffprobe %s: %v: %s", path, err, ee.Stderr)
		}
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	var p probe
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatalf("ffprobe output: %v\n%s", err, out)
	}
	return p
}

// ffdecode decodes every frame of path with ffmpeg and fails on any
// decoder complaint.
func ffdecode(t *testing.T, path string) {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command("ffmpeg", "-nostdin", "-v", "error", "-i", path, "-f", "null", "-")
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Fatalf("ffmpeg decode %s: %v: %s", path, err, stderr.String())
	}
}

// segments collects what a recorder hands to OnSegment and OnError.
type segments struct {
	mu   sync.Mutex
	segs []Segment
	errs []error
	ch   chan Segment
}

func newSegments() *segments { return &segments{ch: make(chan Segment, 100)} }

func (s *segments) onSegment(seg Segment) {
	s.mu.Lock()
	s.segs = append(s.segs, seg)
	s.mu.Unlock()
	s.ch <- seg
}

func (s *segments) onError(err error) {
	s.mu.Lock()
	s.errs = append(s.errs, err)
	s.mu.Unlock()
}

func (s *segments) list() []Segment {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Segment(nil), s.segs...)
}

func (s *segments) errors() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]error(nil), s.errs...)
}

// wait waits for n more segments.
func (s *segments) wait(t *testing.T, n int, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for range n {
		select {
		case <-s.ch:
		case <-deadline:
			t.Fatalf("timeout waiting for segments; got %d", len(s.list()))
		}
	}
}

// startRecorder starts a recorder of testPath into dir with the collector's
// callbacks; it is closed at the end of the test.
func startRecorder(t *testing.T, h *hub.Hub, dir string, col *segments, mod func(*Options)) *Recorder {
	t.Helper()
	opts := Options{
		Hub:        h,
		Path:       testPath,
		Dir:        dir,
		MaxSegment: time.Second,
		Wait:       time.Second,
		OnSegment:  col.onSegment,
		OnError:    col.onError,
	}
	if mod != nil {
		mod(&opts)
	}
	r, err := Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

// waitReaders waits until the hub path has n readers.
func waitReaders(t *testing.T, h *hub.Hub, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for h.Readers(testPath) != n {
		if time.Now().After(deadline) {
			t.Fatalf("path has %d readers, want %d", h.Readers(testPath), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// readAll reads every unit of a segment file.
func readAll(t *testing.T, path string) ([]hub.Track, []hub.Unit) {
	t.Helper()
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var units []hub.Unit
	for {
		u, err := r.Next()
		if err == io.EOF {
			return r.Tracks(), units
		}
		if err != nil {
			t.Fatalf("%s: unit %d: %v", path, len(units), err)
		}
		units = append(units, u)
	}
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timeout waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
