package playback

import (
	"bytes"
	"testing"

	"github.com/vionet/vionet/internal/media/hub"
)

// FuzzParse feeds arbitrary bytes to the segment reader, the path every
// recorded file takes (init, fragment index with first-sample flags, sample
// reads, AVCC to Annex-B): it must fail cleanly, never panic or allocate
// without bound. Seeds: tiny ffmpeg-written segments (H.264, H.265 + AAC,
// B-frames), one written by mediacommon (per-sample flags), a truncated one,
// an empty one and a 64-bit box size.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := newSegmentFile(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		for range 1000 {
			frag, err := s.nextFragment()
			if err != nil {
				return
			}
			for _, r := range frag {
				if r.size <= 0 || r.off < 0 || r.off+r.size > int64(len(data)) {
					t.Fatalf("sample at %d size %d outside the %d-byte file", r.off, r.size, len(data))
				}
				b, err := s.readSample(r)
				if err != nil {
					t.Fatalf("reading an indexed sample: %v", err)
				}
				if r.track == s.video {
					_ = toAnnexB(b)
				}
			}
		}
	})
}

// TestParseSeeds checks what the reader makes of the committed seeds.
func TestParseSeeds(t *testing.T) {
	t.Parallel()
	file := makeSegmentFile(t, t.TempDir(), hub.H264, true)
	f, err := openSegment(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.video == nil || f.audio == nil || f.video.timeScale != 90000 || f.audio.timeScale != 48000 {
		t.Fatalf("tracks %+v %+v", f.video, f.audio)
	}
	var video, audio, sync int
	for {
		frag, err := f.nextFragment()
		if err != nil {
			break
		}
		if frag[0].track != f.video || !frag[0].sync {
			t.Errorf("fragment starts with %+v, want a video keyframe", frag[0])
		}
		for _, r := range frag {
			if r.track == f.video {
				video++
				if r.sync {
					sync++
				}
			} else {
				audio++
			}
		}
	}
	if video != 50 || sync != 2 || audio < 90 {
		t.Errorf("%d video samples (%d sync), %d audio; want 50 (2) and about 94", video, sync, audio)
	}
}
