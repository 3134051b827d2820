package rtsp

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vionet/vionet/internal/media/hub"
	"github.com/vionet/vionet/internal/media/mediatest"
	"github.com/vionet/vionet/internal/media/token"
)

func TestFFprobeReadsCodecAndSize(t *testing.T) {
	e := newTestEnv(t, nil)
	e.publish(t, "live/cam/h264/0", hub.H264)
	e.publish(t, "live/cam/h265/0", hub.H265)
	for _, tc := range []struct {
		path, codec string
	}{
		{"live/cam/h264/0", "h264"},
		{"live/cam/h265/0", "hevc"},
	} {
		for _, transport := range []string{"tcp", "udp"} {
			t.Run(tc.codec+"/"+transport, func(t *testing.T) {
				streams, stderr, err := ffprobe(t, e.url(tc.path, e.readToken(tc.path, time.Minute)), transport)
				if err != nil {
					t.Fatalf("ffprobe: %v: %s", err, stderr)
				}
				if len(streams) != 1 {
					t.Fatalf("streams = %+v", streams)
				}
				s := streams[0]
				if s.CodecName != tc.codec || s.Width != mediatest.Width || s.Height != mediatest.Height {
					t.Fatalf("stream = %+v, want %s %dx%d", s, tc.codec, mediatest.Width, mediatest.Height)
				}
			})
		}
	}
	st := e.srv.Stats()
	if st.SessionsTotal < 4 || st.BytesOut == 0 || st.TokensRefused != 0 {
		t.Fatalf("stats = %+v", st)
	}
}

func TestRefusedTokens(t *testing.T) {
	e := newTestEnv(t, nil)
	const path = "live/cam/1"
	e.publish(t, path, hub.H264)
	good := e.readToken(path, time.Minute)
	tampered := []byte(good)
	tampered[len(tampered)-2] ^= 1
	if tampered[len(tampered)-2] == good[len(good)-2] {
		t.Fatal("tamper failed")
	}
	cases := map[string]string{
		"tampered": string(tampered),
		"expired":  e.key.Sign(token.Claims{Path: path, Action: token.Read, Expires: time.Now().Add(-time.Second)}),
		"other":    e.readToken("live/cam/2", time.Minute),
		"publish":  e.key.Sign(token.Claims{Path: path, Action: token.Publish, Expires: time.Now().Add(time.Minute)}),
		"missing":  "",
	}
	n := uint64(0)
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			_, stderr, err := ffprobe(t, e.url(path, tok), "tcp")
			if err == nil {
				t.Fatal("ffprobe succeeded with a bad token")
			}
			if !strings.Contains(stderr, "401") {
				t.Fatalf("ffprobe error is not 401: %s", stderr)
			}
			n++
			if got := e.srv.Stats().TokensRefused; got != n {
				t.Fatalf("TokensRefused = %d, want %d", got, n)
			}
		})
	}
	if _, stderr, err := ffprobe(t, e.url(path, good), "tcp"); err != nil {
		t.Fatalf("good token refused: %v: %s", err, stderr)
	}
}

func TestDemandLatePublisher(t *testing.T) {
	var calls atomic.Int32
	var gotClaims atomic.Value
	e := newTestEnv(t, func(e *testEnv, o *Options) {
		o.Demand = func(ctx context.Context, path string, c token.Claims) error {
			calls.Add(1)
			gotClaims.Store(c)
			// The "device" answers a little later, as a camera does.
			go func() {
				time.Sleep(300 * time.Millisecond)
				e.publish(t, path, hub.H264)
			}()
			return nil
		}
	})
	const path = "live/ondemand/0"
	streams, stderr, err := ffprobe(t, e.url(path, e.readToken(path, time.Minute)), "tcp")
	if err != nil {
		t.Fatalf("ffprobe: %v: %s", err, stderr)
	}
	if len(streams) != 1 || streams[0].CodecName != "h264" {
		t.Fatalf("streams = %+v", streams)
	}
	if calls.Load() != 1 {
		t.Fatalf("Demand called %d times", calls.Load())
	}
	if c := gotClaims.Load().(token.Claims); c.Path != path || c.AppID != "test" {
		t.Fatalf("Demand claims = %+v", c)
	}
}

func TestDemandErrorAndNoPublisher(t *testing.T) {
	e := newTestEnv(t, func(_ *testEnv, o *Options) {
		o.ReadWait = 300 * time.Millisecond
		o.Demand = func(ctx context.Context, path string, c token.Claims) error {
			if strings.HasSuffix(path, "offline") {
				return errors.New("device offline")
			}
			return nil
		}
	})
	for _, tc := range []struct{ path, code string }{
		{"live/offline", "503"},
		{"live/silent", "404"},
	} {
		_, stderr, err := ffprobe(t, e.url(tc.path, e.readToken(tc.path, time.Minute)), "tcp")
		if err == nil || !strings.Contains(stderr, tc.code) {
			t.Fatalf("%s: err=%v stderr=%s, want %s", tc.path, err, stderr, tc.code)
		}
	}
	st := e.srv.Stats()
	if st.DemandErrors != 1 || st.NotFound != 1 || st.Paths != 0 {
		t.Fatalf("stats = %+v", st)
	}
}
