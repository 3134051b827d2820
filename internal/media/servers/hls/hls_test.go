package hls

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vionet/vionet/internal/media/hub"
	"github.com/vionet/vionet/internal/media/mediatest"
	"github.com/vionet/vionet/internal/media/token"
)

type env struct {
	hub *hub.Hub
	key token.Key
	h   *Handler
	srv *httptest.Server
}

func newEnv(t *testing.T, o Options) *env {
	t.Helper()
	key, err := token.NewKey([]byte("hls-test-secret-0123456789"))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{hub: hub.New(hub.Options{}), key: key}
	o.Hub, o.Key = e.hub, key
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	e.h = New(o)
	e.srv = httptest.NewServer(e.h)
	t.Cleanup(func() {
		e.srv.Close()
		e.h.Close()
	})
	return e
}

// publish feeds codec's sample (plus any extra tracks, never written) on
// path until the test ends or the returned stop is called.
func (e *env) publish(t *testing.T, path string, codec hub.Codec, extra ...hub.Track) (stop func()) {
	t.Helper()
	s := mediatest.Load(codec)
	pub, err := e.hub.Publish(path, append([]hub.Track{s.Track}, extra...))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); mediatest.Feed(ctx, pub, s, 0) }()
	stop = func() { cancel(); <-done; pub.Close() }
	t.Cleanup(stop)
	return stop
}

func (e *env) token(path string, expires time.Time) string {
	return e.key.Sign(token.Claims{Path: path, Action: token.Read, Expires: expires})
}

func (e *env) url(tok, path, file string) string {
	return e.srv.URL + "/hls/" + tok + "/" + path + "/" + file
}

type probed struct {
	Streams []struct {
		CodecName string `json:"codec_name"`
		CodecType string `json:"codec_type"`
		Width     int    `json:"width"`
		Height    int    `json:"height"`
	} `json:"streams"`
}

func ffprobe(t *testing.T, url string) probed {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ffprobe", "-v", "error", "-show_streams", "-of", "json", url).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("ffprobe %s: %v: %s", url, err, ee.Stderr)
		}
		t.Fatalf("ffprobe: %v", err)
	}
	var p probed
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatalf("ffprobe output: %v: %s", err, out)
	}
	return p
}

func assertVideo(t *testing.T, p probed, codec string) {
	t.Helper()
	if len(p.Streams) != 1 {
		t.Fatalf("want 1 stream, got %+v", p.Streams)
	}
	s := p.Streams[0]
	if s.CodecName != codec || s.Width != mediatest.Width || s.Height != mediatest.Height {
		t.Fatalf("got %s %dx%d, want %s %dx%d", s.CodecName, s.Width, s.Height, codec, mediatest.Width, mediatest.Height)
	}
}

func get(t *testing.T, url string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// waitFor polls cond for up to d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestFFprobeH264 reads a fresh H.264 stream (MPEG-TS variant) with ffprobe;
// G.711 audio on the path is dropped.
func TestFFprobeH264(t *testing.T) {
	e := newEnv(t, Options{})
	path := "live/a/b"
	e.publish(t, path, hub.H264, hub.Track{ID: 7, Codec: hub.G711A, ClockRate: 8000})
	tok := e.token(path, time.Now().Add(time.Hour))

	start := time.Now()
	assertVideo(t, ffprobe(t, e.url(tok, path, "index.m3u8")), "h264")
	t.Logf("ffprobe on a fresh H.264 stream: %v", time.Since(start).Round(time.Millisecond))

	st := e.h.Stats()
	if st.Readers != 1 || st.ReadersTotal != 1 || st.BytesOut == 0 || st.EncodeErrors != 0 {
		t.Errorf("stats: %+v", st)
	}
	// A second viewer shares the muxer: still one hub reader.
	assertVideo(t, ffprobe(t, e.url(tok, path, "index.m3u8")), "h264")
	if n := e.hub.Readers(path); n != 1 {
		t.Errorf("hub readers = %d, want 1", n)
	}
}

// TestFFprobeH265 reads an H.265 stream, served as fMP4.
func TestFFprobeH265(t *testing.T) {
	e := newEnv(t, Options{})
	path := "live/34020000001320000001/34020000001310000001/0"
	e.publish(t, path, hub.H265)
	tok := e.token(path, time.Now().Add(time.Hour))

	start := time.Now()
	assertVideo(t, ffprobe(t, e.url(tok, path, "index.m3u8")), "hevc")
	t.Logf("ffprobe on a fresh H.265 stream: %v", time.Since(start).Round(time.Millisecond))

	resp, body := get(t, e.url(tok, path, "index.m3u8"))
	if !strings.Contains(string(body), "hvc1") && !strings.Contains(string(body), "hev1") {
		t.Errorf("multivariant playlist has no HEVC codec: %s", body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/vnd.apple.mpegurl" {
		t.Errorf("content type %q", ct)
	}
}

var segmentRE = regexp.MustCompile(`(?m)^[^#\s][^\s]*\.(ts|mp4)$`)

// TestTokens: the playlist opens with a good token; a segment is refused
// with a tampered, expired or other-path token.
func TestTokens(t *testing.T) {
	e := newEnv(t, Options{})
	path := "live/a/b"
	e.publish(t, path, hub.H264)
	good := e.token(path, time.Now().Add(time.Hour))

	resp, body := get(t, e.url(good, path, "index.m3u8"))
	if resp.StatusCode != 200 {
		t.Fatalf("index: %d %s", resp.StatusCode, body)
	}
	if resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("no CORS header: %v", resp.Header)
	}
	resp, body = get(t, e.url(good, path, "main_stream.m3u8"))
	if resp.StatusCode != 200 {
		t.Fatalf("media playlist: %d %s", resp.StatusCode, body)
	}
	seg := segmentRE.FindString(string(body))
	if seg == "" {
		t.Fatalf("no segment in %s", body)
	}
	resp, body = get(t, e.url(good, path, seg))
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "video/mp2t" || len(body) == 0 || body[0] != 0x47 {
		t.Fatalf("segment with good token: %d %q %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), len(body))
	}

	// Flip one character of the signature.
	b := []byte(good)
	if b[len(b)-2] == 'A' {
		b[len(b)-2] = 'B'
	} else {
		b[len(b)-2] = 'A'
	}
	tampered := string(b)
	other := e.token("live/a/c", time.Now().Add(time.Hour))
	expired := e.token(path, time.Now().Add(-time.Second))
	cases := []struct {
		name, tok, file string
		want            int
	}{
		{"tampered segment", tampered, seg, 401},
		{"tampered playlist", tampered, "main_stream.m3u8", 401},
		{"expired segment", expired, seg, 401},
		{"expired index", expired, "index.m3u8", 401},
		{"other path", other, seg, 403},
		{"garbage", "x", seg, 401},
	}
	before := e.h.Stats().TokensRefused
	for _, c := range cases {
		resp, _ := get(t, e.url(c.tok, path, c.file))
		if resp.StatusCode != c.want {
			t.Errorf("%s: %d, want %d", c.name, resp.StatusCode, c.want)
		}
	}
	if got := e.h.Stats().TokensRefused - before; got != uint64(len(cases)) {
		t.Errorf("tokens refused counted %d, want %d", got, len(cases))
	}

	// Unknown files of a running muxer, and malformed URLs.
	for url, want := range map[string]int{
		e.url(good, path, "nope.ts"):                  404,
		e.srv.URL + "/hls/" + good + "/index.m3u8":    404,
		e.srv.URL + "/hls/" + good + "//x/index.m3u8": 404,
		e.srv.URL + "/other":                          404,
	} {
		if resp, _ := get(t, url); resp.StatusCode != want {
			t.Errorf("%s: %d, want %d", url, resp.StatusCode, want)
		}
	}

	req, _ := http.NewRequest(http.MethodOptions, e.url(good, path, "index.m3u8"), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("OPTIONS: %d %v", resp.StatusCode, resp.Header)
	}
	resp, err = http.Post(e.url(good, path, "index.m3u8"), "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 {
		t.Errorf("POST: %d", resp.StatusCode)
	}
}

// TestIdleAndPublisherGone: the muxer and its hub reader go away after the
// idle timeout, and when the publisher leaves.
func TestIdleAndPublisherGone(t *testing.T) {
	e := newEnv(t, Options{IdleTimeout: 500 * time.Millisecond, ReadWait: 300 * time.Millisecond})
	path := "live/idle"
	stop := e.publish(t, path, hub.H264)
	tok := e.token(path, time.Now().Add(time.Hour))

	if resp, body := get(t, e.url(tok, path, "index.m3u8")); resp.StatusCode != 200 {
		t.Fatalf("index: %d %s", resp.StatusCode, body)
	}
	if n := e.hub.Readers(path); n != 1 {
		t.Fatalf("hub readers = %d", n)
	}
	waitFor(t, 3*time.Second, "idle muxer to stop", func() bool {
		return e.hub.Readers(path) == 0 && e.h.Stats().Readers == 0
	})

	// Requests keep it alive past the idle timeout.
	if resp, _ := get(t, e.url(tok, path, "index.m3u8")); resp.StatusCode != 200 {
		t.Fatalf("index again: %d", resp.StatusCode)
	}
	for range 8 {
		time.Sleep(100 * time.Millisecond)
		get(t, e.url(tok, path, "main_stream.m3u8"))
	}
	if n := e.hub.Readers(path); n != 1 {
		t.Fatalf("muxer stopped while used: hub readers = %d", n)
	}
	if st := e.h.Stats(); st.ReadersTotal != 2 {
		t.Errorf("readers total = %d, want 2", st.ReadersTotal)
	}

	stop()
	waitFor(t, 3*time.Second, "muxer to stop with the publisher", func() bool { return e.h.Stats().Readers == 0 })
	resp, _ := get(t, e.url(tok, path, "main_stream.m3u8"))
	if resp.StatusCode != 404 {
		t.Errorf("playlist after the publisher left: %d", resp.StatusCode)
	}
}

// TestDemand: a playlist request for an unpublished path calls Demand, which
// starts the stream; a failing Demand gives 503.
func TestDemand(t *testing.T) {
	hubs := make(chan *hub.Hub, 1) // the env's hub, handed to Demand
	e := newEnv(t, Options{
		ReadWait: 3 * time.Second,
		Demand: func(ctx context.Context, path string, c token.Claims) error {
			if path == "live/broken" {
				return errors.New("device offline")
			}
			if c.Path != path {
				return fmt.Errorf("claims for %q", c.Path)
			}
			h := <-hubs
			// The device answers a little later, as over SIP.
			s := mediatest.Load(hub.H264)
			fctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() {
				defer close(done)
				time.Sleep(200 * time.Millisecond)
				pub, err := h.Publish(path, []hub.Track{s.Track})
				if err != nil {
					return
				}
				defer pub.Close()
				mediatest.Feed(fctx, pub, s, 0)
			}()
			t.Cleanup(func() { cancel(); <-done })
			return nil
		},
	})
	hubs <- e.hub
	path := "live/ondemand"
	assertVideo(t, ffprobe(t, e.url(e.token(path, time.Now().Add(time.Hour)), path, "index.m3u8")), "h264")

	resp, body := get(t, e.url(e.token("live/broken", time.Now().Add(time.Hour)), "live/broken", "index.m3u8"))
	if resp.StatusCode != 503 || !strings.Contains(string(body), "device offline") {
		t.Errorf("failing demand: %d %s", resp.StatusCode, body)
	}
	if st := e.h.Stats(); st.DemandFailures != 1 {
		t.Errorf("demand failures = %d", st.DemandFailures)
	}
}

// TestNoStream: without Demand nor publisher the request fails after
// ReadWait; a publisher that never sends makes the playlist time out.
func TestNoStream(t *testing.T) {
	e := newEnv(t, Options{ReadWait: 200 * time.Millisecond, PlaylistWait: 300 * time.Millisecond})
	resp, _ := get(t, e.url(e.token("live/none", time.Now().Add(time.Hour)), "live/none", "index.m3u8"))
	if resp.StatusCode != 404 {
		t.Errorf("no publisher: %d", resp.StatusCode)
	}
	s := mediatest.Load(hub.H264)
	pub, err := e.hub.Publish("live/mute", []hub.Track{s.Track})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	resp, _ = get(t, e.url(e.token("live/mute", time.Now().Add(time.Hour)), "live/mute", "index.m3u8"))
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Errorf("silent publisher: %d %v", resp.StatusCode, resp.Header)
	}
	audio, err := e.hub.Publish("live/g711", []hub.Track{{ID: 1, Codec: hub.G711U, ClockRate: 8000}})
	if err != nil {
		t.Fatal(err)
	}
	defer audio.Close()
	resp, _ = get(t, e.url(e.token("live/g711", time.Now().Add(time.Hour)), "live/g711", "index.m3u8"))
	if resp.StatusCode != 404 {
		t.Errorf("G.711 only: %d", resp.StatusCode)
	}
	if st := e.h.Stats(); st.NoStream != 1 || st.PlaylistTimeouts != 1 {
		t.Errorf("stats: %+v", st)
	}
}
