package hls

import (
	"log/slog"
	"testing"
	"time"

	"github.com/bluenviron/gohlslib/v2"

	"github.com/vionet/vionet/internal/media/hub"
	"github.com/vionet/vionet/internal/media/mediatest"
)

// FuzzWrite feeds arbitrary access units (as a broken or hostile camera
// would publish them) through the track conversion into gohlslib, after a
// valid keyframe so the muxer is past its first segment: no panic allowed.
func FuzzWrite(f *testing.F) {
	h264s := mediatest.Load(hub.H264)
	h265s := mediatest.Load(hub.H265)
	f.Add(false, true, h264s.Units[1].Data)
	f.Add(true, true, h265s.Units[0].Data)
	f.Add(false, true, []byte{0, 0, 0, 1, 0x67, 0x42, 0, 0x1e, 0, 0, 1, 0x65, 0x88})
	f.Fuzz(func(t *testing.T, hevc, keyframe bool, data []byte) {
		s := h264s
		if hevc {
			s = h265s
		}
		variant, tracks, _, err := plan([]hub.Track{s.Track})
		if err != nil {
			t.Fatal(err)
		}
		m := &muxer{
			h:        &Handler{},
			log:      slog.New(slog.DiscardHandler),
			tracks:   map[int]*outTrack{0: tracks[0]},
			hasVideo: true,
		}
		m.hls = &gohlslib.Muxer{
			Tracks:        []*gohlslib.Track{tracks[0].hls},
			Variant:       variant,
			OnEncodeError: m.encodeError,
		}
		if err := m.hls.Start(); err != nil {
			t.Fatal(err)
		}
		defer m.hls.Close()
		for _, u := range s.Units[:3] {
			if err := m.write(u); err != nil {
				t.Fatal(err)
			}
		}
		_ = m.write(hub.Unit{Track: 0, PTS: 200 * time.Millisecond, DTS: 200 * time.Millisecond, Keyframe: keyframe, Data: data})
		_ = m.write(s.Units[25]) // the next real keyframe still goes in
	})
}
