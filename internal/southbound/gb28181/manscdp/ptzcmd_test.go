package manscdp

import (
	"errors"
	"testing"
)

func TestPTZCmdAcceptanceVectors(t *testing.T) {
	if got := Stop().String(); got != "A50F0100000000B5" {
		t.Errorf("Stop() = %s", got)
	}
	if got := SetPreset(1).String(); got != "A50F018100010037" {
		t.Errorf("SetPreset(1) = %s", got)
	}
}

func TestPTZCmdConstructors(t *testing.T) {
	cases := []struct {
		label string
		cmd   PTZCmd
		hex   string // "" when not pinned to a literal frame
		want  Command
	}{
		{"stop", Stop(), "A50F0100000000B5", Command{Kind: KindStop}},
		{"move left", Move(DirLeft, 0x32, 0, 0), "A50F0102320000E9", Command{Kind: KindPTZ, Code: 0x02, Direction: DirLeft, PanSpeed: 0x32}},
		{"move up-right + zoom in", Move(DirUpRight|DirZoomIn, 10, 20, 3), "", Command{Kind: KindPTZ, Code: 0x19, Direction: DirUp | DirRight | DirZoomIn, PanSpeed: 10, TiltSpeed: 20, ZoomSpeed: 3}},
		{"move down-left, zoom speed capped", Move(DirDownLeft, 255, 255, 200), "", Command{Kind: KindPTZ, Code: 0x06, Direction: DirDown | DirLeft, PanSpeed: 255, TiltSpeed: 255, ZoomSpeed: 15}},
		{"move ignores high bits", Move(0xC1, 1, 0, 0), "", Command{Kind: KindPTZ, Code: 0x01, Direction: DirRight, PanSpeed: 1}},
		{"zoom in", Zoom(true, 8), "A50F011000008045", Command{Kind: KindPTZ, Code: 0x10, Direction: DirZoomIn, ZoomSpeed: 8}},
		{"zoom out", Zoom(false, 8), "", Command{Kind: KindPTZ, Code: 0x20, Direction: DirZoomOut, ZoomSpeed: 8}},
		{"focus far", Focus(true, 0x40), "A50F014140000036", Command{Kind: KindFI, Code: 0x41, FocusFar: true, FocusSpeed: 0x40}},
		{"focus near", Focus(false, 0x40), "", Command{Kind: KindFI, Code: 0x42, FocusNear: true, FocusSpeed: 0x40}},
		{"iris open", Iris(true, 0x40), "A50F014400400039", Command{Kind: KindFI, Code: 0x44, IrisOpen: true, IrisSpeed: 0x40}},
		{"iris close", Iris(false, 0x40), "", Command{Kind: KindFI, Code: 0x48, IrisClose: true, IrisSpeed: 0x40}},
		{"FI stop", StopFI(), "", Command{Kind: KindFI, Code: 0x40}},
		{"set preset", SetPreset(1), "A50F018100010037", Command{Kind: KindSetPreset, Code: 0x81, Preset: 1}},
		{"call preset", CallPreset(5), "", Command{Kind: KindCallPreset, Code: 0x82, Preset: 5}},
		{"delete preset", DeletePreset(255), "", Command{Kind: KindDeletePreset, Code: 0x83, Preset: 255}},
		{"cruise add point", CruiseAddPoint(1, 3), "A50F01840103003D", Command{Kind: KindCruiseAddPoint, Code: 0x84, Group: 1, Preset: 3}},
		{"cruise delete point", CruiseDeletePoint(1, 3), "A50F01850103003E", Command{Kind: KindCruiseDeletePoint, Code: 0x85, Group: 1, Preset: 3}},
		{"cruise delete route", CruiseDeletePoint(2, 0), "", Command{Kind: KindCruiseDeletePoint, Code: 0x85, Group: 2}},
		{"cruise speed 300", CruiseSpeed(1, 300), "A50F0186012C1078", Command{Kind: KindCruiseSpeed, Code: 0x86, Group: 1, Value: 300}},
		{"cruise speed capped", CruiseSpeed(1, 9999), "", Command{Kind: KindCruiseSpeed, Code: 0x86, Group: 1, Value: 4095}},
		{"cruise stay 4095", CruiseStay(2, 4095), "A50F018702FFF02D", Command{Kind: KindCruiseStay, Code: 0x87, Group: 2, Value: 4095}},
		{"cruise start", CruiseStart(1), "A50F01880100003E", Command{Kind: KindCruiseStart, Code: 0x88, Group: 1}},
		{"scan start", ScanStart(0), "A50F01890000003E", Command{Kind: KindScanStart, Code: 0x89}},
		{"scan left", ScanSetLeft(0), "A50F01890001003F", Command{Kind: KindScanSetLeft, Code: 0x89}},
		{"scan right", ScanSetRight(3), "", Command{Kind: KindScanSetRight, Code: 0x89, Group: 3}},
		{"scan speed", ScanSpeed(0, 120), "A50F018A007800B7", Command{Kind: KindScanSpeed, Code: 0x8A, Value: 120}},
		{"aux on", AuxOn(1), "A50F018C01000042", Command{Kind: KindAuxOn, Code: 0x8C, Aux: 1}},
		{"aux off", AuxOff(1), "A50F018D01000043", Command{Kind: KindAuxOff, Code: 0x8D, Aux: 1}},
	}
	for _, c := range cases {
		t.Run(c.label, func(t *testing.T) {
			s := c.cmd.String()
			if c.hex != "" && s != c.hex {
				t.Errorf("String() = %s, want %s", s, c.hex)
			}
			if !c.cmd.Valid() {
				t.Errorf("%s not Valid", s)
			}
			parsed, err := ParsePTZCmd(s)
			if err != nil {
				t.Fatal(err)
			}
			if parsed != c.cmd {
				t.Errorf("round trip %s -> %s", s, parsed)
			}
			want := c.want
			want.Address = 1
			if got := parsed.Decode(); got != want {
				t.Errorf("Decode(%s) =\n %+v\nwant\n %+v", s, got, want)
			}
		})
	}
}

func TestParsePTZCmd(t *testing.T) {
	if c, err := ParsePTZCmd(" a5 0f 01 81 00 01 00 37\n"); err != nil || c != SetPreset(1) {
		t.Errorf("lowercase/spaced: %v %v", c, err)
	}
	// Version 1 has check nibble (A+5+1) mod 16 = 0.
	v1 := PTZCmd{0xA5, 0x10, 0x01, 0, 0, 0, 0, 0}
	v1[7] = v1.checksum()
	if _, err := ParsePTZCmd(v1.String()); err != nil {
		t.Errorf("version 1: %v", err)
	}
	for _, bad := range []string{
		"",
		"A50F0100000000B",    // short
		"A50F0100000000B500", // long
		"A50F01000000ZZB5",   // not hex
		"B50F0100000000C5",   // header
		"A50E0100000000B4",   // check nibble
		"A51F0100000000C5",   // check nibble for version 1
		"A50F0100000000B6",   // checksum
		"A50F018100010036",   // checksum
	} {
		if _, err := ParsePTZCmd(bad); !errors.Is(err, ErrBadPTZCmd) {
			t.Errorf("ParsePTZCmd(%q) error = %v", bad, err)
		}
	}
}

func TestPTZCmdAddress(t *testing.T) {
	c := Move(DirUp, 0, 0x20, 7).WithAddress(0xABC)
	if c.Address() != 0xABC || !c.Valid() {
		t.Fatalf("address %X valid %v (%s)", c.Address(), c.Valid(), c)
	}
	d := c.Decode()
	if d.Address != 0xABC || d.ZoomSpeed != 7 || d.TiltSpeed != 0x20 || d.Direction != DirUp {
		t.Errorf("Decode = %+v", d)
	}
	if back := c.WithAddress(1); back != Move(DirUp, 0, 0x20, 7) {
		t.Errorf("WithAddress(1) = %s", back)
	}
}

func TestPTZCmdUnknownCodes(t *testing.T) {
	for _, code := range []byte{0x50, 0x7F, 0x80, 0x8B, 0x8E, 0x91, 0xFF} {
		c := newPTZCmd(code, 1, 2, 3)
		if k := c.Decode().Kind; k != KindUnknown {
			t.Errorf("code %02X decoded as %v", code, k)
		}
	}
	if k := newPTZCmd(0x89, 0, 3, 0).Decode().Kind; k != KindUnknown {
		t.Errorf("scan op 3 decoded as %v", k)
	}
}

func TestSpeedFromLevel(t *testing.T) {
	wantPT := map[int]uint8{-1: 0, 0: 0, 1: 36, 2: 72, 4: 144, 7: 252, 8: 255, 1 << 40: 255}
	for level, want := range wantPT {
		if got := SpeedFromLevel(level); got != want {
			t.Errorf("SpeedFromLevel(%d) = %d, want %d", level, got, want)
		}
	}
	wantZ := map[int]uint8{0: 0, 1: 3, 2: 5, 3: 7, 4: 9, 5: 11, 6: 13, 7: 15, 99: 15}
	for level, want := range wantZ {
		if got := ZoomSpeedFromLevel(level); got != want {
			t.Errorf("ZoomSpeedFromLevel(%d) = %d, want %d", level, got, want)
		}
	}
}

func TestNamesOfKindAndDirection(t *testing.T) {
	if s := (DirUp | DirLeft | DirZoomIn).String(); s != "left+up+zoom-in" {
		t.Errorf("Direction.String = %q", s)
	}
	if s := Direction(0).String(); s != "none" {
		t.Errorf("Direction(0).String = %q", s)
	}
	if s := KindCruiseStay.String(); s != "cruise-stay" {
		t.Errorf("Kind.String = %q", s)
	}
	if s := Kind(200).String(); s != "Kind(200)" {
		t.Errorf("Kind(200).String = %q", s)
	}
}
