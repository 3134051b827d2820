package playback

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/vionet/vionet/internal/media/hub"
)

// t0 is the wall-clock start of the first test segment.
var t0 = time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)

// segmentDuration is the length of every test segment (the mediatest sample).
const segmentDuration = 2 * time.Second

// needFFmpeg skips the test when ffmpeg/ffprobe are missing.
func needFFmpeg(t testing.TB) {
	t.Helper()
	for _, bin := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s not installed", bin)
		}
	}
}

// makeSegmentFile writes the 2 s mediatest sample of codec as a fragmented
// MP4 segment following the recorder's contract (video track 1 at 90 kHz,
// one fragment per keyframe, optional AAC track 2) and returns its path.
func makeSegmentFile(t testing.TB, dir string, codec hub.Codec, audio bool) string {
	t.Helper()
	needFFmpeg(t)
	in, format, tag := "../mediatest/testdata/sample.h264", "h264", "avc1"
	if codec == hub.H265 {
		in, format, tag = "../mediatest/testdata/sample.h265", "hevc", "hvc1"
	}
	out := filepath.Join(dir, codec.String()+map[bool]string{true: "-aac", false: ""}[audio]+".mp4")
	args := []string{"-v", "error", "-y", "-f", format, "-framerate", "25", "-i", in}
	if audio {
		args = append(args, "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "2", "-c:a", "aac")
	}
	args = append(args, "-c:v", "copy", "-tag:v", tag, "-video_track_timescale", "90000", "-avoid_negative_ts", "disabled",
		"-f", "mp4", "-movflags", "+frag_keyframe+empty_moov+default_base_moof", out)
	if b, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, b)
	}
	return out
}

// segmentsOf returns n segments all backed by file, back to back from start,
// with gap between consecutive ones.
func segmentsOf(file string, n int, start time.Time, gap time.Duration) []Segment {
	segs := make([]Segment, n)
	for i := range segs {
		s := start.Add(time.Duration(i) * (segmentDuration + gap))
		segs[i] = Segment{Path: file, Start: s, End: s.Add(segmentDuration)}
	}
	return segs
}

// probe is what ffprobe reports about a file.
type probe struct {
	Streams []struct {
		CodecType string `json:"codec_type"`
		CodecName string `json:"codec_name"`
		Width     int    `json:"width"`
		Height    int    `json:"height"`
		Duration  string `json:"duration"`
	} `json:"streams"`
	Format struct {
		Duration string `json:"duration"`
	} `json:"format"`
}

func (p probe) duration(t testing.TB) time.Duration {
	t.Helper()
	f, err := strconv.ParseFloat(p.Format.Duration, 64)
	if err != nil {
		t.Fatalf("ffprobe duration %q: %v", p.Format.Duration, err)
	}
	return time.Duration(f * float64(time.Second))
}

func ffprobe(t testing.TB, path string) probe {
	t.Helper()
	b, err := exec.Command("ffprobe", "-v", "error", "-of", "json", "-show_streams", "-show_format", path).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", path, err)
	}
	var p probe
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// ffmpegRun runs ffmpeg with args and fails on error.
func ffmpegRun(t testing.TB, ctx context.Context, args ...string) {
	t.Helper()
	cmd := exec.CommandContext(ctx, "ffmpeg", append([]string{"-v", "error", "-y"}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg %v: %v: %s", args, err, out)
	}
}

// decodeClean decodes the whole file with ffmpeg and fails on any error.
func decodeClean(t testing.TB, ctx context.Context, path string) {
	t.Helper()
	cmd := exec.CommandContext(ctx, "ffmpeg", "-v", "error", "-i", path, "-f", "null", "-")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Fatalf("ffmpeg decode of %s: %v: %s", path, err, stderr.String())
	}
}

// makeTestsrcSegment encodes 2 s of ffmpeg's testsrc at the given size
// (keyframe every second) as a segment: a stream with other parameter sets
// than the mediatest samples.
func makeTestsrcSegment(t testing.TB, dir string, codec hub.Codec, size string) string {
	t.Helper()
	needFFmpeg(t)
	enc, tag := "libx264", "avc1"
	if codec == hub.H265 {
		enc, tag = "libx265", "hvc1"
	}
	out := filepath.Join(dir, "testsrc-"+size+"-"+codec.String()+".mp4")
	if b, err := exec.Command("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=s="+size+":r=25", "-t", "2",
		"-c:v", enc, "-g", "25", "-bf", "0", "-x265-params", "log-level=error", "-tag:v", tag, "-video_track_timescale", "90000",
		"-f", "mp4", "-movflags", "+frag_keyframe+empty_moov+default_base_moof", out).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v: %s", err, b)
	}
	return out
}
