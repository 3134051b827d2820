package playback

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/vionet/vionet/internal/media/hub"
)

// benchSegmentFile returns a 10 s, 720p, 4 Mbit/s H.264 + AAC segment
// (fragment per 2 s GOP), encoded once and cached in the temp directory.
func benchSegmentFile(b *testing.B) string {
	b.Helper()
	needFFmpeg(b)
	path := filepath.Join(os.TempDir(), "vionet-playback-bench-720p-4m.mp4")
	if _, err := os.Stat(path); err == nil {
		return path
	}
	tmp := path + ".tmp" + filepath.Base(b.TempDir())
	cmd := exec.Command("ffmpeg", "-v", "error", "-y",
		"-f", "lavfi", "-i", "testsrc2=s=1280x720:r=25",
		"-f", "lavfi", "-i", "sine=sample_rate=48000", "-t", "10",
		// Noise keeps the encoder at its 4 Mbit/s instead of far below.
		"-vf", "noise=alls=12:allf=t", "-c:v", "libx264", "-preset", "ultrafast",
		"-b:v", "4M", "-minrate", "4M", "-maxrate", "4M", "-bufsize", "4M", "-g", "50",
		"-c:a", "aac", "-video_track_timescale", "90000", "-avoid_negative_ts", "disabled",
		"-f", "mp4", "-movflags", "+frag_keyframe+empty_moov+default_base_moof", tmp)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("ffmpeg: %v: %s", err, out)
	}
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkExportMP4 exports one minute (six 10 s segments) of a 4 Mbit/s
// 720p stream with audio and reports the speed as a multiple of real time.
// "discard" measures reading and muxing, "file" adds writing the file.
func BenchmarkExportMP4(b *testing.B) {
	file := benchSegmentFile(b)
	const n = 6
	segs := make([]Segment, n)
	for i := range segs {
		s := t0.Add(time.Duration(i) * 10 * time.Second)
		segs[i] = Segment{Path: file, Start: s, End: s.Add(10 * time.Second)}
	}
	from, to := t0, t0.Add(n*10*time.Second)
	run := func(b *testing.B, export func() (Info, error)) {
		var info Info
		b.ResetTimer()
		for b.Loop() {
			var err error
			if info, err = export(); err != nil {
				b.Fatal(err)
			}
		}
		b.SetBytes(info.Size)
		b.ReportMetric(info.Duration.Seconds()/(b.Elapsed().Seconds()/float64(b.N)), "x_realtime")
	}
	ctx := context.Background()
	b.Run("discard", func(b *testing.B) {
		run(b, func() (Info, error) { return ExportMP4(ctx, discard{}, segs, from, to) })
	})
	b.Run("file", func(b *testing.B) {
		out := filepath.Join(b.TempDir(), "out.mp4")
		run(b, func() (Info, error) { return ExportMP4File(ctx, out, segs, from, to) })
	})
}

// BenchmarkPlaybackCost measures the work of a 1x session without its
// pacing: one minute of the 4 Mbit/s stream (video and audio) read, turned
// into hub units and written to a hub path with one reader draining it. The
// x_realtime figure is how many real-time sessions one core could feed.
func BenchmarkPlaybackCost(b *testing.B) {
	file := benchSegmentFile(b)
	const n = 6
	segs := make([]Segment, n)
	for i := range segs {
		s := t0.Add(time.Duration(i) * 10 * time.Second)
		segs[i] = Segment{Path: file, Start: s, End: s.Add(10 * time.Second)}
	}
	ctx := context.Background()
	h := hub.New(hub.Options{})
	var content time.Duration
	for b.Loop() {
		tl := newTimeline(segs, nil, false)
		if err := tl.seek(t0, 0); err != nil {
			b.Fatal(err)
		}
		s := &Session{tl: tl, video: tl.video, audio: tl.audio, speed: 1, needKey: true}
		pub, err := h.Publish("bench", []hub.Track{tl.video.hubTrack(), tl.audio.hubTrack()})
		if err != nil {
			b.Fatal(err)
		}
		r, err := h.Read(ctx, "bench", hub.ReadOptions{QueueSize: 8192})
		if err != nil {
			b.Fatal(err)
		}
		drained := make(chan struct{})
		go func() {
			defer close(drained)
			for {
				if _, err := r.Next(ctx); err != nil {
					return
				}
			}
		}()
		for {
			it, err := tl.next()
			if err != nil {
				break
			}
			u, ok, err := s.load(it)
			if err != nil || !ok {
				b.Fatal("unit not loaded", err)
			}
			u.DTS, u.PTS = it.dts, it.pts
			pub.Write(u)
			content = it.dts
		}
		pub.Close()
		<-drained
		r.Close()
		tl.Close()
	}
	b.ReportMetric(content.Seconds()/(b.Elapsed().Seconds()/float64(b.N)), "x_realtime")
}
