package rtsppull

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"

	"github.com/vionet/vionet/internal/media/hub"
	"github.com/vionet/vionet/internal/media/mediatest"
	"github.com/vionet/vionet/internal/media/servers/rtsp"
	"github.com/vionet/vionet/internal/media/token"
)

func testLogger() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// start runs a Source for the test with fast retries.
func start(t testing.TB, h *hub.Hub, path, url, transport string) *Source {
	t.Helper()
	s := Start(context.Background(), Options{
		Hub: h, Path: path, URL: url, Transport: transport,
		RetryInitial: 100 * time.Millisecond, RetryMax: 400 * time.Millisecond,
		KeyframeTimeout: 3 * time.Second, ReadTimeout: 3 * time.Second,
		Logger: testLogger(),
	})
	t.Cleanup(s.Close)
	return s
}

func waitPublished(t testing.TB, s *Source) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Wait(ctx); err != nil {
		t.Fatalf("Wait: %v", err)
	}
}

// checkPath reads path from the hub and checks its video track and that
// units flow, starting on a keyframe with increasing DTS.
func checkPath(t testing.TB, h *hub.Hub, path string, codec hub.Codec) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := h.Read(ctx, path, hub.ReadOptions{Wait: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	tr := r.Tracks()
	if len(tr) != 1 || tr[0].Codec != codec || tr[0].Width != mediatest.Width || tr[0].Height != mediatest.Height || len(tr[0].Config) == 0 {
		t.Fatalf("tracks = %+v", tr)
	}
	var last time.Duration
	for i := range 30 {
		u, err := r.Next(ctx)
		if err != nil {
			t.Fatalf("unit %d: %v", i, err)
		}
		if i == 0 && !u.Keyframe {
			t.Fatal("first unit is not a keyframe")
		}
		if i > 0 && u.DTS <= last {
			t.Fatalf("unit %d: DTS %v after %v", i, u.DTS, last)
		}
		if len(u.Data) < 5 || u.Data[0] != 0 || u.Data[1] != 0 || u.Data[2] != 0 || u.Data[3] != 1 {
			t.Fatalf("unit %d is not Annex-B", i)
		}
		last = u.DTS
	}
}

// TestPullFFmpegThroughRelay pulls a stream that ffmpeg publishes, over
// TCP and UDP; when ffmpeg goes away the path is unpublished, and the
// source publishes again once ffmpeg is back.
func TestPullFFmpegThroughRelay(t *testing.T) {
	file := sampleFile(t, hub.H264)
	for _, transport := range []string{"tcp", "udp"} {
		t.Run(transport, func(t *testing.T) {
			rl := startRelay(t, "127.0.0.1:0")
			url := rtspURL(rl.addr, "cam")
			stopFF := ffmpegPublish(t, file, url)
			h := hub.New(hub.Options{})
			const path = "live/pull/0"
			// The source may start before ffmpeg has announced: it retries.
			s := start(t, h, path, url, transport)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			for s.Wait(ctx) != nil && !s.Stats().Publishing {
				time.Sleep(100 * time.Millisecond)
				if ctx.Err() != nil {
					t.Fatalf("never published: %+v", s.Stats())
				}
			}
			checkPath(t, h, path, hub.H264)

			stopFF()
			waitFor(t, 8*time.Second, "unpublish after ffmpeg left", func() bool {
				return !s.Stats().Publishing && len(h.Paths()) == 0
			})
			ffmpegPublish(t, file, url)
			waitFor(t, 10*time.Second, "publish again", func() bool { return s.Stats().Publishes >= 2 && s.Stats().Publishing })
			checkPath(t, h, path, hub.H264)
		})
	}
}

// rtspEnv is vionet's own RTSP server over a hub fed with a sample.
type rtspEnv struct {
	udp  [2]string
	hub  *hub.Hub
	key  token.Key
	srv  *rtsp.Server
	addr string
}

func startRTSP(t testing.TB, addr string, udp [2]string, h *hub.Hub, key token.Key) *rtsp.Server {
	t.Helper()
	srv, err := rtsp.New(rtsp.Options{Hub: h, Key: key, Addr: addr, UDPRTPAddr: udp[0], UDPRTCPAddr: udp[1],
		Logger: testLogger(), Linger: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

func newRTSPEnv(t testing.TB) *rtspEnv {
	key, err := token.NewKey([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	e := &rtspEnv{hub: hub.New(hub.Options{}), key: key}
	e.udp[0], e.udp[1] = mediatest.FreeUDPPair(t)
	e.srv = startRTSP(t, "127.0.0.1:0", e.udp, e.hub, key)
	e.addr = e.srv.Addr().String()
	return e
}

func (e *rtspEnv) feed(t testing.TB, path string, codec hub.Codec) {
	s := mediatest.Load(codec)
	pub, err := e.hub.Publish(path, []hub.Track{s.Track})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); mediatest.Feed(ctx, pub, s, 0) }()
	t.Cleanup(func() { cancel(); <-done; pub.Close() })
}

func (e *rtspEnv) url(path string) string {
	tok := e.key.Sign(token.Claims{Path: path, Action: token.Read, Expires: time.Now().Add(time.Hour)})
	return fmt.Sprintf("rtsp://%s/%s?token=%s", e.addr, path, tok)
}

// TestPullOwnServer pulls H264 and H265 from vionet's RTSP server into a
// second hub; then the server is restarted on the same address and the
// source reconnects.
func TestPullOwnServer(t *testing.T) {
	e := newRTSPEnv(t)
	e.feed(t, "live/a/264", hub.H264)
	e.feed(t, "live/a/265", hub.H265)
	dst := hub.New(hub.Options{})
	s264 := start(t, dst, "pulled/264", e.url("live/a/264"), "tcp")
	s265 := start(t, dst, "pulled/265", e.url("live/a/265"), "udp")
	sAuto := start(t, dst, "pulled/auto", e.url("live/a/264"), "auto")
	waitPublished(t, s264)
	waitPublished(t, s265)
	waitPublished(t, sAuto)
	checkPath(t, dst, "pulled/auto", hub.H264)
	checkPath(t, dst, "pulled/264", hub.H264)
	checkPath(t, dst, "pulled/265", hub.H265)

	e.srv.Close()
	waitFor(t, 8*time.Second, "unpublish after the server left", func() bool {
		return !s264.Stats().Publishing
	})
	startRTSP(t, e.addr, e.udp, e.hub, e.key)
	waitFor(t, 10*time.Second, "publish again", func() bool { return s264.Stats().Publishing })
	checkPath(t, dst, "pulled/264", hub.H264)
	if st := s264.Stats(); st.Publishes < 2 || st.Attempts < 2 || st.LastError == "" || st.Units == 0 {
		t.Fatalf("stats = %+v", st)
	}
}

// TestWaitNamesTheCause checks the first-attempt errors of Wait.
func TestWaitNamesTheCause(t *testing.T) {
	e := newRTSPEnv(t)
	e.feed(t, "live/a/264", hub.H264)

	noVideo := startRelay(t, "127.0.0.1:0")
	noVideo.serve(t, &description.Session{Medias: []*description.Media{{
		Type:    description.MediaTypeVideo,
		Formats: []format.Format{&format.MJPEG{}},
	}}})
	noKey := startRelay(t, "127.0.0.1:0")
	noKey.serve(t, &description.Session{Medias: []*description.Media{{
		Type:    description.MediaTypeVideo,
		Formats: []format.Format{&format.H264{PayloadTyp: 96, PacketizationMode: 1}},
	}}})
	empty := startRelay(t, "127.0.0.1:0")
	badToken := e.key.Sign(token.Claims{Path: "live/other", Action: token.Read, Expires: time.Now().Add(time.Hour)})

	for _, tc := range []struct {
		name, url string
		want      error
	}{
		{"refused", rtspURL(freeAddr(t), "x"), ErrConnect},
		{"unauthorized", fmt.Sprintf("rtsp://%s/live/a/264?token=%s", e.addr, badToken), ErrUnauthorized},
		{"not found", rtspURL(empty.addr, "none"), ErrNotFound},
		{"no supported track", rtspURL(noVideo.addr, "mjpeg"), ErrNoSupportedTrack},
		{"no keyframe", rtspURL(noKey.addr, "silent"), ErrNoKeyframe},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := hub.New(hub.Options{})
			s := Start(context.Background(), Options{
				Hub: h, Path: "p", URL: tc.url, Transport: "tcp",
				KeyframeTimeout: 500 * time.Millisecond, Logger: testLogger(),
			})
			defer s.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := s.Wait(ctx)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Wait = %v, want %v", err, tc.want)
			}
			if len(h.Paths()) != 0 {
				t.Fatal("path published")
			}
		})
	}
}

// TestPathBusy: a second source for a taken path fails with hub.ErrPathBusy.
func TestPathBusy(t *testing.T) {
	e := newRTSPEnv(t)
	e.feed(t, "live/a/264", hub.H264)
	h := hub.New(hub.Options{})
	pub, err := h.Publish("taken", []hub.Track{{ID: 0, Codec: hub.H264}})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	s := start(t, h, "taken", e.url("live/a/264"), "tcp")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Wait(ctx); !errors.Is(err, hub.ErrPathBusy) {
		t.Fatalf("Wait = %v", err)
	}
}

// Close unpublishes the path and ends the source's goroutines.
func TestCloseUnpublishes(t *testing.T) {
	e := newRTSPEnv(t)
	e.feed(t, "live/a/264", hub.H264)
	before := runtime.NumGoroutine()
	dst := hub.New(hub.Options{})
	s := Start(context.Background(), Options{Hub: dst, Path: "p", URL: e.url("live/a/264"), Transport: "tcp", Logger: testLogger()})
	waitPublished(t, s)
	s.Close()
	if len(dst.Paths()) != 0 || s.Stats().Publishing {
		t.Fatal("still published after Close")
	}
	waitFor(t, 5*time.Second, "goroutines to end", func() bool { return runtime.NumGoroutine() <= before+2 })
}
