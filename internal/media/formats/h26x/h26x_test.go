package h26x

import (
	"bytes"
	"testing"

	"github.com/vionet/vionet/internal/media/hub"
	"github.com/vionet/vionet/internal/media/mediatest"
)

func TestSplitAnnexB(t *testing.T) {
	in := []byte{
		9, 9, // junk before the first start code
		0, 0, 0, 1, 0x67, 1, 2, 0, // 4-byte start code, trailing zero trimmed
		0, 0, 1, 0x68, 3, // 3-byte start code
		0, 0, 1, // empty NAL unit: skipped
		0, 0, 0, 1, 0x65, 0, 0, 3, 1, // emulation prevention kept as is
	}
	got := SplitAnnexB(in)
	want := [][]byte{{0x67, 1, 2}, {0x68, 3}, {0x65, 0, 0, 3, 1}}
	if len(got) != len(want) {
		t.Fatalf("got %d NAL units %x, want %d", len(got), got, len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Errorf("NAL %d = %x, want %x", i, got[i], want[i])
		}
	}
	if SplitAnnexB([]byte{1, 2, 3}) != nil || SplitAnnexB(nil) != nil {
		t.Error("input without start code must give no NAL units")
	}
	if j := JoinAnnexB(want...); !bytes.Equal(SplitAnnexB(j)[2], want[2]) || !bytes.HasPrefix(j, []byte{0, 0, 0, 1, 0x67}) {
		t.Errorf("JoinAnnexB = %x", j)
	}
}

func TestSamples(t *testing.T) {
	for _, tc := range []struct {
		hc hub.Codec
		c  Codec
	}{{hub.H264, H264}, {hub.H265, H265}} {
		t.Run(tc.c.String(), func(t *testing.T) {
			s := mediatest.Load(tc.hc)
			p := FindParamSets(tc.c, s.Units[0].Data)
			if !p.Complete(tc.c) {
				t.Fatalf("first unit: incomplete parameter sets %+v", p)
			}
			if got := p.Clone().AnnexB(); !bytes.Equal(got, s.Track.Config) {
				t.Errorf("AnnexB() = %x, want sample Config %x", got, s.Track.Config)
			}
			w, h, err := Dimensions(tc.c, p.SPS[0])
			if err != nil || w != mediatest.Width || h != mediatest.Height {
				t.Errorf("Dimensions = %dx%d, %v; want %dx%d", w, h, err, mediatest.Width, mediatest.Height)
			}
			keys := 0
			for i, u := range s.Units {
				if got := IsKeyframe(tc.c, u.Data); got != u.Keyframe {
					t.Errorf("unit %d: IsKeyframe = %v, want %v", i, got, u.Keyframe)
				}
				if u.Keyframe {
					keys++
				}
			}
			if keys < 2 {
				t.Errorf("only %d keyframes in sample", keys)
			}
			if FindParamSets(tc.c, s.Units[1].Data).Complete(tc.c) {
				t.Error("second unit should carry no parameter sets")
			}
		})
	}
}

func TestH264IntraWithoutIDR(t *testing.T) {
	sps := []byte{0, 0, 0, 1, 0x67, 0x42, 0, 0x1e}
	iSlice := []byte{0, 0, 0, 1, 0x41, 0x88, 0x84} // first_mb 0, slice_type 7 (I)
	pSlice := []byte{0, 0, 0, 1, 0x41, 0x9A, 0x84} // first_mb 0, slice_type 5 (P)
	if !IsKeyframe(H264, append(append([]byte{}, sps...), iSlice...)) {
		t.Error("SPS + I slice should be a keyframe")
	}
	if IsKeyframe(H264, iSlice) {
		t.Error("I slice without SPS should not be a keyframe")
	}
	if IsKeyframe(H264, append(append([]byte{}, sps...), pSlice...)) {
		t.Error("SPS + P slice should not be a keyframe")
	}
}

func TestParamSetsBounded(t *testing.T) {
	var au []byte
	for i := range 100 {
		au = append(au, 0, 0, 0, 1, 0x67, byte(i+2))
	}
	if p := FindParamSets(H264, au); len(p.SPS) != maxSets {
		t.Errorf("kept %d SPS, want %d", len(p.SPS), maxSets)
	}
}

func TestDimensionsBad(t *testing.T) {
	for _, b := range [][]byte{nil, {0x67}, {0x68, 1, 2}, {0x67, 0xff, 0xff, 0xff, 0xff, 0xff}} {
		if _, _, err := Dimensions(H264, b); err == nil {
			t.Errorf("Dimensions(%x) succeeded", b)
		}
	}
	if _, _, err := Dimensions(H265, []byte{0x42, 0x01}); err == nil {
		t.Error("short H.265 SPS accepted")
	}
}

func FuzzAccessUnit(f *testing.F) {
	for _, hc := range []hub.Codec{hub.H264, hub.H265} {
		s := mediatest.Load(hc)
		f.Add(s.Units[0].Data[:min(len(s.Units[0].Data), 200)], hc == hub.H265)
	}
	f.Add([]byte{0, 0, 1, 0x67, 0x64, 0, 0x1f, 0xac, 0, 0, 1, 0x41, 0x88}, false)
	f.Fuzz(func(t *testing.T, au []byte, h265 bool) {
		c := H264
		if h265 {
			c = H265
		}
		IsKeyframe(c, au)
		p := FindParamSets(c, au)
		for _, s := range p.SPS {
			if w, h, err := Dimensions(c, s); err == nil && (w <= 0 || h <= 0) {
				t.Fatalf("bad size %dx%d without error", w, h)
			}
		}
		n := 0
		ForEachNAL(au, func(nal []byte) bool {
			if len(nal) == 0 || nal[len(nal)-1] == 0 {
				t.Fatalf("NAL %x not trimmed", nal)
			}
			n++
			return true
		})
		if got := len(SplitAnnexB(au)); got != n {
			t.Fatalf("SplitAnnexB %d vs ForEachNAL %d", got, n)
		}
	})
}
