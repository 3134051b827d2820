package rtsppull

import (
	"testing"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"

	"github.com/vionet/vionet/internal/media/hub"
	"github.com/vionet/vionet/internal/media/mediatest"
)

// FuzzVideoUnits feeds arbitrary access units, as received from a camera,
// through parameter set learning, SPS parsing (track size), keyframe
// detection, parameter insertion and DTS extraction: nothing may panic.
func FuzzVideoUnits(f *testing.F) {
	for _, c := range []hub.Codec{hub.H264, hub.H265} {
		s := mediatest.Load(c)
		for _, u := range s.Units[:2] {
			f.Add(uint8(c), u.Data[:min(len(u.Data), 400)])
		}
	}
	f.Add(uint8(hub.H264), []byte{0, 0, 0, 1, 0x67, 0x42, 0, 0x1e, 0, 0, 0, 1, 0x65, 0x88})
	f.Fuzz(func(t *testing.T, codec uint8, data []byte) {
		v := &videoIn{codec: hub.H264, params: make([][]byte, 2), needKey: true}
		if codec%2 == 0 {
			v.codec, v.params = hub.H265, make([][]byte, 3)
		}
		v.resetDTS()
		var au h264.AnnexB
		if au.Unmarshal(data) != nil {
			return
		}
		for i := range 3 {
			v.learnParams(au)
			key := v.isKeyframe(au)
			if v.ready() {
				tr := v.track()
				if tr.Width < 0 || tr.Height < 0 {
					t.Fatalf("track size %dx%d", tr.Width, tr.Height)
				}
			}
			u, err := v.unit(au, int64(i)*3600, key)
			if err == nil && u.Data != nil && !u.Keyframe && i == 0 {
				t.Fatal("first unit is not a keyframe")
			}
		}
	})
}
