package rtsp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/vionet/vionet/internal/media/hub"
	"github.com/vionet/vionet/internal/media/mediatest"
	"github.com/vionet/vionet/internal/media/token"
)

// testEnv is a hub, a token key and an RTSP server with TCP and UDP on.
type testEnv struct {
	hub *hub.Hub
	key token.Key
	srv *Server
}

func newTestEnv(t testing.TB, tweak func(*testEnv, *Options)) *testEnv {
	t.Helper()
	key, err := token.NewKey([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	e := &testEnv{hub: hub.New(hub.Options{}), key: key}
	rtp, rtcp := mediatest.FreeUDPPair(t)
	opts := Options{
		Hub:         e.hub,
		Key:         key,
		Addr:        "127.0.0.1:0",
		UDPRTPAddr:  rtp,
		UDPRTCPAddr: rtcp,
		ReadWait:    3 * time.Second,
		Linger:      300 * time.Millisecond,
		Logger:      testLogger(t),
	}
	if tweak != nil {
		tweak(e, &opts)
	}
	e.srv, err = New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.srv.Close)
	return e
}

func testLogger(t testing.TB) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// publish feeds the mediatest sample of codec to path until the test ends.
func (e *testEnv) publish(t testing.TB, path string, codec hub.Codec) *hub.Publisher {
	t.Helper()
	return mediatest.Publish(t, e.hub, path, codec)
}

func (e *testEnv) url(path, tok string) string {
	return fmt.Sprintf("rtsp://%s/%s?token=%s", e.srv.Addr(), path, tok)
}

func (e *testEnv) readToken(path string, ttl time.Duration) string {
	return e.key.Sign(token.Claims{Path: path, AppID: "test", Action: token.Read, Expires: time.Now().Add(ttl)})
}

// probeStream is the part of ffprobe's stream JSON the tests check.
type probeStream struct {
	CodecName  string `json:"codec_name"`
	CodecType  string `json:"codec_type"`
	Width      int    `json:"width"`
	Height     int    `json:"height"`
	SampleRate string `json:"sample_rate"`
}

// ffprobe runs ffprobe on url with the given RTSP transport.
func ffprobe(t testing.TB, url, transport string) ([]probeStream, string, error) {
	t.Helper()
	if _, err := exec.LookPath("ffprobe"); err != nil {
		t.Skip("ffprobe not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ffprobe", "-v", "error", "-rtsp_transport", transport,
		"-show_streams", "-of", "json", url)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, stderr.String(), err
	}
	var out struct {
		Streams []probeStream `json:"streams"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		return nil, stderr.String(), fmt.Errorf("ffprobe output: %w: %s", err, stdout.String())
	}
	return out.Streams, stderr.String(), nil
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
