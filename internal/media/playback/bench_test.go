package playback

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
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
