package snapshot

import (
	"bytes"
	"context"
	"errors"
	"image/jpeg"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/vionet/vionet/internal/media/hub"
	"github.com/vionet/vionet/internal/media/mediatest"
)

// publish starts feeding sample codec on path and returns when the GOP cache
// holds a keyframe.
func publish(t *testing.T, h *hub.Hub, path string, codec hub.Codec) {
	t.Helper()
	s := mediatest.Load(codec)
	pub, err := h.Publish(path, []hub.Track{s.Track})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); mediatest.Feed(ctx, pub, s, 0) }()
	t.Cleanup(func() { cancel(); <-done; pub.Close() })
}

func decodeSize(t *testing.T, b []byte) (int, int) {
	t.Helper()
	if len(b) < 2 || b[0] != 0xFF || b[1] != 0xD8 {
		t.Fatalf("not a JPEG: % x", b[:min(len(b), 8)])
	}
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("image/jpeg: %v", err)
	}
	return img.Bounds().Dx(), img.Bounds().Dy()
}

func TestGrab(t *testing.T) {
	h := hub.New(hub.Options{})
	publish(t, h, "live/h264", hub.H264)
	publish(t, h, "live/h265", hub.H265)

	cases := []struct {
		path         string
		w, h         int
		wantW, wantH int
	}{
		{"live/h264", 0, 0, mediatest.Width, mediatest.Height},
		{"live/h264", 160, 90, 160, 90},
		{"live/h264", 160, 0, 160, 120},
		{"live/h265", 0, 0, mediatest.Width, mediatest.Height},
		{"live/h265", 0, 480, 640, 480},
	}
	for _, c := range cases {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		b, err := Grab(ctx, h, c.path, Options{Width: c.w, Height: c.h, Wait: 2 * time.Second})
		cancel()
		if err != nil {
			t.Fatalf("%s %dx%d: %v", c.path, c.w, c.h, err)
		}
		if w, hh := decodeSize(t, b); w != c.wantW || hh != c.wantH {
			t.Errorf("%s %dx%d: got %dx%d, want %dx%d", c.path, c.w, c.h, w, hh, c.wantW, c.wantH)
		}
	}
	if n := h.Readers("live/h264"); n != 0 {
		t.Errorf("readers left on path: %d", n)
	}
}

// TestFromAccessUnitLaterKeyframe decodes a keyframe that carries no
// parameter sets in-band: they must come from the track config.
func TestFromAccessUnitLaterKeyframe(t *testing.T) {
	for _, codec := range []hub.Codec{hub.H264, hub.H265} {
		s := mediatest.Load(codec)
		var au []byte
		for _, u := range s.Units[1:] {
			if u.Keyframe {
				au = u.Data
				break
			}
		}
		if au == nil {
			t.Fatalf("%v: sample has a single keyframe", codec)
		}
		b, err := FromAccessUnit(context.Background(), codec, s.Track.Config, au, Options{Quality: 2})
		if err != nil {
			t.Fatalf("%v: %v", codec, err)
		}
		if w, h := decodeSize(t, b); w != mediatest.Width || h != mediatest.Height {
			t.Errorf("%v: got %dx%d", codec, w, h)
		}
	}
}

func TestErrors(t *testing.T) {
	h := hub.New(hub.Options{})
	ctx := context.Background()

	if _, err := Grab(ctx, h, "live/none", Options{}); !errors.Is(err, hub.ErrNoPublisher) {
		t.Errorf("no publisher: %v", err)
	}

	pub, err := h.Publish("live/audio", []hub.Track{{ID: 1, Codec: hub.G711A, ClockRate: 8000}})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	if _, err := Grab(ctx, h, "live/audio", Options{}); !errors.Is(err, ErrNoVideo) {
		t.Errorf("audio only: %v", err)
	}

	s := mediatest.Load(hub.H264)
	for _, bin := range []string{"/nonexistent/ffmpeg", "vionet-no-such-ffmpeg"} {
		_, err = FromAccessUnit(ctx, hub.H264, s.Track.Config, s.Units[0].Data, Options{FFmpeg: bin})
		if !errors.Is(err, exec.ErrNotFound) || !strings.Contains(err.Error(), bin) {
			t.Errorf("ffmpeg %s: %v", bin, err)
		}
	}

	// A P-frame without its keyframe and parameter sets: ffmpeg decodes
	// nothing, and its complaint is in the error.
	_, err = FromAccessUnit(ctx, hub.H264, nil, []byte{0, 0, 0, 1, 0x41, 0x9a, 0x00, 0x11, 0x22}, Options{})
	if !errors.Is(err, ErrDecode) {
		t.Errorf("garbage: %v", err)
	}
	t.Logf("decode failure reads: %v", err)

	if _, err := FromAccessUnit(ctx, hub.AAC, nil, []byte{1}, Options{}); !errors.Is(err, ErrUnsupportedCodec) {
		t.Errorf("AAC: %v", err)
	}
	if _, err := FromAccessUnit(ctx, hub.H264, nil, []byte{1}, Options{Quality: 99}); err == nil {
		t.Error("quality 99 accepted")
	}
}

func BenchmarkGrab(b *testing.B) {
	h := hub.New(hub.Options{})
	s := mediatest.Load(hub.H264)
	pub, err := h.Publish("live/bench", []hub.Track{s.Track})
	if err != nil {
		b.Fatal(err)
	}
	defer pub.Close()
	// One GOP is enough: Grab reads the cached keyframe.
	for _, u := range s.Units[:mediatest.FPS] {
		pub.Write(u)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := Grab(context.Background(), h, "live/bench", Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/grab")
}
