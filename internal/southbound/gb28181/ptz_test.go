package gb28181

import (
	"testing"

	"github.com/vionet/vionet/internal/domain"
	"github.com/vionet/vionet/internal/southbound/gb28181/manscdp"
)

func TestMotionCmd(t *testing.T) {
	for _, tc := range []struct {
		m      domain.PTZMotion
		level  int
		invert bool
		want   string
	}{
		{domain.PTZUp, 1, false, "A50F010824240005"},
		{domain.PTZUp, 2, true, "A50F010448480049"}, // reversed: down
		{domain.PTZUpLeft, 7, true, "A50F0105FCFC00B2"},
		{domain.PTZDownRight, 7, false, "A50F0105FCFC00B2"},
		{domain.PTZLeft, 3, false, "A50F01026C6C008F"},
		{domain.PTZZoomIn, 7, true, "A50F01100000F0B5"}, // zoom is not reversed
		{domain.PTZZoomOut, 4, false, "A50F012000009065"},
		{domain.PTZIrisOpen, 2, false, "A50F014400480041"},
		{domain.PTZIrisClose, 1, false, manscdp.Iris(false, 36).String()},
	} {
		got, ok := motionCmd(tc.m, tc.level, tc.invert)
		if !ok || got.String() != tc.want {
			t.Errorf("motion %d level %d invert %v: %s, want %s", tc.m, tc.level, tc.invert, got, tc.want)
		}
	}
	if _, ok := motionCmd(0, 1, false); ok {
		t.Error("motion 0 has a command")
	}
}

func TestPositionScale(t *testing.T) {
	for _, tc := range []struct {
		h, v      int
		pan, tilt float64
	}{
		{0, 0, 0, 0},
		{500000, -250000, 90, -22.5},
		{-500000, 1000000, 270, 90},
		{1000000, -1000000, 180, -90},
	} {
		if p := panDegrees(tc.h); p != tc.pan {
			t.Errorf("pan of %d: %v, want %v", tc.h, p, tc.pan)
		}
		if h := horizontalOf(tc.pan); h != tc.h {
			t.Errorf("horizontal of %v°: %d, want %d", tc.pan, h, tc.h)
		}
		if v := verticalOf(tc.tilt); v != tc.v {
			t.Errorf("vertical of %v°: %d, want %d", tc.tilt, v, tc.v)
		}
	}
	if h := horizontalOf(-90); h != -500000 {
		t.Errorf("horizontal of -90°: %d", h)
	}
	if v := verticalOf(120); v != 1000000 {
		t.Errorf("vertical of 120° not capped: %d", v)
	}
}
