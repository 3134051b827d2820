package recorder

import (
	"bytes"
	"context"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/vionet/vionet/internal/media/hub"
	"github.com/vionet/vionet/internal/media/mediatest"
)

// TestRecordRealTime feeds each sample at real time into a hub for 4 s and
// records it with 1 s segments: every segment is cut at a keyframe, tiles
// the timeline with its neighbours, is read by ffprobe and ffmpeg, and
// gives back exactly the units that were written.
func TestRecordRealTime(t *testing.T) {
	for _, tc := range []struct {
		codec hub.Codec
		name  string
	}{{hub.H264, "h264"}, {hub.H265, "hevc"}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			sample := mediatest.Load(tc.codec)
			h := hub.New(hub.Options{})
			pub, err := h.Publish(testPath, []hub.Track{sample.Track})
			if err != nil {
				t.Fatal(err)
			}
			col := newSegments()
			dir := t.TempDir()
			rec := startRecorder(t, h, dir, col, nil)
			waitReaders(t, h, 1)
			const loops = 2
			mediatest.Feed(context.Background(), pub, sample, loops)
			pub.Close()
			col.wait(t, 4, 10*time.Second)
			rec.Close()

			segs := col.list()
			if len(segs) != 4 {
				t.Fatalf("%d segments, want 4: %+v", len(segs), segs)
			}
			if errs := col.errors(); len(errs) > 0 {
				t.Fatalf("errors: %v", errs)
			}
			// What was written, as Feed timestamps it.
			period := time.Duration(len(sample.Units)) * time.Second / mediatest.FPS
			var written []hub.Unit
			for loop := range loops {
				for _, u := range sample.Units {
					u.PTS += time.Duration(loop) * period
					u.DTS += time.Duration(loop) * period
					written = append(written, u)
				}
			}
			var read []hub.Unit
			for i, seg := range segs {
				if filepath.Dir(seg.Path) != dir || filepath.Ext(seg.Path) != ".mp4" {
					t.Errorf("segment path %s", seg.Path)
				}
				if seg.Codec != tc.codec || seg.HasAudio {
					t.Errorf("segment %d: codec %v audio %v", i, seg.Codec, seg.HasAudio)
				}
				if d := seg.Duration(); d != time.Second {
					t.Errorf("segment %d lasts %v, want 1s", i, d)
				}
				if i > 0 && seg.Start.Sub(segs[i-1].End).Abs() > time.Millisecond {
					t.Errorf("segment %d starts at %v, previous ended at %v", i, seg.Start, segs[i-1].End)
				}
				info, err := ReadInfo(seg.Path)
				if err != nil {
					t.Fatal(err)
				}
				if !info.Start.Equal(seg.Start) || !info.End.Equal(seg.End) || info.Size != seg.Size ||
					info.Codec != seg.Codec || info.HasAudio != seg.HasAudio || info.Path != seg.Path {
					t.Errorf("ReadInfo %+v, OnSegment %+v", info, seg)
				}

				p := ffprobe(t, seg.Path)
				if len(p.Streams) != 1 || p.Streams[0].CodecName != tc.name ||
					p.Streams[0].Width != mediatest.Width || p.Streams[0].Height != mediatest.Height {
					t.Errorf("ffprobe %s: %+v", seg.Path, p.Streams)
				}
				if d := p.duration(); math.Abs(d-seg.Duration().Seconds()) > 0.1 {
					t.Errorf("ffprobe duration %v, segment %v", d, seg.Duration())
				}
				if p.Streams[0].NbFrames != "25" {
					t.Errorf("ffprobe read %s frames, want 25", p.Streams[0].NbFrames)
				}
				ffdecode(t, seg.Path)

				tracks, units := readAll(t, seg.Path)
				if len(tracks) != 1 || tracks[0].ID != videoTrackID || tracks[0].Codec != tc.codec ||
					tracks[0].Width != mediatest.Width || tracks[0].Height != mediatest.Height ||
					!bytes.Equal(tracks[0].Config, sample.Track.Config) {
					t.Errorf("tracks %+v", tracks)
				}
				if len(units) == 0 || !units[0].Keyframe {
					t.Fatalf("segment %d does not start on a keyframe", i)
				}
				off := seg.Start.Sub(segs[0].Start)
				for _, u := range units {
					u.PTS += off
					u.DTS += off
					read = append(read, u)
				}
			}
			compareUnits(t, written, read, videoTrackID)
		})
	}
}

// compareUnits checks that read (track id) are the written units.
func compareUnits(t *testing.T, written, read []hub.Unit, id int) {
	t.Helper()
	if len(read) != len(written) {
		t.Fatalf("read %d units, wrote %d", len(read), len(written))
	}
	for i := range written {
		w, r := written[i], read[i]
		if r.Track != id || r.PTS != w.PTS || r.DTS != w.DTS || r.Keyframe != w.Keyframe || !bytes.Equal(r.Data, w.Data) {
			t.Fatalf("unit %d: read track %d pts %v dts %v key %v len %d; wrote pts %v dts %v key %v len %d",
				i, r.Track, r.PTS, r.DTS, r.Keyframe, len(r.Data), w.PTS, w.DTS, w.Keyframe, len(w.Data))
		}
	}
}
