package rtmp

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bluenviron/gortmplib"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"

	"github.com/vionet/vionet/internal/media/hub"
	"github.com/vionet/vionet/internal/media/mediatest"
	"github.com/vionet/vionet/internal/media/token"
)

type env struct {
	t   *testing.T
	hub *hub.Hub
	key token.Key
	srv *Server
}

func newEnv(t testing.TB, demand func(context.Context, string, token.Claims) error) *env {
	t.Helper()
	key, err := token.NewKey([]byte("rtmp-test-secret-0123456789"))
	if err != nil {
		t.Fatal(err)
	}
	h := hub.New(hub.Options{})
	srv, err := New(Options{Hub: h, Key: key, Addr: "127.0.0.1:0", Demand: demand, ReadWait: 3 * time.Second,
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	e := &env{hub: h, key: key, srv: srv}
	if tt, ok := t.(*testing.T); ok {
		e.t = tt
	}
	return e
}

// testWriter sends server logs to the test log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

func (e *env) token(path string, action token.Action, ttl time.Duration) string {
	return e.key.Sign(token.Claims{Path: path, AppID: "app1", Action: action, Expires: time.Now().Add(ttl)})
}

func (e *env) url(path, tok string) string {
	return fmt.Sprintf("rtmp://%s/%s?token=%s", e.srv.Addr(), path, tok)
}

// feed publishes the sample on path in a loop until the test ends.
func (e *env) feed(t testing.TB, path string, codec hub.Codec) *hub.Publisher {
	t.Helper()
	return mediatest.Publish(t, e.hub, path, codec)
}

func requireTool(t testing.TB, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("%s not installed", name)
	}
}

// dial plays rawURL with gortmplib's client and returns the reader once
// the tracks are known (gortmplib reads ~2 s of media first).
func dial(t testing.TB, rawURL string) (*gortmplib.Client, *gortmplib.Reader, error) {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := &gortmplib.Client{URL: u}
	if err := c.Initialize(ctx); err != nil {
		return nil, nil, err
	}
	_ = c.NetConn().SetReadDeadline(time.Now().Add(10 * time.Second))
	r := &gortmplib.Reader{Conn: c}
	if err := r.Initialize(); err != nil {
		c.Close()
		return nil, nil, err
	}
	t.Cleanup(c.Close)
	return c, r, nil
}

// waitFor polls cond every 20 ms until it holds or d passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func parseURL(s string) (*url.URL, error) { return url.Parse(s) }

// tamper changes one character inside the token's MAC. (Not the last one:
// its low bits are base64 padding that a lenient decoder ignores.)
func tamper(tok string) string {
	b := []byte(tok)
	i := len(b) - 10
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

// feedAV publishes the H.264 sample plus an audio track (ID 1) on path,
// both paced in real time, until the test ends.
func (e *env) feedAV(t *testing.T, path string, audio hub.Track, frames []hub.Unit, frameDur time.Duration) {
	t.Helper()
	s := mediatest.Load(hub.H264)
	audio.ID = 1
	pub, err := e.hub.Publish(path, []hub.Track{s.Track, audio})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		mediatest.Feed(ctx, pub, s, 0)
	}()
	go func() {
		defer wg.Done()
		start := time.Now()
		for i := 0; ctx.Err() == nil; i++ {
			ts := time.Duration(i) * frameDur
			if d := ts - time.Since(start); d > 0 {
				time.Sleep(d)
			}
			f := frames[i%len(frames)]
			pub.Write(hub.Unit{Track: 1, PTS: ts, DTS: ts, Data: f.Data})
		}
	}()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		pub.Close()
	})
}

// aacSample encodes two seconds of a sine with ffmpeg's AAC encoder and
// returns the track (AudioSpecificConfig) and raw frames.
func aacSample(t *testing.T) (hub.Track, []hub.Unit) {
	t.Helper()
	requireTool(t, "ffmpeg")
	out, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100:duration=2",
		"-ac", "1", "-c:a", "aac", "-f", "adts", "pipe:1").Output()
	if err != nil {
		t.Fatalf("ffmpeg: %v", err)
	}
	var pkts mpeg4audio.ADTSPackets
	if err := pkts.Unmarshal(out); err != nil {
		t.Fatal(err)
	}
	asc := mpeg4audio.AudioSpecificConfig{Type: pkts[0].Type, SampleRate: pkts[0].SampleRate, ChannelConfig: pkts[0].ChannelConfig}
	conf, err := asc.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	units := make([]hub.Unit, len(pkts))
	for i, p := range pkts {
		units[i] = hub.Unit{Data: p.AU}
	}
	return hub.Track{Codec: hub.AAC, ClockRate: 44100, Config: conf}, units
}
