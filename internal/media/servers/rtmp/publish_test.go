package rtmp

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/bluenviron/gortmplib"
	"github.com/bluenviron/gortmplib/pkg/codecs"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"

	"github.com/vionet/vionet/internal/media/formats/h26x"
	"github.com/vionet/vionet/internal/media/hub"
	"github.com/vionet/vionet/internal/media/mediatest"
	"github.com/vionet/vionet/internal/media/token"
)

func sampleFile(t *testing.T, name string) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "mediatest", "testdata", name)
}

// ffmpegPush starts ffmpeg publishing the H.264 sample in a loop to url;
// it is stopped at the end of the test. ffmpeg 5.1 cannot -stream_loop a
// raw H.264 file (seeking fails with EPERM), so the loop is fed on stdin.
// audio, if set, adds a sine encoded with those ffmpeg output options.
func ffmpegPush(t *testing.T, url string, audio ...string) *exec.Cmd {
	t.Helper()
	requireTool(t, "ffmpeg")
	sample, err := os.ReadFile(sampleFile(t, "sample.h264"))
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"-v", "error", "-re", "-f", "h264", "-framerate", "25", "-i", "pipe:0"}
	if len(audio) > 0 {
		args = append(args, "-re", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-map", "0:v", "-map", "1:a")
		args = append(args, audio...)
	}
	args = append(args, "-c:v", "copy", "-f", "flv", url)
	cmd := exec.Command("ffmpeg", args...)
	cmd.Stdin = &loopReader{data: sample}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
		if stderr.Len() > 0 {
			t.Logf("ffmpeg: %s", stderr.String())
		}
	})
	return cmd
}

// loopReader repeats data forever.
type loopReader struct {
	data []byte
	off  int
}

func (r *loopReader) Read(p []byte) (int, error) {
	n := copy(p, r.data[r.off:])
	r.off = (r.off + n) % len(r.data)
	return n, nil
}

func (e *env) pathInfo(path string) (hub.PathInfo, bool) {
	for _, p := range e.hub.Paths() {
		if p.Path == path {
			return p, true
		}
	}
	return hub.PathInfo{}, false
}

// ffmpeg publishes with a publish token: the path appears on the hub with
// an H.264 track (size, parameter sets) and the audio track, a hub reader
// gets keyframes and audio, and the stream plays back over RTMP. A second
// publisher on the same path is refused.
func TestPublishFFmpeg(t *testing.T) {
	cases := []struct {
		name     string
		audio    []string
		codec    hub.Codec
		rate     int
		playback bool
	}{
		{name: "video"},
		// Playback is checked with audio: without it ffprobe probes 5 s for
		// the audio stream the RTMP FLV header announces.
		{name: "aac", audio: []string{"-c:a", "aac", "-ac", "1"}, codec: hub.AAC, rate: 44100, playback: true},
		{name: "alaw", audio: []string{"-c:a", "pcm_alaw", "-ar", "8000", "-ac", "1"}, codec: hub.G711A, rate: 8000},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			testPublishFFmpeg(t, c.audio, c.codec, c.rate, c.playback)
		})
	}
}

func testPublishFFmpeg(t *testing.T, audio []string, audioCodec hub.Codec, rate int, playback bool) {
	e := newEnv(t, nil)
	path := "push/cam1"
	ffmpegPush(t, e.url(path, e.token(path, token.Publish, time.Minute)), audio...)
	waitFor(t, 10*time.Second, "publisher on the hub", func() bool { _, ok := e.pathInfo(path); return ok })

	info, _ := e.pathInfo(path)
	want := 1
	if audio != nil {
		want = 2
	}
	if len(info.Tracks) != want {
		t.Fatalf("tracks %+v", info.Tracks)
	}
	tr := info.Tracks[0]
	ps := h26x.FindParamSets(h26x.H264, tr.Config)
	if tr.Codec != hub.H264 || tr.Width != 320 || tr.Height != 240 || tr.ClockRate != 90000 || !ps.Complete(h26x.H264) {
		t.Fatalf("video track %+v", tr)
	}
	if audio != nil {
		if a := info.Tracks[1]; a.Codec != audioCodec || a.ClockRate != rate || a.ID != 1 {
			t.Fatalf("audio track %+v", a)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rd, err := e.hub.Read(ctx, path, hub.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	var keyframes, units, audioUnits int
	var last time.Duration
	for keyframes < 2 {
		u, err := rd.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if u.Track == 1 {
			if len(u.Data) == 0 {
				t.Fatal("empty audio unit")
			}
			audioUnits++
			continue
		}
		if units == 0 && !u.Keyframe {
			t.Fatal("first unit is not a keyframe")
		}
		if units > 0 && u.DTS <= last {
			t.Fatalf("DTS %v after %v", u.DTS, last)
		}
		last = u.DTS
		var au h264.AnnexB
		if err := au.Unmarshal(u.Data); err != nil {
			t.Fatalf("unit %d: %v", units, err)
		}
		if u.Keyframe != h264.IsRandomAccess(au) {
			t.Fatalf("unit %d: keyframe flag %v", units, u.Keyframe)
		}
		if u.Keyframe {
			keyframes++
		}
		units++
	}
	if audio != nil && audioUnits == 0 {
		t.Fatal("no audio")
	}

	if playback {
		streams, err := ffprobe(t, e.url(path, e.token(path, token.Read, time.Minute)))
		if err != nil || len(streams) != 2 || streams[0].CodecName != "h264" || streams[0].Width != 320 {
			t.Fatalf("played back: %+v %v", streams, err)
		}
	}

	// A second publisher on the busy path is refused at once.
	if err := gortmplibPublish(e.url(path, e.token(path, token.Publish, time.Minute))); err == nil {
		t.Fatal("second publisher accepted")
	}
	st := e.srv.Stats()
	if st.Publishers != 1 || st.PublishersTotal != 1 || st.PublishRefused != 1 || st.BytesIn == 0 {
		t.Fatalf("stats %+v", st)
	}
}

// gortmplibPublish connects as a publisher and sends a few AAC frames; it
// returns the first error.
func gortmplibPublish(rawURL string) error {
	u, err := parseURL(rawURL)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c := &gortmplib.Client{URL: u, Publish: true}
	if err := c.Initialize(ctx); err != nil {
		return err
	}
	defer c.Close()
	track := &gortmplib.Track{Codec: &codecs.MPEG4Audio{Config: &mpeg4audio.AudioSpecificConfig{
		Type: mpeg4audio.ObjectTypeAACLC, SampleRate: 44100, ChannelConfig: 1}}}
	w := &gortmplib.Writer{Conn: c, Tracks: []*gortmplib.Track{track}}
	if err := w.Initialize(); err != nil {
		return err
	}
	_ = c.NetConn().SetReadDeadline(time.Now().Add(3 * time.Second))
	for i := range 200 {
		if err := w.WriteMPEG4Audio(track, time.Duration(i)*23*time.Millisecond, []byte{0x21, 0x10, 0x04}); err != nil {
			return err
		}
	}
	// The server closes a refused publisher; a read tells.
	_, err = c.Read()
	return err
}

// A read token, a tampered or other-path publish token cannot publish.
func TestPublishTokenRefused(t *testing.T) {
	e := newEnv(t, nil)
	path := "push/cam2"
	pubTok := e.token(path, token.Publish, time.Minute)
	for name, tok := range map[string]string{
		"read token": e.token(path, token.Read, time.Minute),
		"other path": e.token("push/cam3", token.Publish, time.Minute),
		"expired":    e.token(path, token.Publish, -time.Minute),
		"tampered":   tamper(pubTok),
	} {
		if err := gortmplibPublish(e.url(path, tok)); err == nil {
			t.Errorf("%s: published", name)
		}
	}
	// ffmpeg with a read token gives up.
	requireTool(t, "ffmpeg")
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ffmpeg", "-v", "error", "-re", "-i", sampleFile(t, "sample.h264"),
		"-c", "copy", "-f", "flv", e.url(path, e.token(path, token.Read, time.Minute)))
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Fatalf("ffmpeg published with a read token: %s", out)
	}
	if _, ok := e.pathInfo(path); ok {
		t.Fatal("path published")
	}
	if st := e.srv.Stats(); st.TokensRefused != 5 || st.PublishersTotal != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// gortmplib publishing AAC alone: the hub track carries the
// AudioSpecificConfig and raw frames.
func TestPublishAAC(t *testing.T) {
	e := newEnv(t, nil)
	path := "push/audio"
	errc := make(chan error, 1)
	go func() {
		errc <- gortmplibPublishFor(e.url(path, e.token(path, token.Publish, time.Minute)), 3*time.Second)
	}()
	waitFor(t, 10*time.Second, "publisher on the hub", func() bool { _, ok := e.pathInfo(path); return ok })
	info, _ := e.pathInfo(path)
	var asc mpeg4audio.AudioSpecificConfig
	if len(info.Tracks) != 1 || info.Tracks[0].Codec != hub.AAC || asc.Unmarshal(info.Tracks[0].Config) != nil ||
		asc.SampleRate != 44100 || info.Tracks[0].ClockRate != 44100 {
		t.Fatalf("tracks %+v", info.Tracks)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rd, err := e.hub.Read(ctx, path, hub.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	u, err := rd.Next(ctx)
	if err != nil || string(u.Data) != "\x21\x10\x04" {
		t.Fatalf("unit %+v %v", u, err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "path freed", func() bool { _, ok := e.pathInfo(path); return !ok })
}

// gortmplibPublishFor publishes AAC frames in real time for d.
func gortmplibPublishFor(rawURL string, d time.Duration) error {
	u, err := parseURL(rawURL)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c := &gortmplib.Client{URL: u, Publish: true}
	if err := c.Initialize(ctx); err != nil {
		return err
	}
	defer c.Close()
	track := &gortmplib.Track{Codec: &codecs.MPEG4Audio{Config: &mpeg4audio.AudioSpecificConfig{
		Type: mpeg4audio.ObjectTypeAACLC, SampleRate: 44100, ChannelConfig: 1}}}
	w := &gortmplib.Writer{Conn: c, Tracks: []*gortmplib.Track{track}}
	if err := w.Initialize(); err != nil {
		return err
	}
	start := time.Now()
	// Two seconds at once so that the server's track probe completes, then
	// real time.
	for i := 0; ; i++ {
		ts := time.Duration(i) * 1024 * time.Second / 44100
		if ts > d {
			return nil
		}
		if wait := ts - 2*time.Second - time.Since(start); wait > 0 {
			time.Sleep(wait)
		}
		if err := w.WriteMPEG4Audio(track, ts, []byte{0x21, 0x10, 0x04}); err != nil {
			return err
		}
	}
}

// An Enhanced RTMP H.265 publisher (gortmplib's client) appears on the hub
// with VPS/SPS/PPS as Config, the size from the SPS and IRAP keyframes.
func TestPublishH265(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	path := "push/h265"
	s := mediatest.Load(hub.H265)
	ps := h26x.FindParamSets(h26x.H265, s.Track.Config)
	u, _ := parseURL(e.url(path, e.token(path, token.Publish, time.Minute)))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c := &gortmplib.Client{URL: u, Publish: true}
	if err := c.Initialize(ctx); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	track := &gortmplib.Track{Codec: &codecs.H265{VPS: ps.VPS[0], SPS: ps.SPS[0], PPS: ps.PPS[0]}}
	w := &gortmplib.Writer{Conn: c, Tracks: []*gortmplib.Track{track}}
	if err := w.Initialize(); err != nil {
		t.Fatal(err)
	}
	// Two loops at once: the server needs 2 s of timestamps to see tracks.
	for loop := range 2 {
		for _, unit := range s.Units {
			ts := unit.DTS + time.Duration(loop)*2*time.Second
			if err := w.WriteH265(track, ts, ts, h26x.SplitAnnexB(unit.Data)); err != nil {
				t.Fatal(err)
			}
		}
	}
	waitFor(t, 10*time.Second, "publisher on the hub", func() bool { _, ok := e.pathInfo(path); return ok })
	info, _ := e.pathInfo(path)
	if len(info.Tracks) != 1 {
		t.Fatalf("tracks %+v", info.Tracks)
	}
	tr := info.Tracks[0]
	got := h26x.FindParamSets(h26x.H265, tr.Config)
	if tr.Codec != hub.H265 || tr.Width != 320 || tr.Height != 240 || !got.Complete(h26x.H265) ||
		!bytes.Equal(got.SPS[0], ps.SPS[0]) {
		t.Fatalf("track %+v", tr)
	}
	rd, err := e.hub.Read(ctx, path, hub.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	first, err := rd.Next(ctx)
	if err != nil || !first.Keyframe || !h26x.IsKeyframe(h26x.H265, first.Data) {
		t.Fatalf("first unit keyframe=%v err=%v", first.Keyframe, err)
	}
}
