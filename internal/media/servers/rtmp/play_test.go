package rtmp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bluenviron/gortmplib/pkg/codecs"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"

	"github.com/vionet/vionet/internal/media/hub"
	"github.com/vionet/vionet/internal/media/mediatest"
	"github.com/vionet/vionet/internal/media/token"
)

type ffStream struct {
	CodecType string `json:"codec_type"`
	CodecName string `json:"codec_name"`
	Width     int    `json:"width"`
	Height    int    `json:"height"`
}

// ffprobe returns the streams ffprobe finds at url.
func ffprobe(t *testing.T, url string) ([]ffStream, error) {
	t.Helper()
	requireTool(t, "ffprobe")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ffprobe", "-v", "error", "-show_streams", "-of", "json", url).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return nil, errors.New(string(ee.Stderr))
		}
		return nil, err
	}
	var res struct{ Streams []ffStream }
	if err := json.Unmarshal(out, &res); err != nil {
		return nil, err
	}
	return res.Streams, nil
}

// ffprobe plays a multi-segment path and sees the H.264 stream.
func TestPlayFFprobe(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	path := "live/a/b"
	e.feed(t, path, hub.H264)
	streams, err := ffprobe(t, e.url(path, e.token(path, token.Read, time.Minute)))
	if err != nil {
		t.Fatal(err)
	}
	if len(streams) != 1 || streams[0].CodecName != "h264" || streams[0].Width != 320 || streams[0].Height != 240 {
		t.Fatalf("streams %+v", streams)
	}
	waitFor(t, 2*time.Second, "viewer gone", func() bool { return e.srv.Stats().Readers == 0 })
	st := e.srv.Stats()
	if st.ReadersTotal != 1 || st.BytesOut == 0 || st.TokensRefused != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// H.265 goes out as Enhanced RTMP; ffmpeg 5.1 cannot read that, so
// gortmplib's client checks it, once with the query in the application
// (gortmplib puts the whole path there) and once with the stream name in
// the fragment, which makes the query land in the middle of tcUrl+name.
func TestPlayH265(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	path := "live/h265/cam"
	e.feed(t, path, hub.H265)
	tok := e.token(path, token.Read, time.Minute)
	for _, u := range []string{
		e.url(path, tok),
		"rtmp://" + e.srv.Addr().String() + "/live?token=" + tok + "#h265/cam",
	} {
		c, r, err := dial(t, u)
		if err != nil {
			t.Fatalf("%s: %v", u, err)
		}
		tracks := r.Tracks()
		if len(tracks) != 1 {
			t.Fatalf("tracks %v", tracks)
		}
		codec, ok := tracks[0].Codec.(*codecs.H265)
		if !ok {
			t.Fatalf("codec %T", tracks[0].Codec)
		}
		var sps h265.SPS
		if err := sps.Unmarshal(codec.SPS); err != nil || sps.Width() != 320 || sps.Height() != 240 {
			t.Fatalf("SPS %v %dx%d", err, sps.Width(), sps.Height())
		}
		var frames, keyframes int
		r.OnDataH265(tracks[0], func(_, _ time.Duration, au [][]byte) {
			if h265.IsRandomAccess(au) {
				keyframes++
			}
			frames++
		})
		for frames < 30 {
			if err := r.Read(); err != nil {
				t.Fatal(err)
			}
		}
		if keyframes == 0 {
			t.Fatal("no keyframe")
		}
		c.Close()
	}
}

// Tampered, expired, other-path and missing tokens are refused, and so is
// a publish token used to play.
func TestPlayTokenRefused(t *testing.T) {
	e := newEnv(t, nil)
	path := "live/a/b"
	e.feed(t, path, hub.H264)
	good := e.token(path, token.Read, time.Minute)
	tampered := tamper(good)
	bad := map[string]string{
		"tampered":   tampered,
		"expired":    e.token(path, token.Read, -time.Second),
		"other path": e.token("live/a/c", token.Read, time.Minute),
		"missing":    "",
		"publish":    e.token(path, token.Publish, time.Minute),
	}
	n := uint64(0)
	for name, tok := range bad {
		if _, _, err := dial(t, e.url(path, tok)); err == nil {
			t.Errorf("%s: played", name)
		}
		n++
		if got := e.srv.Stats().TokensRefused; got != n {
			t.Errorf("%s: refused %d, want %d", name, got, n)
		}
	}
	if _, err := ffprobe(t, e.url(path, tampered)); err == nil {
		t.Error("ffprobe played with a tampered token")
	}
	if st := e.srv.Stats(); st.ReadersTotal != 0 || st.TokensRefused != n+1 {
		t.Fatalf("stats %+v", st)
	}
}

// A viewer of a path without publisher triggers Demand; the stream it
// starts is played. A failing Demand, or no Demand at all, refuses.
func TestPlayDemand(t *testing.T) {
	t.Parallel()
	var ep atomic.Pointer[env]
	var mu sync.Mutex
	var asked []string
	e := newEnv(t, func(ctx context.Context, path string, c token.Claims) error {
		mu.Lock()
		asked = append(asked, path+" "+c.AppID)
		mu.Unlock()
		if path == "live/broken" {
			return errors.New("device offline")
		}
		go func() {
			time.Sleep(200 * time.Millisecond) // the device answers later
			ep.Load().feed(t, path, hub.H264)
		}()
		return nil
	})
	ep.Store(e)
	path := "live/ondemand/1"
	_, r, err := dial(t, e.url(path, e.token(path, token.Read, time.Minute)))
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := r.Tracks()[0].Codec.(*codecs.H264); !ok || len(c.SPS) == 0 {
		t.Fatalf("tracks %+v", r.Tracks())
	}
	if _, _, err := dial(t, e.url("live/broken", e.token("live/broken", token.Read, time.Minute))); err == nil {
		t.Fatal("played a broken stream")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(asked) != 2 || asked[0] != path+" app1" {
		t.Fatalf("demand calls %v", asked)
	}
	if st := e.srv.Stats(); st.NotFound != 1 {
		t.Fatalf("stats %+v", st)
	}

	e2 := newEnv(t, nil)
	start := time.Now()
	if _, _, err := dial(t, e2.url("live/none", e2.token("live/none", token.Read, time.Minute))); err == nil {
		t.Fatal("played a missing stream")
	}
	if time.Since(start) > 2*time.Second || e2.srv.Stats().NotFound != 1 {
		t.Fatalf("refusal took %v, stats %+v", time.Since(start), e2.srv.Stats())
	}
}

// The viewer ends when the publisher goes away, and Close ends viewers.
func TestPlayEnds(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	s := mediatest.Load(hub.H264)
	pub, err := e.hub.Publish("live/x", []hub.Track{s.Track})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go mediatest.Feed(ctx, pub, s, 0)
	_, r, err := dial(t, e.url("live/x", e.token("live/x", token.Read, time.Minute)))
	if err != nil {
		t.Fatal(err)
	}
	r.OnDataH264(r.Tracks()[0], func(time.Duration, time.Duration, [][]byte) {})
	cancel()
	pub.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if err := r.Read(); err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("viewer still served after the publisher closed")
		}
	}
	waitFor(t, 2*time.Second, "no readers", func() bool { return e.srv.Stats().Readers == 0 })

	e.feed(t, "live/y", hub.H264)
	_, r, err = dial(t, e.url("live/y", e.token("live/y", token.Read, time.Minute)))
	if err != nil {
		t.Fatal(err)
	}
	r.OnDataH264(r.Tracks()[0], func(time.Duration, time.Duration, [][]byte) {})
	e.srv.Close()
	for {
		if err := r.Read(); err != nil {
			break
		}
	}
	if st := e.srv.Stats(); st.Conns != 0 || st.Readers != 0 {
		t.Fatalf("stats after Close %+v", st)
	}
}

// H.264 with AAC or G.711 plays in ffprobe with both streams.
func TestPlayAudio(t *testing.T) {
	aacTrack, aacFrames := aacSample(t)
	g711 := []hub.Unit{{Data: bytes.Repeat([]byte{0xd5}, 160)}}
	cases := []struct {
		name   string
		track  hub.Track
		frames []hub.Unit
		dur    time.Duration
		codec  string
	}{
		{"aac", aacTrack, aacFrames, 1024 * time.Second / 44100, "aac"},
		{"alaw", hub.Track{Codec: hub.G711A, ClockRate: 8000}, g711, 20 * time.Millisecond, "pcm_alaw"},
		{"mulaw", hub.Track{Codec: hub.G711U, ClockRate: 8000}, g711, 20 * time.Millisecond, "pcm_mulaw"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil)
			path := "live/av/" + c.name
			e.feedAV(t, path, c.track, c.frames, c.dur)
			streams, err := ffprobe(t, e.url(path, e.token(path, token.Read, time.Minute)))
			if err != nil {
				t.Fatal(err)
			}
			var video, audio bool
			for _, s := range streams {
				video = video || (s.CodecName == "h264" && s.Width == 320)
				audio = audio || (s.CodecType == "audio" && s.CodecName == c.codec)
			}
			if len(streams) != 2 || !video || !audio {
				t.Fatalf("streams %+v", streams)
			}
		})
	}
}
