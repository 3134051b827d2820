package e2e

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/vionet/vionet/internal/media/mediatest"
)

// sampleH264 is the 2 s H.264 sample the media tests share.
var sampleH264, _ = filepath.Abs("../../internal/media/mediatest/testdata/sample.h264")

type operatorURLs struct {
	RTSP, RTMP, HLS, Publish string
	HTTPFLV                  string `json:"httpFlv"`
}

// Generic publishers: ffmpeg pushing RTMP with an operator publish URL, and ffmpeg serving
// RTSP that vionet pulls on demand (media-pull), both come out on every output.
func TestMediaPushAndPull(t *testing.T) {
	p := freePorts(t, 3)
	// The RTSP camera: ffmpeg publishing into a small RTSP server (ffmpeg cannot serve RTSP
	// to players itself).
	cam, err := mediatest.StartRelay("127.0.0.1:0", "", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cam.Close)
	srcURL := "rtsp://" + cam.Addr() + "/src"
	s := startServer(t, engines(t)[0],
		"--rtsp-addr", "127.0.0.1:"+strconv.Itoa(p[0]), "--rtmp-addr", "127.0.0.1:"+strconv.Itoa(p[1]),
		"--media-http-addr", "127.0.0.1:"+strconv.Itoa(p[2]), "--media-pull", "pull/cam="+srcURL)
	urls := func(path string) operatorURLs {
		t.Helper()
		out, err := s.cli("media", "url", "--path", path, "--publish", "--ttl", "10m")
		if err != nil {
			t.Fatal(err)
		}
		var u operatorURLs
		if err := json.Unmarshal([]byte(out), &u); err != nil {
			t.Fatalf("media url output %q: %v", out, err)
		}
		return u
	}
	// ffmpeg 5.1 cannot loop a raw .h264 file: put the sample in MP4 first.
	sample := filepath.Join(t.TempDir(), "sample.mp4")
	if out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "h264", "-framerate", "25", "-i", sampleH264,
		"-c", "copy", sample).CombinedOutput(); err != nil {
		t.Fatalf("making the MP4 sample: %v: %s", err, out)
	}
	ffmpeg := func(args ...string) {
		ctx, cancel := context.WithCancel(context.Background())
		cmd := exec.CommandContext(ctx, "ffmpeg", append([]string{"-hide_banner", "-loglevel", "error", "-re", "-stream_loop", "-1",
			"-i", sample, "-c", "copy"}, args...)...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	}
	everyOutput := func(what string, u operatorURLs) {
		t.Helper()
		wantVideo(t, what+" via rtsp", u.RTSP, "h264", "-rtsp_transport", "tcp")
		wantVideo(t, what+" via rtmp", u.RTMP, "h264")
		wantVideo(t, what+" via http-flv", u.HTTPFLV, "h264")
		wantVideo(t, what+" via hls", u.HLS, "h264")
	}

	push := urls("push/cam1")
	wantRefused(t, "publish with a read token", push.RTSP) // nothing published yet
	ffmpeg("-f", "flv", push.Publish)
	// The RTMP server publishes once it has seen about 2 s of media (gortmplib reads ahead to
	// learn the tracks).
	deadline := time.Now().Add(20 * time.Second)
	for _, err := ffprobe(push.RTSP, "-rtsp_transport", "tcp"); err != nil; _, err = ffprobe(push.RTSP, "-rtsp_transport", "tcp") {
		if time.Now().After(deadline) {
			t.Fatalf("the RTMP push never came out: %v", err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	everyOutput("rtmp push", push)

	ffmpeg("-f", "rtsp", "-rtsp_transport", "tcp", srcURL)
	time.Sleep(time.Second)
	everyOutput("rtsp pull", urls("pull/cam"))
}
