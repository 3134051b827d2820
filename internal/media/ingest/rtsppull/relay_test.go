package rtsppull

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/description"

	"github.com/vionet/vionet/internal/media/hub"
	"github.com/vionet/vionet/internal/media/mediatest"
)

// relay is mediatest.Relay with test plumbing: ffmpeg (which cannot serve RTSP to
// players) publishes through it, and Sources pull from it.
type relay struct {
	*mediatest.Relay
	addr string
}

func startRelay(t testing.TB, addr string) *relay {
	t.Helper()
	rtpAddr, rtcpAddr := mediatest.FreeUDPPair(t)
	r, err := mediatest.StartRelay(addr, rtpAddr, rtcpAddr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return &relay{Relay: r, addr: r.Addr()}
}

// serve makes the relay serve desc without a publisher; packets are
// written with the returned stream.
func (r *relay) serve(t testing.TB, desc *description.Session) *gortsplib.ServerStream {
	t.Helper()
	st, err := r.Serve(desc)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// sampleFile writes the mediatest sample of codec as a Matroska file
// (ffmpeg cannot -stream_loop a raw Annex-B file: it cannot seek in it).
func sampleFile(t testing.TB, codec hub.Codec) string {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed")
	}
	var raw []byte
	for _, u := range mediatest.Load(codec).Units {
		raw = append(raw, u.Data...)
	}
	ext := map[hub.Codec]string{hub.H264: "h264", hub.H265: "hevc"}[codec]
	dir := t.TempDir()
	in, out := filepath.Join(dir, "sample."+ext), filepath.Join(dir, "sample.mkv")
	if err := os.WriteFile(in, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", ext,
		"-r", fmt.Sprint(mediatest.FPS), "-i", in, "-c", "copy", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg remux: %v: %s", err, b)
	}
	return out
}

// ffmpegPublish runs ffmpeg publishing file in a loop to url, at real time,
// until the returned stop function is called (or the test ends).
func ffmpegPublish(t testing.TB, file, url string) (stop func()) {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg not installed")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "ffmpeg", "-hide_banner", "-loglevel", "error",
		"-re", "-stream_loop", "-1", "-i", file, "-c", "copy",
		"-f", "rtsp", "-rtsp_transport", "tcp", url)
	if testing.Verbose() {
		cmd.Stderr = os.Stderr
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			_ = cmd.Wait()
		})
	}
	t.Cleanup(stop)
	return stop
}

// freeAddr returns a loopback TCP address nobody listens on.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

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

func rtspURL(addr, path string) string {
	return fmt.Sprintf("rtsp://%s/%s", addr, path)
}
