package rtsp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
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
	rtp, rtcp := freeUDPPair(t)
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

// freeUDPPair returns two consecutive free UDP ports on 127.0.0.1, the
// first even, as gortsplib requires for RTP and RTCP.
func freeUDPPair(t testing.TB) (string, string) {
	t.Helper()
	for range 100 {
		a, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := a.LocalAddr().(*net.UDPAddr).Port
		if port%2 != 0 || port >= 65535 {
			a.Close()
			continue
		}
		b, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port+1))
		a.Close()
		if err != nil {
			continue
		}
		b.Close()
		return fmt.Sprintf("127.0.0.1:%d", port), fmt.Sprintf("127.0.0.1:%d", port+1)
	}
	t.Fatal("no free UDP port pair")
	return "", ""
}

// publish feeds the mediatest sample of codec to path until the test ends.
func (e *testEnv) publish(t testing.TB, path string, codec hub.Codec) *hub.Publisher {
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
	t.Cleanup(func() {
		cancel()
		<-done
		pub.Close()
	})
	return pub
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
