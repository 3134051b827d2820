package app

import (
	"context"
	"strconv"
	"strings"

	"github.com/vionet/vionet/internal/domain"
)

// PTZ (4.5.2): validation, ownership and the state vionet keeps (cruise routes and their
// schedules, guard positions, decoder address and direction); the device protocol is the
// driver's business.

// PTZDriver is the PTZ part of a device driver's port. Every call returns once the device
// acknowledged (or answered, for queries), with a coded error otherwise: 000008 for an
// offline device or a refusal, 000009 for a device that stayed silent.
type PTZDriver interface {
	PTZMove(ctx context.Context, h domain.PTZHead, m domain.PTZMotion, level int) error
	PTZStop(ctx context.Context, h domain.PTZHead, iris bool) error
	PTZMoveTo(ctx context.Context, h domain.PTZHead, p domain.PTZPosition) error
	PTZPosition(ctx context.Context, h domain.PTZHead) (domain.PTZPosition, error)
	PTZSetPreset(ctx context.Context, h domain.PTZHead, n int) error
	PTZCallPreset(ctx context.Context, h domain.PTZHead, n int) error
	PTZDeletePreset(ctx context.Context, h domain.PTZHead, n int) error
	PTZPresets(ctx context.Context, h domain.PTZHead) ([]int, error)
	PTZProgramCruise(ctx context.Context, h domain.PTZHead, r domain.CruiseRoute) error
	PTZDeleteCruise(ctx context.Context, h domain.PTZHead, code int) error
	PTZStartCruise(ctx context.Context, h domain.PTZHead, code int) error
	PTZSetGuard(ctx context.Context, h domain.PTZHead, enable bool, g domain.PTZGuard) error
	// PTZGuard asks the device for its guard position (nil when disabled).
	PTZGuard(ctx context.Context, h domain.PTZHead) (*domain.PTZGuard, error)
}

// Limits of 4.5.2.
const (
	MinPTZSpeed       = 1       // 4.5.2.1 speed 1~7
	MaxPTZSpeed       = 7       //
	MaxPreset         = 255     // pointCode 1~255
	MaxCruiseCode     = 255     // cruiseCode 1~255
	MaxCruiseValue    = 4095    // cruise speed and stayTime 1~4095
	MaxCruisePoints   = 255     // points per route (one byte names a preset)
	MinGuardInterval  = 30      // 4.5.2.14 interval [30~3600]
	MaxGuardInterval  = 3600    //
	MaxPTZPosition    = 1000000 // 4.5.2.1/4.5.2.13 coordinates ±1000000
	MaxDecoderAddress = 4095    // the 12-bit PTZCmd address
	secondsPerDay     = 86400
)

// Actions of 4.5.2.1 and 4.5.2.10.
const (
	PTZActionStart    = 0
	PTZActionStop     = 1
	CruiseActionStart = 0
	CruiseActionStop  = 1
)

// PTZHeadRef is the deviceSn (a device or channel code) and optional channelId every 4.5.2
// request carries.
type PTZHeadRef = ChannelRef

// ptzCommands maps 4.5.2.1's command codes to motions (21 is the absolute position). The
// wording of 1/2 (焦距变大/变小) and 5/6 (光圈扩大/缩小) is Hikvision's for zoom in/out and
// iris open/close, and 7/8 (图像放大/缩小) is zoom too, so both pairs zoom. 3/4 (focus in
// Hikvision's list), 9, 10, 19 and 20 are not in the spec.
var ptzCommands = map[int]domain.PTZMotion{
	1: domain.PTZZoomIn, 2: domain.PTZZoomOut, 5: domain.PTZIrisOpen, 6: domain.PTZIrisClose,
	7: domain.PTZZoomIn, 8: domain.PTZZoomOut,
	11: domain.PTZUp, 12: domain.PTZDown, 13: domain.PTZLeft, 14: domain.PTZRight,
	15: domain.PTZUpLeft, 16: domain.PTZUpRight, 17: domain.PTZDownLeft, 18: domain.PTZDownRight,
}

// PTZCommandMoveTo is 4.5.2.1's command 21 (转动到指定位置).
const PTZCommandMoveTo = 21

// PTZControlInput is 4.5.2.1's request.
type PTZControlInput struct {
	PTZHeadRef
	Command    int
	Action     int
	Speed      *int
	Horizontal *int
	Vertical   *int
}

// PTZControl starts or stops a motion, or turns the head to a position (4.5.2.1).
func (a *App) PTZControl(ctx context.Context, appID string, in PTZControlInput) error {
	motion, known := ptzCommands[in.Command]
	if !known && in.Command != PTZCommandMoveTo {
		return domain.InvalidField("command", "unknown command %d (1, 2, 5-8 zoom/iris, 11-18 directions, 21 position)", in.Command)
	}
	switch in.Action {
	case PTZActionStart, PTZActionStop:
	default:
		return domain.InvalidField("action", "must be 0 (start) or 1 (stop), got %d", in.Action)
	}
	var pos domain.PTZPosition
	level := 0
	switch {
	case in.Action == PTZActionStop:
	case in.Command == PTZCommandMoveTo:
		if in.Horizontal == nil {
			return domain.InvalidField("horizontalPosition", "is required for command 21")
		}
		if in.Vertical == nil {
			return domain.InvalidField("verticalPosition", "is required for command 21")
		}
		if err := checkRange("horizontalPosition", *in.Horizontal, -MaxPTZPosition, MaxPTZPosition); err != nil {
			return err
		}
		if err := checkRange("verticalPosition", *in.Vertical, -MaxPTZPosition, MaxPTZPosition); err != nil {
			return err
		}
		pos = domain.PTZPosition{Horizontal: *in.Horizontal, Vertical: *in.Vertical}
	default:
		if in.Speed == nil {
			return domain.MissingField("speed")
		}
		if err := checkRange("speed", *in.Speed, MinPTZSpeed, MaxPTZSpeed); err != nil {
			return err
		}
		level = *in.Speed
	}
	_, h, err := a.ptzOnline(ctx, appID, in.PTZHeadRef)
	if err != nil {
		return err
	}
	switch {
	case in.Action == PTZActionStop:
		err = a.gb.PTZStop(ctx, h, motion.IsIris())
	case in.Command == PTZCommandMoveTo:
		err = a.gb.PTZMoveTo(ctx, h, pos)
	default:
		err = a.gb.PTZMove(ctx, h, motion, level)
	}
	return deviceErr(h.DeviceSn, err)
}

// PTZPosition returns where a head points (4.5.2.13).
func (a *App) PTZPosition(ctx context.Context, appID string, ref PTZHeadRef) (domain.PTZPosition, error) {
	_, h, err := a.ptzOnline(ctx, appID, ref)
	if err != nil {
		return domain.PTZPosition{}, err
	}
	p, err := a.gb.PTZPosition(ctx, h)
	return p, deviceErr(h.DeviceSn, err)
}

// Presets lists a head's presets as the device reports them (4.5.2.2).
func (a *App) Presets(ctx context.Context, appID string, ref PTZHeadRef) ([]int, error) {
	_, h, err := a.ptzOnline(ctx, appID, ref)
	if err != nil {
		return nil, err
	}
	list, err := a.gb.PTZPresets(ctx, h)
	if list == nil && err == nil {
		list = []int{}
	}
	return list, deviceErr(h.DeviceSn, err)
}

// PresetOp is what 4.5.2.3–4.5.2.6 do with a preset.
type PresetOp int

// Preset operations.
const (
	PresetSet    PresetOp = iota // 4.5.2.3 add, 4.5.2.4 update: store the current position
	PresetCall                   // 4.5.2.6 jump
	PresetDelete                 // 4.5.2.5
)

// Preset adds (or re-saves at the current position), calls or deletes preset n.
func (a *App) Preset(ctx context.Context, appID string, ref PTZHeadRef, op PresetOp, n int) error {
	if err := checkRange("pointCode", n, 1, MaxPreset); err != nil {
		return err
	}
	_, h, err := a.ptzOnline(ctx, appID, ref)
	if err != nil {
		return err
	}
	switch op {
	case PresetSet:
		err = a.gb.PTZSetPreset(ctx, h, n)
	case PresetCall:
		err = a.gb.PTZCallPreset(ctx, h, n)
	case PresetDelete:
		err = a.gb.PTZDeletePreset(ctx, h, n)
	}
	return deviceErr(h.DeviceSn, err)
}

// SetGuard sets a head's guard (home) position on the device and keeps it (4.5.2.14).
func (a *App) SetGuard(ctx context.Context, appID string, ref PTZHeadRef, g domain.PTZGuard) error {
	if err := checkRange("pointCode", g.Preset, 1, MaxPreset); err != nil {
		return err
	}
	if err := checkRange("interval", g.Interval, MinGuardInterval, MaxGuardInterval); err != nil {
		return err
	}
	d, h, err := a.ptzOnline(ctx, appID, ref)
	if err != nil {
		return err
	}
	if err := a.gb.PTZSetGuard(ctx, h, true, g); err != nil {
		return deviceErr(h.DeviceSn, err)
	}
	return a.store.SetPTZGuard(ctx, d.ID, h.Target, &g)
}

// DeleteGuard disables a head's guard position (4.5.2.15). pointCode must be the guard's
// preset when vionet knows it.
func (a *App) DeleteGuard(ctx context.Context, appID string, ref PTZHeadRef, preset int) error {
	if err := checkRange("pointCode", preset, 1, MaxPreset); err != nil {
		return err
	}
	d, h, err := a.ptzHead(ctx, appID, ref)
	if err != nil {
		return err
	}
	st, err := a.store.PTZSettings(ctx, d.ID, h.Target)
	if err != nil {
		return err
	}
	if st.Guard != nil && st.Guard.Preset != preset {
		return domain.InvalidField("pointCode", "the guard position of %s is preset %d, not %d", ref.DeviceSn, st.Guard.Preset, preset)
	}
	if err := online(d); err != nil {
		return err
	}
	if err := a.gb.PTZSetGuard(ctx, h, false, domain.PTZGuard{Preset: preset}); err != nil {
		return deviceErr(h.DeviceSn, err)
	}
	return a.store.SetPTZGuard(ctx, d.ID, h.Target, nil)
}

// Guard returns a head's guard position (4.5.2.16): asked from a GB/T 28181-2022 device,
// otherwise the one set through vionet. None set is 000008.
func (a *App) Guard(ctx context.Context, appID string, ref PTZHeadRef) (domain.PTZGuard, error) {
	d, h, err := a.ptzHead(ctx, appID, ref)
	if err != nil {
		return domain.PTZGuard{}, err
	}
	var g *domain.PTZGuard
	if d.GBVersion == "2022" {
		if err := online(d); err != nil {
			return domain.PTZGuard{}, err
		}
		if g, err = a.gb.PTZGuard(ctx, h); err != nil {
			return domain.PTZGuard{}, deviceErr(h.DeviceSn, err)
		}
	} else {
		st, err := a.store.PTZSettings(ctx, d.ID, h.Target)
		if err != nil {
			return domain.PTZGuard{}, err
		}
		g = st.Guard
	}
	if g == nil {
		return domain.PTZGuard{}, domain.Errorf(domain.CodeValidation, "%s has no guard position set", ref.DeviceSn)
	}
	return *g, nil
}

// SetPTZConfig stores a head's decoder address (the PTZCmd address of later commands) and
// direction (1 reverses pan and tilt) (4.5.2.17).
func (a *App) SetPTZConfig(ctx context.Context, appID string, ref PTZHeadRef, decoderAddress string, posNeg int) error {
	addr, err := ParseDecoderAddress(decoderAddress)
	if err != nil {
		return err
	}
	if posNeg != 0 && posNeg != 1 {
		return domain.InvalidField("posNegDirectControl", "must be 0 (normal) or 1 (reversed), got %d", posNeg)
	}
	d, h, err := a.ptzHead(ctx, appID, ref)
	if err != nil {
		return err
	}
	return a.store.SetPTZConfig(ctx, d.ID, h.Target, addr, posNeg == 1)
}

// ParseDecoderAddress reads 4.5.2.17's decoderAddress: a decimal or 0x-prefixed hexadecimal
// number 1–4095.
func ParseDecoderAddress(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, domain.MissingField("decoderAddress")
	}
	base, digits := 10, s
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		base, digits = 16, s[2:]
	}
	n, err := strconv.ParseInt(digits, base, 32)
	if err != nil || n < 1 || n > MaxDecoderAddress {
		return 0, domain.InvalidField("decoderAddress", "must be a number 1-%d (decimal or 0x hex), got %q", MaxDecoderAddress, s)
	}
	return int(n), nil
}

// ptzHead resolves a request's head (see resolveChannel) and its PTZ settings.
func (a *App) ptzHead(ctx context.Context, appID string, ref PTZHeadRef) (*domain.Device, domain.PTZHead, error) {
	d, target, err := a.resolveChannel(ctx, appID, ref, "PTZ")
	if err != nil {
		return nil, domain.PTZHead{}, err
	}
	st, err := a.store.PTZSettings(ctx, d.ID, target)
	if err != nil {
		return nil, domain.PTZHead{}, err
	}
	return d, domain.PTZHead{DeviceSn: d.DeviceSn, Target: target, Address: st.Address, Invert: st.Invert}, nil
}

// ptzOnline is ptzHead for a request that must reach the device now.
func (a *App) ptzOnline(ctx context.Context, appID string, ref PTZHeadRef) (*domain.Device, domain.PTZHead, error) {
	d, h, err := a.ptzHead(ctx, appID, ref)
	if err == nil {
		err = online(d)
	}
	return d, h, err
}

func checkRange(field string, v, lo, hi int) error {
	if v < lo || v > hi {
		return domain.InvalidField(field, "must be %d-%d, got %d", lo, hi, v)
	}
	return nil
}
