package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// The test stream: 1280x720, 25 fps, H.264 at a constant 4 Mbit/s, a keyframe every 2 s and
// no B-frames. testsrc2 alone compresses far below 4 Mbit/s, so temporal noise is added to
// make the encoder really spend the rate (nal-hrd=cbr pads the rest).
const (
	testFPS     = 25
	testSeconds = 24 // a whole number of GOPs, so the loop point is a keyframe
	testName    = "bench-720p25-4M-24s.flv"
)

// testFile returns the cached test file in dir, encoding it with ffmpeg the first time.
func testFile(ctx context.Context, dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	file := filepath.Join(dir, testName)
	if fi, err := os.Stat(file); err == nil && fi.Size() > 0 {
		return file, nil
	}
	tmp := file + ".part.flv"
	cmd := exec.CommandContext(ctx, "ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", fmt.Sprintf("testsrc2=size=1280x720:rate=%d,noise=alls=12:allf=t", testFPS),
		"-t", strconv.Itoa(testSeconds),
		"-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p",
		"-b:v", "4M", "-minrate", "4M", "-maxrate", "4M", "-bufsize", "2M",
		"-g", "50", "-keyint_min", "50", "-sc_threshold", "0", "-bf", "0", "-x264-params", "nal-hrd=cbr",
		"-f", "flv", tmp)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		_ = os.Remove(tmp)
		return "", fmt.Errorf("ffmpeg (encode test file): %w", err)
	}
	return file, os.Rename(tmp, file)
}

// fileInfo is what ffprobe says about the test file's video.
type fileInfo struct {
	bitrate   float64 // bit/s of the H.264 bitstream (sum of packet sizes / duration)
	frames    int
	keyframes int
}

// probeFile measures the video bitrate of file from its packets.
func probeFile(ctx context.Context, file string) (fileInfo, error) {
	out, err := exec.CommandContext(ctx, "ffprobe", "-v", "error", "-select_streams", "v:0",
		"-show_entries", "packet=size,flags", "-of", "csv=p=0", file).Output()
	if err != nil {
		return fileInfo{}, fmt.Errorf("ffprobe %s: %w", file, err)
	}
	var fi fileInfo
	var sum int64
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		size, flags, _ := strings.Cut(sc.Text(), ",")
		n, err := strconv.ParseInt(size, 10, 64)
		if err != nil {
			continue
		}
		sum += n
		fi.frames++
		if strings.Contains(flags, "K") {
			fi.keyframes++
		}
	}
	if fi.frames == 0 {
		return fileInfo{}, fmt.Errorf("ffprobe %s: no video packets", file)
	}
	fi.bitrate = float64(sum*8) / (float64(fi.frames) / testFPS)
	return fi, nil
}
