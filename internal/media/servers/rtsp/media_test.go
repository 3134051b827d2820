package rtsp

import (
	"bytes"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtph264"
	"github.com/bluenviron/gortsplib/v5/pkg/format/rtph265"
	"github.com/pion/rtp"

	"github.com/vionet/vionet/internal/media/hub"
	"github.com/vionet/vionet/internal/media/mediatest"
)

// decodeAU depacketizes pkts with gortsplib's decoder for o's format.
func decodeAU(t *testing.T, o *trackOut, pkts []*rtp.Packet) [][]byte {
	t.Helper()
	var dec interface {
		Decode(*rtp.Packet) ([][]byte, error)
	}
	switch f := o.media.Formats[0].(type) {
	case *format.H264:
		d, err := f.CreateDecoder()
		if err != nil {
			t.Fatal(err)
		}
		dec = d
	case *format.H265:
		d, err := f.CreateDecoder()
		if err != nil {
			t.Fatal(err)
		}
		dec = d
	}
	for i, p := range pkts {
		au, err := dec.Decode(p)
		if i == len(pkts)-1 {
			if err != nil {
				t.Fatal(err)
			}
			return au
		}
		if err != rtph264.ErrMorePacketsNeeded && err != rtph265.ErrMorePacketsNeeded {
			t.Fatalf("packet %d: %v", i, err)
		}
	}
	return nil
}

// Keyframes without in-band parameter sets get them from Track.Config;
// other frames are sent as they are.
func TestParameterSetsBeforeKeyframes(t *testing.T) {
	for _, codec := range []hub.Codec{hub.H264, hub.H265} {
		s := mediatest.Load(codec)
		o, err := newTrackOut(s.Track, 96)
		if err != nil {
			t.Fatal(err)
		}
		want := len(paramSets(codec, s.Track.Config))
		for _, i := range []int{mediatest.FPS, 1} {
			u := s.Units[i]
			var plain [][]byte
			for _, n := range bytes.Split(u.Data, []byte{0, 0, 0, 1})[1:] {
				plain = append(plain, n)
			}
			if u.Keyframe {
				// Strip in-band parameter sets to test the insertion.
				var stripped [][]byte
				for _, n := range plain {
					if paramIndex(codec, n) < 0 {
						stripped = append(stripped, n)
					}
				}
				plain = stripped
				var b []byte
				for _, n := range plain {
					b = append(append(b, 0, 0, 0, 1), n...)
				}
				u.Data = b
			}
			u.PTS = 2 * time.Second
			pkts, err := o.packets(u)
			if err != nil {
				t.Fatal(err)
			}
			if ts := pkts[0].Timestamp - o.tsBase; ts != 180000 {
				t.Fatalf("%v: timestamp offset %d, want 180000", codec, ts)
			}
			au := decodeAU(t, o, pkts)
			n := 0
			for _, nal := range au {
				if paramIndex(codec, nal) >= 0 {
					n++
				}
			}
			if u.Keyframe && (n != want || len(au) != len(plain)+want) {
				t.Fatalf("%v keyframe: %d parameter sets in %d NAL units, want %d in %d", codec, n, len(au), want, len(plain)+want)
			}
			if !u.Keyframe && len(au) != len(plain) {
				t.Fatalf("%v: frame changed: %d NAL units, want %d", codec, len(au), len(plain))
			}
		}
	}
}

func TestDurationToTicks(t *testing.T) {
	if got := durationToTicks(100*time.Hour+time.Second/2, 90000); got != 100*3600*90000+45000 {
		t.Fatalf("ticks = %d", got)
	}
}
