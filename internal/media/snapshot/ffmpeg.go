package snapshot

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/vionet/vionet/internal/media/hub"
)

// stderrTail is how much of ffmpeg's stderr is kept for error messages.
const stderrTail = 1024

// FromAccessUnit decodes one video keyframe (Annex-B) with ffmpeg and returns
// it as a JPEG. config holds the parameter sets as Annex-B (hub.Track.Config);
// they are put before the access unit so that it decodes on its own even when
// it carries none in-band (a repeated set is harmless).
func FromAccessUnit(ctx context.Context, codec hub.Codec, config, au []byte, o Options) ([]byte, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	var format string
	switch codec {
	case hub.H264:
		format = "h264"
	case hub.H265:
		format = "hevc"
	default:
		return nil, fmt.Errorf("%w: %v", ErrUnsupportedCodec, codec)
	}
	if len(au) == 0 {
		return nil, fmt.Errorf("%w: empty access unit", ErrDecode)
	}
	bin, err := exec.LookPath(o.FFmpeg)
	if err != nil {
		// LookPath reports a missing absolute path as fs.ErrNotExist; callers
		// test one condition, so both are reported as exec.ErrNotFound.
		return nil, fmt.Errorf("snapshot: ffmpeg binary %q not found (install ffmpeg or set the ffmpeg path in the configuration): %w (%v)",
			o.FFmpeg, exec.ErrNotFound, err)
	}

	in := make([]byte, 0, len(config)+len(au))
	in = append(append(in, config...), au...)

	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, ffmpegArgs(format, o)...)
	cmd.Stdin = bytes.NewReader(in)
	var stdout bytes.Buffer
	stderr := &tailBuffer{max: stderrTail}
	cmd.Stdout = &stdout
	cmd.Stderr = stderr
	// Do not let a wedged child keep Wait blocked after the kill.
	cmd.WaitDelay = time.Second

	err = cmd.Run()
	out := stdout.Bytes()
	switch {
	case ctx.Err() != nil:
		return nil, fmt.Errorf("%w: ffmpeg: %w: %s", ErrDecode, ctx.Err(), stderr.String())
	case err != nil:
		return nil, fmt.Errorf("%w: ffmpeg: %v: %s", ErrDecode, err, stderr.String())
	case len(out) < 4 || out[0] != 0xFF || out[1] != 0xD8:
		return nil, fmt.Errorf("%w: ffmpeg produced no JPEG (%d bytes): %s", ErrDecode, len(out), stderr.String())
	}
	return out, nil
}

func ffmpegArgs(format string, o Options) []string {
	args := []string{
		"-hide_banner", "-loglevel", "error",
		"-f", format, "-i", "pipe:0",
		"-frames:v", "1",
	}
	if o.Width > 0 || o.Height > 0 {
		w, h := strconv.Itoa(o.Width), strconv.Itoa(o.Height)
		if o.Width == 0 {
			w = "-1"
		}
		if o.Height == 0 {
			h = "-1"
		}
		args = append(args, "-vf", "scale="+w+":"+h)
	}
	return append(args, "-f", "image2", "-c:v", "mjpeg", "-q:v", strconv.Itoa(o.Quality), "pipe:1")
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	// One line reads better in logs than ffmpeg's multi-line report.
	s := strings.Join(strings.Fields(strings.ReplaceAll(string(t.buf), "\n", " | ")), " ")
	if s == "" {
		return "(no output on stderr)"
	}
	return s
}
