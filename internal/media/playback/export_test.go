package playback

import (
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vionet/vionet/internal/media/hub"
)

func TestExportMP4(t *testing.T) {
	t.Parallel()
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	cases := []struct {
		name     string
		codec    hub.Codec
		audio    bool
		gap      time.Duration
		from, to time.Time
		want     time.Duration // presented duration
		start    time.Time     // Info.Start
	}{
		{"h264 inside one segment", hub.H264, true, 0, ms(2300), ms(3700), 1400 * time.Millisecond, ms(2300)},
		{"h264 spanning two", hub.H264, true, 0, ms(1300), ms(3500), 2200 * time.Millisecond, ms(1300)},
		{"h265 inside one segment", hub.H265, false, 0, ms(2500), ms(3900), 1400 * time.Millisecond, ms(2500)},
		{"h265 spanning three", hub.H265, false, 0, ms(500), ms(5500), 5 * time.Second, ms(500)},
		// 1.2 s of the first segment, 0.8 s of the second: the 5 s gap is cut.
		{"gap cut out", hub.H264, true, 5 * time.Second, ms(800), ms(7800), 2 * time.Second, ms(800)},
		// Starting in the gap: from the second segment's first frame.
		{"from in a gap", hub.H264, false, 5 * time.Second, ms(3000), ms(8000), time.Second, ms(7000)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			dir := t.TempDir()
			segs := segmentsOf(makeSegmentFile(t, dir, c.codec, c.audio), 3, t0, c.gap)
			out := filepath.Join(dir, "out.mp4")
			info, err := ExportMP4File(ctx, out, segs, c.from, c.to)
			if err != nil {
				t.Fatal(err)
			}
			st, err := os.Stat(out)
			if err != nil {
				t.Fatal(err)
			}
			if info.Size != st.Size() {
				t.Errorf("Info.Size %d, file has %d bytes", info.Size, st.Size())
			}
			if !info.Start.Equal(c.start) {
				t.Errorf("Info.Start %v, want %v", info.Start, c.start)
			}
			if !within(info.Duration, c.want, 50*time.Millisecond) {
				t.Errorf("Info.Duration %v, want %v", info.Duration, c.want)
			}
			p := ffprobe(t, out)
			if got := p.duration(t); !within(got, c.want, 100*time.Millisecond) {
				t.Errorf("ffprobe duration %v, want %v ± 0.1 s", got, c.want)
			}
			wantCodec := map[hub.Codec]string{hub.H264: "h264", hub.H265: "hevc"}[c.codec]
			var video, audio int
			for _, s := range p.Streams {
				switch s.CodecType {
				case "video":
					video++
					if s.CodecName != wantCodec || s.Width != 320 || s.Height != 240 {
						t.Errorf("video stream %+v, want %s 320x240", s, wantCodec)
					}
				case "audio":
					audio++
					if s.CodecName != "aac" {
						t.Errorf("audio stream %+v", s)
					}
				}
			}
			if video != 1 || (audio == 1) != c.audio {
				t.Errorf("%d video and %d audio streams, audio expected: %v", video, audio, c.audio)
			}
			checkEditLists(t, out)
			decodeClean(t, ctx, out)
		})
	}
}

// checkEditLists fails unless every one-entry edit list lasts as long as
// its track (see editListFixer).
func checkEditLists(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var edits int
	forEachChild(b, 0, func(typ string, moov []byte) {
		if typ != "moov" {
			return
		}
		forEachChild(moov, 8, func(typ string, trak []byte) {
			var tkhd uint64
			forEachChild(trak, 8, func(typ string, box []byte) {
				switch typ {
				case "tkhd":
					tkhd, _ = tkhdDuration(box)
				case "edts":
					forEachChild(box, 8, func(_ string, elst []byte) {
						if len(elst) >= 24 && binary.BigEndian.Uint32(elst[12:16]) == 1 {
							edits++
							if d := binary.BigEndian.Uint32(elst[16:20]); uint64(d) != tkhd {
								t.Errorf("edit of %d ms in a track of %d ms", d, tkhd)
							}
						}
					})
				}
			})
		})
	})
	if edits == 0 {
		t.Error("no edit list")
	}
}

func TestExportErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	segs := segmentsOf(makeSegmentFile(t, dir, hub.H264, false), 2, t0, 0)
	ctx := context.Background()
	var sink countingWriter
	sink.w = discard{}
	if _, err := ExportMP4(ctx, &sink, segs, t0.Add(time.Hour), t0.Add(2*time.Hour)); !errors.Is(err, ErrNoData) {
		t.Errorf("after the data: %v, want ErrNoData", err)
	}
	if _, err := ExportMP4(ctx, &sink, segs, t0.Add(time.Second), t0); err == nil {
		t.Error("reversed range accepted")
	}
	if _, err := ExportMP4(ctx, &sink, []Segment{{Path: filepath.Join(dir, "missing.mp4"), Start: t0}}, t0, t0.Add(time.Second)); !errors.Is(err, ErrNoData) {
		t.Errorf("missing file: %v, want ErrNoData", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := ExportMP4(cancelled, &sink, segs, t0, t0.Add(4*time.Second)); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
	if sink.n != 0 {
		t.Errorf("%d bytes written by failed exports", sink.n)
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
