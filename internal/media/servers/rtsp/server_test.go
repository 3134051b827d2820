package rtsp

import (
	"context"
	"errors"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/liberrors"

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
	if st.ReadersTotal < 4 || st.BytesOut == 0 || st.TokensRefused != 0 {
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

// SETUP is checked too: a token for another path in the SETUP URL is
// refused; no token at all is accepted only after an authorized DESCRIBE
// of the same path on the same connection.
func TestSetupChecksToken(t *testing.T) {
	e := newTestEnv(t, nil)
	const path = "live/setup/0"
	e.publish(t, path, hub.H264)
	u, err := base.ParseURL(e.url(path, e.readToken(path, time.Minute)))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, query string
		ok          bool
	}{
		{"other path", "token=" + e.readToken("live/setup/1", time.Minute) + "/", false},
		{"garbage", "token=abc/", false},
		{"none, after DESCRIBE", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &gortsplib.Client{Scheme: u.Scheme, Host: u.Host}
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			desc, _, err := c.Describe(u)
			if err != nil {
				t.Fatal(err)
			}
			setupURL := *desc.BaseURL
			setupURL.RawQuery = tc.query
			before := e.srv.Stats().TokensRefused
			_, err = c.Setup(&setupURL, desc.Medias[0], 0, 0)
			if tc.ok != (err == nil) {
				t.Fatalf("SETUP error = %v, want ok=%v", err, tc.ok)
			}
			if !tc.ok {
				var bad liberrors.ErrClientBadStatusCode
				if !errors.As(err, &bad) || bad.Code != base.StatusUnauthorized {
					t.Fatalf("SETUP error = %v, want 401", err)
				}
				if e.srv.Stats().TokensRefused != before+1 {
					t.Fatal("refusal not counted")
				}
			}
		})
	}
	// Without DESCRIBE, a SETUP needs its own token.
	c := &gortsplib.Client{Scheme: u.Scheme, Host: u.Host}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	desc, _, err := c.Describe(u)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	c2 := &gortsplib.Client{Scheme: u.Scheme, Host: u.Host}
	if err := c2.Start(); err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	noTok := *desc.BaseURL
	noTok.RawQuery = ""
	if _, err := c2.Setup(&noTok, desc.Medias[0], 0, 0); err == nil {
		t.Fatal("SETUP without token and without DESCRIBE accepted")
	}
}

// Close ends every goroutine the server started, with clients connected.
func TestCloseEndsGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	e := newTestEnv(t, nil)
	const path = "live/close/0"
	pub, err := e.hub.Publish(path, []hub.Track{mediatest.Load(hub.H264).Track})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range mediatest.Load(hub.H264).Units {
		pub.Write(u)
	}
	var clients []*gortsplib.Client
	for range 3 {
		p := play(t, e.url(path, e.readToken(path, time.Minute)), gortsplib.ProtocolTCP)
		clients = append(clients, p.c)
	}
	e.srv.Close()
	for _, c := range clients {
		c.Close()
	}
	pub.Close()
	waitFor(t, 5*time.Second, "goroutines to end", func() bool { return runtime.NumGoroutine() <= before+2 })
}

// ffmpeg joining mid-GOP decodes from its first frame without errors, over
// TCP and UDP: the GOP replay starts it on the keyframe.
func TestFFmpegDecodesCleanlyMidGOP(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed")
	}
	e := newTestEnv(t, nil)
	for _, codec := range []hub.Codec{hub.H264, hub.H265} {
		path := "live/decode/" + codec.String()
		e.publish(t, path, codec)
		url := e.url(path, e.readToken(path, time.Minute))
		for i, transport := range []string{"tcp", "udp"} {
			time.Sleep(time.Duration(300+200*i) * time.Millisecond) // somewhere inside the 1 s GOP
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			out, err := exec.CommandContext(ctx, "ffmpeg", "-hide_banner", "-v", "error",
				"-rtsp_transport", transport, "-i", url, "-frames:v", "20", "-f", "null", "-").CombinedOutput()
			cancel()
			if err != nil || len(strings.TrimSpace(string(out))) > 0 {
				t.Fatalf("%v over %s: err=%v output:\n%s", codec, transport, err, out)
			}
		}
	}
}
