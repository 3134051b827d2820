package httpflv

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"

	"github.com/vionet/vionet/internal/media/formats/flv"
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

func newEnv(t *testing.T, demand func(context.Context, string, token.Claims) error) *env {
	t.Helper()
	key, err := token.NewKey([]byte("httpflv-test-secret-0123456789"))
	if err != nil {
		t.Fatal(err)
	}
	hb := hub.New(hub.Options{})
	h := New(Options{Hub: hb, Key: key, Demand: demand, ReadWait: 3 * time.Second,
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		h.Close()
		srv.Close()
	})
	return &env{hub: hb, key: key, h: h, srv: srv}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

func (e *env) url(path, tok string) string {
	return fmt.Sprintf("%s/flv/%s.flv?token=%s", e.srv.URL, path, tok)
}

func (e *env) token(path string, action token.Action, ttl time.Duration) string {
	return e.key.Sign(token.Claims{Path: path, AppID: "app1", Action: action, Expires: time.Now().Add(ttl)})
}

// feed publishes the sample on path in a loop until stop or the test end.
func (e *env) feed(t *testing.T, path string, codec hub.Codec) (stop func()) {
	t.Helper()
	s := mediatest.Load(codec)
	pub, err := e.hub.Publish(path, []hub.Track{s.Track})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		mediatest.Feed(ctx, pub, s, 0)
	}()
	stop = func() {
		cancel()
		<-done
		pub.Close()
	}
	t.Cleanup(stop)
	return stop
}

func tamper(tok string) string {
	b := []byte(tok)
	i := len(b) - 10 // inside the MAC, away from the base64 padding bits
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

// ffprobe reads the HTTP-FLV URL and sees H.264 320x240.
func TestFFprobe(t *testing.T) {
	if _, err := exec.LookPath("ffprobe"); err != nil {
		t.Skip("ffprobe not installed")
	}
	e := newEnv(t, nil)
	path := "live/a/b"
	e.feed(t, path, hub.H264)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ffprobe", "-v", "error", "-show_streams", "-of", "json",
		e.url(path, e.token(path, token.Read, time.Minute))).Output()
	if err != nil {
		t.Fatalf("ffprobe: %v", err)
	}
	var res struct {
		Streams []struct {
			CodecName     string `json:"codec_name"`
			Width, Height int
		}
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	if len(res.Streams) != 1 || res.Streams[0].CodecName != "h264" || res.Streams[0].Width != 320 || res.Streams[0].Height != 240 {
		t.Fatalf("streams %s", out)
	}
	waitFor(t, "viewer gone", func() bool { return e.h.Stats().Readers == 0 })
	if st := e.h.Stats(); st.ReadersTotal != 1 || st.BytesOut == 0 {
		t.Fatalf("stats %+v", st)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// get opens the stream and checks the response headers.
func get(t *testing.T, url string) (*http.Response, *bufio.Reader) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %s", resp.Status)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "video/x-flv" {
		t.Fatalf("Content-Type %q", ct)
	}
	if cors := resp.Header.Get("Access-Control-Allow-Origin"); cors != "*" {
		t.Fatalf("CORS %q", cors)
	}
	if len(resp.TransferEncoding) != 1 || resp.TransferEncoding[0] != "chunked" {
		t.Fatalf("transfer encoding %v", resp.TransferEncoding)
	}
	return resp, bufio.NewReader(resp.Body)
}

// H.265 goes out as Enhanced FLV (ffmpeg 5.1 cannot read it): read back
// with the flv reader, it starts with an hvc1 sequence header whose SPS
// says 320x240, then a keyframe, and the tags keep coming in real time.
func TestH265(t *testing.T) {
	e := newEnv(t, nil)
	path := "live/h265"
	e.feed(t, path, hub.H265)
	_, br := get(t, e.url(path, e.token(path, token.Read, time.Minute)))
	hd, err := flv.ReadHeader(br)
	if err != nil || !hd.Video || hd.Audio {
		t.Fatalf("header %+v %v", hd, err)
	}
	if tag, err := flv.ReadTag(br); err != nil || tag.Type != flv.TagScript {
		t.Fatalf("metadata %+v %v", tag, err)
	}
	tag, err := flv.ReadTag(br)
	if err != nil {
		t.Fatal(err)
	}
	seq, err := flv.ParseVideo(tag.Data)
	if err != nil || !seq.Config || seq.Codec != hub.H265 {
		t.Fatalf("sequence header %+v %v", seq, err)
	}
	if sps := hvccSPS(seq.Payload); sps == nil {
		t.Fatal("no SPS in the HVCC")
	} else {
		var s h265.SPS
		if err := s.Unmarshal(sps); err != nil || s.Width() != 320 || s.Height() != 240 {
			t.Fatalf("SPS %v %dx%d", err, s.Width(), s.Height())
		}
	}
	start := time.Now()
	for i := range 30 {
		tag, err := flv.ReadTag(br)
		if err != nil {
			t.Fatal(err)
		}
		v, err := flv.ParseVideo(tag.Data)
		if err != nil || v.Config || v.Codec != hub.H265 || (i == 0 && !v.Keyframe) {
			t.Fatalf("tag %d: %+v %v", i, v, err)
		}
	}
	if time.Since(start) < 100*time.Millisecond {
		t.Fatal("30 frames came at once: not live")
	}
}

// hvccSPS returns the first SPS of an HEVCDecoderConfigurationRecord.
func hvccSPS(b []byte) []byte {
	if len(b) < 23 {
		return nil
	}
	n := int(b[22])
	b = b[23:]
	for range n {
		if len(b) < 3 {
			return nil
		}
		typ, cnt := b[0]&0x3f, int(b[1])<<8|int(b[2])
		b = b[3:]
		for range cnt {
			if len(b) < 2 {
				return nil
			}
			l := int(b[0])<<8 | int(b[1])
			if len(b) < 2+l {
				return nil
			}
			if typ == 33 {
				return b[2 : 2+l]
			}
			b = b[2+l:]
		}
	}
	return nil
}

// Refused tokens get 401 and are counted; bad URLs 404, other methods 405.
func TestRefusals(t *testing.T) {
	e := newEnv(t, nil)
	path := "live/a/b"
	e.feed(t, path, hub.H264)
	good := e.token(path, token.Read, time.Minute)
	cases := map[string]struct {
		url    string
		status int
	}{
		"tampered":   {e.url(path, tamper(good)), 401},
		"expired":    {e.url(path, e.token(path, token.Read, -time.Second)), 401},
		"other path": {e.url(path, e.token("live/a/c", token.Read, time.Minute)), 401},
		"publish":    {e.url(path, e.token(path, token.Publish, time.Minute)), 401},
		"missing":    {e.srv.URL + "/flv/" + path + ".flv", 401},
		"no suffix":  {e.srv.URL + "/flv/" + path + "?token=" + good, 404},
		"dot dot":    {e.srv.URL + "/flv/live/../a/b.flv?token=" + good, 404},
		"prefix":     {e.srv.URL + "/hls/" + path + ".flv?token=" + good, 404},
		"empty":      {e.srv.URL + "/flv/.flv?token=" + good, 404},
		"no stream":  {e.url("live/none", e.token("live/none", token.Read, time.Minute)), 404},
	}
	for name, c := range cases {
		resp, err := http.Get(c.url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Errorf("%s: status %d, want %d", name, resp.StatusCode, c.status)
		}
	}
	resp, err := http.Post(e.url(path, good), "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", resp.StatusCode)
	}
	if st := e.h.Stats(); st.TokensRefused != 5 || st.NotFound != 5 || st.ReadersTotal != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// Demand starts a missing stream; a failing Demand gives 503.
func TestDemand(t *testing.T) {
	var ep atomic.Pointer[env]
	var calls atomic.Int32
	e := newEnv(t, func(ctx context.Context, path string, c token.Claims) error {
		calls.Add(1)
		if c.Path != path || c.AppID != "app1" {
			return fmt.Errorf("claims %+v", c)
		}
		if path == "live/broken" {
			return errors.New("device offline")
		}
		go func() {
			time.Sleep(200 * time.Millisecond)
			ep.Load().feed(t, path, hub.H264)
		}()
		return nil
	})
	ep.Store(e)
	_, br := get(t, e.url("live/od", e.token("live/od", token.Read, time.Minute)))
	if _, err := flv.ReadHeader(br); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(e.url("live/broken", e.token("live/broken", token.Read, time.Minute)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || calls.Load() != 2 || e.h.Stats().Unavailable != 1 {
		t.Fatalf("status %d, %d calls, stats %+v", resp.StatusCode, calls.Load(), e.h.Stats())
	}
}

// The response ends when the publisher closes; a client going away and
// Close end the stream on the server.
func TestStreamEnds(t *testing.T) {
	e := newEnv(t, nil)
	stop := e.feed(t, "live/x", hub.H264)
	_, br := get(t, e.url("live/x", e.token("live/x", token.Read, time.Minute)))
	if _, err := flv.ReadHeader(br); err != nil {
		t.Fatal(err)
	}
	stop()
	done := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, br)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("body ended with %v, want a clean end", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("response did not end after the publisher closed")
	}

	e.feed(t, "live/y", hub.H264)
	resp, br := get(t, e.url("live/y", e.token("live/y", token.Read, time.Minute)))
	if _, err := flv.ReadHeader(br); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "one reader", func() bool { return e.h.Stats().Readers == 1 && e.hub.Readers("live/y") == 1 })
	resp.Body.Close()
	waitFor(t, "reader gone", func() bool { return e.h.Stats().Readers == 0 && e.hub.Readers("live/y") == 0 })

	_, br = get(t, e.url("live/y", e.token("live/y", token.Read, time.Minute)))
	closed := make(chan struct{})
	go func() {
		e.h.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
	if _, err := io.Copy(io.Discard, br); err != nil {
		t.Fatalf("body after Close: %v", err)
	}
	resp2, err := http.Get(e.url("live/y", e.token("live/y", token.Read, time.Minute)))
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("after Close: %d", resp2.StatusCode)
	}
}

// HEAD answers with the stream headers and no body.
func TestHead(t *testing.T) {
	e := newEnv(t, nil)
	e.feed(t, "live/h", hub.H264)
	resp, err := http.Head(e.url("live/h", e.token("live/h", token.Read, time.Minute)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "video/x-flv" {
		t.Fatalf("HEAD: %d %v", resp.StatusCode, resp.Header)
	}
}
