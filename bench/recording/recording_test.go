// Package recording benchmarks cloud recording on this machine: how fast the recorder
// writes a 4 Mbit/s stream (so how many such streams the cores could record), how long a
// playback takes to put its first keyframe in the hub, and how fast an MP4 export runs
// compared with real time. The stream is a 4 Mbit/s 720p H.264 clip made once by ffmpeg.
//
//	go test -run '^$' -bench . -benchtime 3x ./bench/recording
package recording

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/vionet/vionet/internal/media/formats/h26x"
	"github.com/vionet/vionet/internal/media/hub"
	"github.com/vionet/vionet/internal/media/playback"
	"github.com/vionet/vionet/internal/media/recorder"
)

const clipSeconds = 20

var (
	clipOnce  sync.Once
	clipPath  string
	clipErr   error
	clipUnits []hub.Unit
	clipTrack []hub.Track
)

// clip makes (once) a 20 s 4 Mbit/s fragmented MP4 and reads its units back.
func clip(b *testing.B) (string, []hub.Track, []hub.Unit) {
	clipOnce.Do(func() {
		// Named like a recorder segment (<start-unixmilli>.mp4) so the readers take it as one.
		dir := filepath.Join(os.TempDir(), "vionet-bench-recording-720p-4m")
		clipPath = filepath.Join(dir, "1800000000000.mp4")
		if _, err := os.Stat(clipPath); err != nil {
			_ = os.MkdirAll(dir, 0o755)
			out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
				"-i", "testsrc2=size=1280x720:rate=25,noise=alls=30:allf=t", "-t", "20", "-c:v", "libx264",
				"-preset", "veryfast", "-b:v", "4M", "-minrate", "4M", "-maxrate", "4M", "-bufsize", "2M", "-g", "50", "-bf", "0",
				"-movflags", "+frag_keyframe+empty_moov+default_base_moof", clipPath).CombinedOutput()
			if err != nil {
				clipErr = errors.New("ffmpeg: " + err.Error() + ": " + string(out))
				return
			}
		}
		r, err := recorder.Open(clipPath)
		if err != nil {
			clipErr = err
			return
		}
		defer r.Close()
		clipTrack = r.Tracks()
		for {
			u, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				clipErr = err
				return
			}
			// ffmpeg marks fragment keyframes only in trun's first-sample flags, which the
			// segment reader does not use (vionet's own files flag every sample).
			u.Keyframe = h26x.IsKeyframe(h26x.H264, u.Data)
			clipUnits = append(clipUnits, u)
		}
	})
	if clipErr != nil {
		b.Skip(clipErr)
	}
	return clipPath, clipTrack, clipUnits
}

func bytesOf(units []hub.Unit) int64 {
	var n int64
	for _, u := range units {
		n += int64(len(u.Data))
	}
	return n
}

// BenchmarkRecord4Mbps writes the 20 s clip through the hub into 10 s segments as fast as
// the recorder takes it; "streams/core" is how many real-time 4 Mbit/s streams one core
// would record at that pace.
func BenchmarkRecord4Mbps(b *testing.B) {
	_, tracks, units := clip(b)
	size := bytesOf(units)
	b.SetBytes(size)
	var cpu time.Duration
	for b.Loop() {
		h := hub.New(hub.Options{QueueSize: len(units) + 16})
		pub, err := h.Publish("rec", tracks)
		if err != nil {
			b.Fatal(err)
		}
		dir := b.TempDir()
		done := make(chan struct{}, 8)
		rec, err := recorder.Start(context.Background(), recorder.Options{
			Hub: h, Path: "rec", Dir: dir, MaxSegment: 10 * time.Second, QueueSize: len(units) + 16,
			OnSegment: func(recorder.Segment) { done <- struct{}{} },
		})
		if err != nil {
			b.Fatal(err)
		}
		for h.Readers("rec") == 0 { // the recorder attaches asynchronously
			time.Sleep(time.Millisecond)
		}
		c0 := cpuTime()
		base := time.Now()
		for _, u := range units {
			u.Received = base.Add(u.DTS)
			pub.Write(u)
		}
		pub.Close()
		rec.Close() // finishes the open segment
		cpu += cpuTime() - c0
		if len(done) == 0 {
			b.Fatal("no segment written")
		}
	}
	real := time.Duration(b.N) * clipSeconds * time.Second
	b.ReportMetric(float64(real)/float64(cpu), "streams/core")
}

// BenchmarkPlaybackStart is the time from Publish to the first keyframe at a hub reader.
func BenchmarkPlaybackStart(b *testing.B) {
	path, _, _ := clip(b)
	info, err := recorder.ReadInfo(path)
	if err != nil {
		b.Fatal(err)
	}
	seg := []playback.Segment{{Path: path, Start: info.Start, End: info.End}}
	for b.Loop() {
		h := hub.New(hub.Options{})
		sess, err := playback.Publish(context.Background(), playback.Options{Hub: h, Path: "p", Segments: seg, From: info.Start.Add(5 * time.Second), Speed: 1})
		if err != nil {
			b.Fatal(err)
		}
		r, err := h.Read(context.Background(), "p", hub.ReadOptions{Wait: time.Second})
		if err != nil {
			b.Fatal(err)
		}
		if u, err := r.Next(context.Background()); err != nil || !u.Keyframe {
			b.Fatalf("first unit: keyframe=%v err=%v", u.Keyframe, err)
		}
		r.Close()
		sess.Close()
	}
}

// BenchmarkExportMP4 exports the whole clip; "x-realtime" is content seconds per second.
func BenchmarkExportMP4(b *testing.B) {
	path, _, _ := clip(b)
	info, err := recorder.ReadInfo(path)
	if err != nil {
		b.Fatal(err)
	}
	seg := []playback.Segment{{Path: path, Start: info.Start, End: info.End}}
	out := filepath.Join(b.TempDir(), "out.mp4")
	start := time.Now()
	for b.Loop() {
		if _, err := playback.ExportMP4File(context.Background(), out, seg, info.Start, info.End); err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	b.ReportMetric(float64(time.Duration(b.N)*info.End.Sub(info.Start))/float64(elapsed), "x-realtime")
}
