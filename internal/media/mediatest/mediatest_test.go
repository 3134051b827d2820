package mediatest

import (
	"testing"

	"github.com/vionet/vionet/internal/media/hub"
)

func TestLoad(t *testing.T) {
	for _, c := range []hub.Codec{hub.H264, hub.H265} {
		s := Load(c)
		if len(s.Units) != 50 || !s.Units[0].Keyframe || !s.Units[25].Keyframe || s.Units[1].Keyframe {
			t.Fatalf("%v: %d units, key0=%v key25=%v", c, len(s.Units), s.Units[0].Keyframe, s.Units[25].Keyframe)
		}
		want := 2
		if c == hub.H265 {
			want = 3
		}
		if n := len(splitAnnexB(s.Track.Config)); n != want {
			t.Fatalf("%v: %d parameter sets", c, n)
		}
	}
}
