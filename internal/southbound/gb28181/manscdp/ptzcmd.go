package manscdp

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// PTZCmd is the 8-byte front-end control command of GB/T 28181 Appendix
// A.3 (identical in 2016 and 2022), carried in DeviceControl/PTZCmd as 16
// uppercase hex digits. Bytes, numbered 1–8 as in the standard:
//
//	1  0xA5, the header
//	2  combination code 1: high nibble the version (0), low nibble the
//	   check (high nibble of byte 1 + low nibble of byte 1 + high nibble of
//	   byte 2) mod 16, so 0x0F for version 0
//	3  address, low 8 bits (the builders use 0x01)
//	4  instruction code
//	5  data 1
//	6  data 2
//	7  combination code 2: high nibble data 3, low nibble address high 4 bits
//	8  checksum: (bytes 1–7) mod 256
//
// Instruction codes and their data:
//
//	0x00        stop
//	0x01–0x3F   PTZ: bit0 right, bit1 left, bit2 down, bit3 up, bit4 zoom in
//	            (tele), bit5 zoom out (wide); data 1 pan speed, data 2 tilt
//	            speed, data 3 zoom speed (0–15)
//	0x40–0x4F   FI: bit0 focus far, bit1 focus near, bit2 iris open, bit3
//	            iris close; data 1 focus speed, data 2 iris speed; 0x40 stops
//	0x81/82/83  set/call/delete preset: data 2 preset number
//	0x84/85     add/delete cruise point: data 1 cruise route, data 2 preset
//	            (0x85 with preset 0 deletes the route)
//	0x86/87     set cruise speed/stay time: data 1 route, 12-bit value with
//	            the low 8 bits in data 2 and the high 4 bits in data 3
//	0x88        start cruise: data 1 route
//	0x89        scan: data 1 scan group, data 2 0 start, 1 set left
//	            boundary, 2 set right boundary
//	0x8A        set scan speed: data 1 group, 12-bit speed as for 0x86
//	0x8C/8D     auxiliary switch on/off: data 1 switch number (1 wiper)
type PTZCmd [8]byte

const (
	ptzHeader  = 0xA5
	ptzAddress = 0x01

	codeStop         = 0x00
	codeFI           = 0x40
	codeSetPreset    = 0x81
	codeCallPreset   = 0x82
	codeDeletePreset = 0x83
	codeCruiseAdd    = 0x84
	codeCruiseDelete = 0x85
	codeCruiseSpeed  = 0x86
	codeCruiseStay   = 0x87
	codeCruiseStart  = 0x88
	codeScan         = 0x89
	codeScanSpeed    = 0x8A
	codeAuxOn        = 0x8C
	codeAuxOff       = 0x8D

	fiFocusFar  = 0x01
	fiFocusNear = 0x02
	fiIrisOpen  = 0x04
	fiIrisClose = 0x08

	max12Bit = 0x0FFF
)

// Direction is the set of PTZ motion bits of instruction byte 4.
type Direction uint8

// Direction bits; combine them with |, e.g. DirUp|DirLeft.
const (
	DirRight   Direction = 0x01
	DirLeft    Direction = 0x02
	DirDown    Direction = 0x04
	DirUp      Direction = 0x08
	DirZoomIn  Direction = 0x10 // tele
	DirZoomOut Direction = 0x20 // wide

	DirUpLeft    = DirUp | DirLeft
	DirUpRight   = DirUp | DirRight
	DirDownLeft  = DirDown | DirLeft
	DirDownRight = DirDown | DirRight
)

// String names the set bits joined by "+", or "none".
func (d Direction) String() string {
	names := []struct {
		bit  Direction
		name string
	}{{DirRight, "right"}, {DirLeft, "left"}, {DirDown, "down"}, {DirUp, "up"}, {DirZoomIn, "zoom-in"}, {DirZoomOut, "zoom-out"}}
	var parts []string
	for _, n := range names {
		if d&n.bit != 0 {
			parts = append(parts, n.name)
		}
	}
	if rest := d &^ 0x3F; rest != 0 {
		parts = append(parts, fmt.Sprintf("0x%02X", uint8(rest)))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "+")
}

func newPTZCmd(code, d1, d2, d3 byte) PTZCmd {
	c := PTZCmd{ptzHeader, combination1(0), ptzAddress, code, d1, d2, d3 << 4, 0}
	c[7] = c.checksum()
	return c
}

// combination1 returns byte 2 for a version number (0–15).
func combination1(version byte) byte {
	check := (ptzHeader>>4 + ptzHeader&0x0F + version) & 0x0F
	return version<<4 | check
}

func (c PTZCmd) checksum() byte {
	var sum byte
	for _, b := range c[:7] {
		sum += b
	}
	return sum
}

// String returns the command as 16 uppercase hex digits.
func (c PTZCmd) String() string {
	return strings.ToUpper(hex.EncodeToString(c[:]))
}

// ErrBadPTZCmd is wrapped by every ParsePTZCmd error.
var ErrBadPTZCmd = errors.New("manscdp: bad PTZCmd")

// ParsePTZCmd parses 16 hex digits (any case; whitespace ignored) and
// checks the header, the combination-code-1 check nibble and the checksum.
func ParsePTZCmd(s string) (PTZCmd, error) {
	var c PTZCmd
	digits := strings.Join(strings.Fields(s), "")
	if len(digits) != 2*len(c) {
		return c, fmt.Errorf("%w: %q: want 16 hex digits", ErrBadPTZCmd, s)
	}
	if _, err := hex.Decode(c[:], []byte(digits)); err != nil {
		return PTZCmd{}, fmt.Errorf("%w: %q: %v", ErrBadPTZCmd, s, err)
	}
	if err := c.validate(); err != nil {
		return PTZCmd{}, fmt.Errorf("%w: %q: %v", ErrBadPTZCmd, s, err)
	}
	return c, nil
}

func (c PTZCmd) validate() error {
	if c[0] != ptzHeader {
		return fmt.Errorf("header 0x%02X, want 0xA5", c[0])
	}
	if want := combination1(c[1] >> 4); c[1] != want {
		return fmt.Errorf("combination code 1 is 0x%02X, want 0x%02X", c[1], want)
	}
	if want := c.checksum(); c[7] != want {
		return fmt.Errorf("checksum 0x%02X, want 0x%02X", c[7], want)
	}
	return nil
}

// Valid reports whether the header, check nibble and checksum are right.
func (c PTZCmd) Valid() bool { return c.validate() == nil }

// Address returns the 12-bit address (byte 3 plus the low nibble of
// byte 7).
func (c PTZCmd) Address() uint16 { return uint16(c[6]&0x0F)<<8 | uint16(c[2]) }

// WithAddress returns c addressed to addr (its low 12 bits), with the
// checksum recomputed.
func (c PTZCmd) WithAddress(addr uint16) PTZCmd {
	c[2] = byte(addr)
	c[6] = c[6]&0xF0 | byte(addr>>8)&0x0F
	c[7] = c.checksum()
	return c
}

func clampNibble(v uint8) byte {
	if v > 0x0F {
		return 0x0F
	}
	return v
}

func split12(v uint16) (low, high byte) {
	if v > max12Bit {
		v = max12Bit
	}
	return byte(v), byte(v >> 8)
}

// Stop stops every motion: A50F0100000000B5.
func Stop() PTZCmd { return newPTZCmd(codeStop, 0, 0, 0) }

// Move starts pan/tilt/zoom motion in dir (only its six motion bits are
// used) at the given speeds; zoomSpeed is 4 bits and is capped at 15. A
// dir of 0 is a stop. Contradictory bits (left and right) are sent as
// given.
func Move(dir Direction, panSpeed, tiltSpeed, zoomSpeed uint8) PTZCmd {
	return newPTZCmd(byte(dir&0x3F), panSpeed, tiltSpeed, clampNibble(zoomSpeed))
}

// Zoom zooms in (tele) or out (wide) at speed 0–15 (capped).
func Zoom(in bool, speed uint8) PTZCmd {
	if in {
		return Move(DirZoomIn, 0, 0, speed)
	}
	return Move(DirZoomOut, 0, 0, speed)
}

// Focus moves the focus far or near at speed.
func Focus(far bool, speed uint8) PTZCmd {
	if far {
		return newPTZCmd(codeFI|fiFocusFar, speed, 0, 0)
	}
	return newPTZCmd(codeFI|fiFocusNear, speed, 0, 0)
}

// Iris opens or closes the iris at speed.
func Iris(open bool, speed uint8) PTZCmd {
	if open {
		return newPTZCmd(codeFI|fiIrisOpen, 0, speed, 0)
	}
	return newPTZCmd(codeFI|fiIrisClose, 0, speed, 0)
}

// StopFI stops focus and iris motion (FI instruction with no bits set).
func StopFI() PTZCmd { return newPTZCmd(codeFI, 0, 0, 0) }

// SetPreset stores the current position as preset n: SetPreset(1) is
// A50F018100010037.
func SetPreset(n uint8) PTZCmd { return newPTZCmd(codeSetPreset, 0, n, 0) }

// CallPreset moves to preset n.
func CallPreset(n uint8) PTZCmd { return newPTZCmd(codeCallPreset, 0, n, 0) }

// DeletePreset deletes preset n.
func DeletePreset(n uint8) PTZCmd { return newPTZCmd(codeDeletePreset, 0, n, 0) }

// CruiseAddPoint adds preset to cruise route.
func CruiseAddPoint(route, preset uint8) PTZCmd { return newPTZCmd(codeCruiseAdd, route, preset, 0) }

// CruiseDeletePoint removes preset from cruise route; preset 0 deletes the
// whole route.
func CruiseDeletePoint(route, preset uint8) PTZCmd {
	return newPTZCmd(codeCruiseDelete, route, preset, 0)
}

// CruiseSpeed sets a cruise route's speed (12 bits, capped at 4095).
func CruiseSpeed(route uint8, speed uint16) PTZCmd {
	lo, hi := split12(speed)
	return newPTZCmd(codeCruiseSpeed, route, lo, hi)
}

// CruiseStay sets a cruise route's stay time at each point in seconds (12
// bits, capped at 4095).
func CruiseStay(route uint8, seconds uint16) PTZCmd {
	lo, hi := split12(seconds)
	return newPTZCmd(codeCruiseStay, route, lo, hi)
}

// CruiseStart starts cruising route. Stop ends it.
func CruiseStart(route uint8) PTZCmd { return newPTZCmd(codeCruiseStart, route, 0, 0) }

// ScanStart starts auto scan group. Stop ends it.
func ScanStart(group uint8) PTZCmd { return newPTZCmd(codeScan, group, 0, 0) }

// ScanSetLeft stores the current position as scan group's left boundary.
func ScanSetLeft(group uint8) PTZCmd { return newPTZCmd(codeScan, group, 1, 0) }

// ScanSetRight stores the current position as scan group's right boundary.
func ScanSetRight(group uint8) PTZCmd { return newPTZCmd(codeScan, group, 2, 0) }

// ScanSpeed sets scan group's speed (12 bits, capped at 4095).
func ScanSpeed(group uint8, speed uint16) PTZCmd {
	lo, hi := split12(speed)
	return newPTZCmd(codeScanSpeed, group, lo, hi)
}

// AuxOn switches auxiliary switch n on (1 is the wiper).
func AuxOn(n uint8) PTZCmd { return newPTZCmd(codeAuxOn, n, 0, 0) }

// AuxOff switches auxiliary switch n off.
func AuxOff(n uint8) PTZCmd { return newPTZCmd(codeAuxOff, n, 0, 0) }

// SpeedFromLevel maps the northbound PTZ speed level 1–7 onto the byte
// pan/tilt speed as level×36 (36, 72, … 252), capped at 255; a level of
// 0 or less gives 0.
func SpeedFromLevel(level int) uint8 {
	switch {
	case level <= 0:
		return 0
	case level > 7: // 8×36 > 255
		return 0xFF
	}
	return uint8(level * 36)
}

// ZoomSpeedFromLevel maps the northbound speed level 1–7 onto the 4-bit
// zoom speed as ⌈level×15/7⌉ (3, 5, 7, 9, 11, 13, 15), capped at 15; a
// level of 0 or less gives 0.
func ZoomSpeedFromLevel(level int) uint8 {
	switch {
	case level <= 0:
		return 0
	case level >= 7:
		return 0x0F
	}
	return uint8((level*15 + 6) / 7)
}

// Kind classifies a decoded PTZCmd.
type Kind uint8

// Command kinds.
const (
	KindUnknown Kind = iota
	KindStop
	KindPTZ
	KindFI
	KindSetPreset
	KindCallPreset
	KindDeletePreset
	KindCruiseAddPoint
	KindCruiseDeletePoint
	KindCruiseSpeed
	KindCruiseStay
	KindCruiseStart
	KindScanStart
	KindScanSetLeft
	KindScanSetRight
	KindScanSpeed
	KindAuxOn
	KindAuxOff
)

// String returns the kind's name.
func (k Kind) String() string {
	names := [...]string{"unknown", "stop", "ptz", "fi", "set-preset", "call-preset", "delete-preset",
		"cruise-add-point", "cruise-delete-point", "cruise-speed", "cruise-stay", "cruise-start",
		"scan-start", "scan-set-left", "scan-set-right", "scan-speed", "aux-on", "aux-off"}
	if int(k) < len(names) {
		return names[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Command is a PTZCmd decoded for whoever executes it. Only the fields of
// its Kind are set.
type Command struct {
	Kind    Kind
	Code    byte   // instruction byte 4
	Address uint16 // 12-bit address

	// KindPTZ: the motion bits and speeds (ZoomSpeed 0–15).
	Direction Direction
	PanSpeed  uint8
	TiltSpeed uint8
	ZoomSpeed uint8

	// KindFI: the focus and iris bits and speeds; none set means stop.
	FocusFar   bool
	FocusNear  bool
	IrisOpen   bool
	IrisClose  bool
	FocusSpeed uint8
	IrisSpeed  uint8

	// Preset is the preset number of the preset kinds and of
	// KindCruiseAddPoint/KindCruiseDeletePoint (0: delete the route).
	Preset uint8
	// Group is the cruise route or scan group.
	Group uint8
	// Value is the 12-bit cruise speed, cruise stay time (seconds) or scan
	// speed.
	Value uint16
	// Aux is the auxiliary switch number.
	Aux uint8
}

// Decode interprets c. It does not check validity (see Valid): a command
// from ParsePTZCmd is valid. Codes the standard does not define decode as
// KindUnknown with Code set.
func (c PTZCmd) Decode() Command {
	cmd := Command{Code: c[3], Address: c.Address()}
	d1, d2, d3 := c[4], c[5], c[6]>>4
	value := uint16(d3)<<8 | uint16(d2)
	switch code := c[3]; {
	case code == codeStop:
		cmd.Kind = KindStop
	case code < codeFI:
		cmd.Kind = KindPTZ
		cmd.Direction = Direction(code)
		cmd.PanSpeed, cmd.TiltSpeed, cmd.ZoomSpeed = d1, d2, d3
	case code&0xF0 == codeFI:
		cmd.Kind = KindFI
		cmd.FocusFar = code&fiFocusFar != 0
		cmd.FocusNear = code&fiFocusNear != 0
		cmd.IrisOpen = code&fiIrisOpen != 0
		cmd.IrisClose = code&fiIrisClose != 0
		cmd.FocusSpeed, cmd.IrisSpeed = d1, d2
	case code == codeSetPreset:
		cmd.Kind, cmd.Preset = KindSetPreset, d2
	case code == codeCallPreset:
		cmd.Kind, cmd.Preset = KindCallPreset, d2
	case code == codeDeletePreset:
		cmd.Kind, cmd.Preset = KindDeletePreset, d2
	case code == codeCruiseAdd:
		cmd.Kind, cmd.Group, cmd.Preset = KindCruiseAddPoint, d1, d2
	case code == codeCruiseDelete:
		cmd.Kind, cmd.Group, cmd.Preset = KindCruiseDeletePoint, d1, d2
	case code == codeCruiseSpeed:
		cmd.Kind, cmd.Group, cmd.Value = KindCruiseSpeed, d1, value
	case code == codeCruiseStay:
		cmd.Kind, cmd.Group, cmd.Value = KindCruiseStay, d1, value
	case code == codeCruiseStart:
		cmd.Kind, cmd.Group = KindCruiseStart, d1
	case code == codeScan && d2 <= 2:
		cmd.Kind, cmd.Group = [...]Kind{KindScanStart, KindScanSetLeft, KindScanSetRight}[d2], d1
	case code == codeScanSpeed:
		cmd.Kind, cmd.Group, cmd.Value = KindScanSpeed, d1, value
	case code == codeAuxOn:
		cmd.Kind, cmd.Aux = KindAuxOn, d1
	case code == codeAuxOff:
		cmd.Kind, cmd.Aux = KindAuxOff, d1
	}
	return cmd
}
