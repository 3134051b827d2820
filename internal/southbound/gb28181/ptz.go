package gb28181

import (
	"context"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vionet/vionet/internal/domain"
	"github.com/vionet/vionet/internal/southbound/gb28181/manscdp"
)

// PTZ (4.5.2) over GB/T 28181: front-end commands (PTZCmd, Appendix A.3) in DeviceControl
// MESSAGEs, addressed to the head (an IPC's own code or an NVR channel's code) through the
// session of the device that registered. PTZCmd controls are acknowledged by the SIP 200
// only (2016 §9.3.2); HomePosition and PTZPreciseCtrl controls and the queries are answered
// by a Response MESSAGE with the same CmdType and SN, which is what the calls wait for. Each
// exchange is bounded by Config.RequestTimeout.

// ptzState holds the multi-part PresetQuery answers being assembled.
type ptzState struct {
	presets *assemblies[manscdp.PresetItem]
}

func newPTZState() *ptzState {
	return &ptzState{presets: newAssemblies[manscdp.PresetItem]()}
}

// Versions of GB/T 28181 a session may speak.
const version2022 = "2022"

// PTZMove starts a continuous motion at speed level 1–7 (4.5.2.1): pan/tilt speeds level×36,
// zoom speed ⌈level×15/7⌉. With h.Invert the pan and tilt directions are reversed.
func (s *Server) PTZMove(ctx context.Context, h domain.PTZHead, m domain.PTZMotion, level int) error {
	cmd, ok := motionCmd(m, level, h.Invert)
	if !ok {
		return domain.Errorf(domain.CodeInternal, "PTZ motion %d has no GB/T 28181 command", m)
	}
	return s.ptzCmd(ctx, h, cmd)
}

// PTZStop stops every pan, tilt and zoom motion (PTZCmd 0x00), or the iris (0x40).
func (s *Server) PTZStop(ctx context.Context, h domain.PTZHead, iris bool) error {
	if iris {
		return s.ptzCmd(ctx, h, manscdp.StopFI())
	}
	return s.ptzCmd(ctx, h, manscdp.Stop())
}

func motionCmd(m domain.PTZMotion, level int, invert bool) (manscdp.PTZCmd, bool) {
	speed, zoom := manscdp.SpeedFromLevel(level), manscdp.ZoomSpeedFromLevel(level)
	var dir manscdp.Direction
	switch m {
	case domain.PTZUp:
		dir = manscdp.DirUp
	case domain.PTZDown:
		dir = manscdp.DirDown
	case domain.PTZLeft:
		dir = manscdp.DirLeft
	case domain.PTZRight:
		dir = manscdp.DirRight
	case domain.PTZUpLeft:
		dir = manscdp.DirUpLeft
	case domain.PTZUpRight:
		dir = manscdp.DirUpRight
	case domain.PTZDownLeft:
		dir = manscdp.DirDownLeft
	case domain.PTZDownRight:
		dir = manscdp.DirDownRight
	case domain.PTZZoomIn:
		return manscdp.Zoom(true, zoom), true
	case domain.PTZZoomOut:
		return manscdp.Zoom(false, zoom), true
	case domain.PTZIrisOpen:
		return manscdp.Iris(true, speed), true
	case domain.PTZIrisClose:
		return manscdp.Iris(false, speed), true
	default:
		return manscdp.PTZCmd{}, false
	}
	if invert {
		dir = invertDirection(dir)
	}
	return manscdp.Move(dir, speed, speed, 0), true
}

// invertDirection swaps left with right and up with down (a head mounted upside down).
func invertDirection(d manscdp.Direction) manscdp.Direction {
	out := d &^ (manscdp.DirLeft | manscdp.DirRight | manscdp.DirUp | manscdp.DirDown)
	swap := [][2]manscdp.Direction{{manscdp.DirLeft, manscdp.DirRight}, {manscdp.DirRight, manscdp.DirLeft},
		{manscdp.DirUp, manscdp.DirDown}, {manscdp.DirDown, manscdp.DirUp}}
	for _, p := range swap {
		if d&p[0] != 0 {
			out |= p[1]
		}
	}
	return out
}

// PTZMoveTo turns the head to an absolute position (4.5.2.1 command 21) with the 2022
// PTZPreciseCtrl: Pan = horizontal×180/10⁶ degrees in [0, 360), Tilt = vertical×90/10⁶
// degrees. GB/T 28181-2016 has no such control.
func (s *Server) PTZMoveTo(ctx context.Context, h domain.PTZHead, p domain.PTZPosition) error {
	if err := s.need2022(h, "precise PTZ control (PTZPreciseCtrl)"); err != nil {
		return err
	}
	pan, tilt := panDegrees(p.Horizontal), float64(p.Vertical)*90/1e6
	c := manscdp.NewDeviceControl(s.nextSN(), h.Target)
	c.PTZPreciseCtrl = &manscdp.PTZPreciseCtrl{Pan: &pan, Tilt: &tilt}
	return s.ptzControl(ctx, h, c, "PTZPreciseCtrl")
}

// PTZPosition asks the head where it points (2022 PTZPosition query) and converts the
// answer to the northbound scale (the inverse of PTZMoveTo).
func (s *Server) PTZPosition(ctx context.Context, h domain.PTZHead) (domain.PTZPosition, error) {
	if err := s.need2022(h, "PTZ position query"); err != nil {
		return domain.PTZPosition{}, err
	}
	sn := s.nextSN()
	m, err := s.ptzQuery(ctx, h, manscdp.CmdPTZPosition, sn, manscdp.NewPTZPositionQuery(sn, h.Target))
	if err != nil {
		return domain.PTZPosition{}, err
	}
	var r manscdp.PTZPositionResponse
	if err := m.Into(&r); err != nil || r.Pan == nil || r.Tilt == nil {
		return domain.PTZPosition{}, domain.Errorf(domain.CodeValidation, "device %s answered the PTZ position query without Pan and Tilt", h.DeviceSn)
	}
	return domain.PTZPosition{Horizontal: horizontalOf(*r.Pan), Vertical: verticalOf(*r.Tilt)}, nil
}

func panDegrees(horizontal int) float64 {
	pan := float64(horizontal) * 180 / 1e6
	if pan < 0 {
		pan += 360
	}
	return pan
}

func horizontalOf(pan float64) int {
	pan = math.Mod(pan, 360)
	if pan < 0 {
		pan += 360
	}
	if pan > 180 {
		pan -= 360
	}
	return int(math.Round(pan * 1e6 / 180))
}

func verticalOf(tilt float64) int {
	return int(math.Round(max(-1e6, min(1e6, tilt*1e6/90))))
}

// PTZSetPreset stores the current position as preset n (0x81); storing an existing preset
// again moves it to the current position.
func (s *Server) PTZSetPreset(ctx context.Context, h domain.PTZHead, n int) error {
	return s.ptzCmd(ctx, h, manscdp.SetPreset(uint8(n)))
}

// PTZCallPreset moves the head to preset n (0x82).
func (s *Server) PTZCallPreset(ctx context.Context, h domain.PTZHead, n int) error {
	return s.ptzCmd(ctx, h, manscdp.CallPreset(uint8(n)))
}

// PTZDeletePreset deletes preset n (0x83).
func (s *Server) PTZDeletePreset(ctx context.Context, h domain.PTZHead, n int) error {
	return s.ptzCmd(ctx, h, manscdp.DeletePreset(uint8(n)))
}

// PTZPresets lists the head's presets (PresetQuery, possibly in several parts), ascending.
// Parts lost on the way are missing from the list rather than failing it.
func (s *Server) PTZPresets(ctx context.Context, h domain.PTZHead) ([]int, error) {
	sn := s.nextSN()
	k := waiterKey{h.DeviceSn, manscdp.CmdPresetQuery, sn}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
	defer cancel()
	answer, err := s.query(ctx, h.DeviceSn, manscdp.CmdPresetQuery, sn, manscdp.NewPresetQuery(sn, h.Target))
	a, _ := answer.(*assembly[manscdp.PresetItem])
	if errors.Is(err, ErrNoAnswer) {
		a = s.ptz.presets.take(k)
	}
	if a == nil {
		return nil, s.ptzErr(h, "the preset query", err)
	}
	out := make([]int, 0, len(a.items))
	for _, it := range a.items {
		if it.PresetID > 0 && !slices.Contains(out, it.PresetID) {
			out = append(out, it.PresetID)
		}
	}
	slices.Sort(out)
	return out, nil
}

// onPresetPart collects one part of a PresetQuery answer and wakes the query once all
// arrived. Parts nobody waits for any more are dropped after a while.
func (s *Server) onPresetPart(id string, msg *manscdp.Message, now time.Time) {
	var r manscdp.PresetQueryResponse
	if err := msg.Into(&r); err != nil {
		s.log.Warn("preset answer", "deviceSn", id, "err", err)
		return
	}
	s.ptz.presets.stale(now, 2*s.cfg.RequestTimeout)
	if a := s.ptz.presets.add(waiterKey{id, manscdp.CmdPresetQuery, r.SN}, r.SumNum, r.PresetList.Items, presetItemID, now); a != nil {
		s.waiters.deliver(a.key, a)
	}
}

func presetItemID(it manscdp.PresetItem) string { return strconv.Itoa(it.PresetID) }

// take removes and returns the assembly for k, complete or not.
func (c *assemblies[T]) take(k waiterKey) *assembly[T] {
	c.mu.Lock()
	defer c.mu.Unlock()
	a := c.m[k]
	delete(c.m, k)
	return a
}

// PTZProgramCruise writes a cruise route into the head, replacing any route with its
// number: delete the route (0x85 with preset 0), add each point in order (0x84), then set
// the speed (0x86) and the stay time (0x87).
func (s *Server) PTZProgramCruise(ctx context.Context, h domain.PTZHead, r domain.CruiseRoute) error {
	code := uint8(r.Code)
	cmds := []manscdp.PTZCmd{manscdp.CruiseDeletePoint(code, 0)}
	for _, p := range r.Points {
		cmds = append(cmds, manscdp.CruiseAddPoint(code, uint8(p)))
	}
	cmds = append(cmds, manscdp.CruiseSpeed(code, uint16(r.Speed)), manscdp.CruiseStay(code, uint16(r.StayTime)))
	for _, c := range cmds {
		if err := s.ptzCmd(ctx, h, c); err != nil {
			return err
		}
	}
	return nil
}

// PTZDeleteCruise deletes a cruise route from the head (0x85 with preset 0).
func (s *Server) PTZDeleteCruise(ctx context.Context, h domain.PTZHead, code int) error {
	return s.ptzCmd(ctx, h, manscdp.CruiseDeletePoint(uint8(code), 0))
}

// PTZStartCruise starts cruising route code (0x88); PTZStop ends it.
func (s *Server) PTZStartCruise(ctx context.Context, h domain.PTZHead, code int) error {
	return s.ptzCmd(ctx, h, manscdp.CruiseStart(uint8(code)))
}

// PTZSetGuard enables the guard (home) position (HomePosition Enabled 1, ResetTime the
// interval, PresetIndex the preset) or disables it (Enabled 0 with the preset) and waits for
// the device's Response.
func (s *Server) PTZSetGuard(ctx context.Context, h domain.PTZHead, enable bool, g domain.PTZGuard) error {
	c := manscdp.NewDeviceControl(s.nextSN(), h.Target)
	preset := g.Preset
	hp := &manscdp.HomePosition{PresetIndex: &preset}
	if enable {
		interval := g.Interval
		hp.Enabled, hp.ResetTime = 1, &interval
	}
	c.HomePosition = hp
	return s.ptzControl(ctx, h, c, "HomePosition")
}

// PTZGuard asks a 2022 head for its guard position (HomePositionQuery); nil when disabled.
func (s *Server) PTZGuard(ctx context.Context, h domain.PTZHead) (*domain.PTZGuard, error) {
	if err := s.need2022(h, "guard position query (HomePositionQuery)"); err != nil {
		return nil, err
	}
	sn := s.nextSN()
	m, err := s.ptzQuery(ctx, h, manscdp.CmdHomePositionQuery, sn, manscdp.NewHomePositionQuery(sn, h.Target))
	if err != nil {
		return nil, err
	}
	var r manscdp.HomePositionResponse
	if err := m.Into(&r); err != nil {
		return nil, domain.Errorf(domain.CodeValidation, "device %s: unreadable HomePositionQuery answer: %v", h.DeviceSn, err)
	}
	hp := r.HomePosition
	if hp == nil || hp.Enabled != 1 || hp.PresetIndex == nil {
		return nil, nil
	}
	g := &domain.PTZGuard{Preset: *hp.PresetIndex}
	if hp.ResetTime != nil {
		g.Interval = *hp.ResetTime
	}
	return g, nil
}

// ptzCmd sends one PTZCmd to the head, at its decoder address, and waits for the SIP 200.
func (s *Server) ptzCmd(ctx context.Context, h domain.PTZHead, cmd manscdp.PTZCmd) error {
	if h.Address > 0 {
		cmd = cmd.WithAddress(uint16(h.Address))
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
	defer cancel()
	err := s.send(ctx, h.DeviceSn, manscdp.NewPTZControl(s.nextSN(), h.Target, cmd))
	return s.ptzErr(h, "PTZCmd "+cmd.String(), err)
}

// ptzControl sends a DeviceControl that the device answers with a Response (OK or ERROR).
func (s *Server) ptzControl(ctx context.Context, h domain.PTZHead, c *manscdp.DeviceControl, what string) error {
	m, err := s.ptzQuery(ctx, h, manscdp.CmdDeviceControl, c.SN, c)
	if err != nil {
		return err
	}
	var r manscdp.ResultResponse
	if err := m.Into(&r); err != nil || !r.OK() {
		return domain.Errorf(domain.CodeValidation, "device %s refused %s (Result %q)", h.DeviceSn, what, strings.TrimSpace(r.Result))
	}
	return nil
}

// ptzQuery sends body and waits for the Response with the same CmdType and SN, all within
// the request timeout.
func (s *Server) ptzQuery(ctx context.Context, h domain.PTZHead, cmd string, sn int, body any) (*manscdp.Message, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
	defer cancel()
	answer, err := s.query(ctx, h.DeviceSn, cmd, sn, body)
	if err != nil {
		return nil, s.ptzErr(h, cmd, err)
	}
	m, ok := answer.(*manscdp.Message)
	if !ok {
		return nil, s.ptzErr(h, cmd, ErrNoAnswer)
	}
	return m, nil
}

// need2022 refuses a 2022-only exchange for a head whose device registered as 2016 (no
// X-GB-Ver: 3.0), which would ignore it and leave the caller waiting.
func (s *Server) need2022(h domain.PTZHead, what string) error {
	sess, ok := s.sessions.get(h.DeviceSn)
	if !ok || !sess.online {
		return s.ptzErr(h, what, ErrOffline)
	}
	if sess.reg.Version != version2022 {
		return domain.Errorf(domain.CodeValidation, "device %s speaks GB/T 28181-%s, which has no %s", h.DeviceSn, sess.reg.Version, what)
	}
	return nil
}

// ptzErr turns a driver failure into the code a tenant sees: an offline device is 000008, a
// silent one 000009 naming the timeout, a refusal (a SIP error answer) 000008.
func (s *Server) ptzErr(h domain.PTZHead, what string, err error) error {
	var coded *domain.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &coded):
		return err
	case errors.Is(err, ErrOffline):
		return domain.Errorf(domain.CodeValidation, "device %s is offline", h.DeviceSn)
	case errors.Is(err, ErrNoAnswer), errors.Is(err, context.DeadlineExceeded):
		return domain.Errorf(domain.CodeUnavailable, "device %s did not answer %s within %s (--sip-request-timeout)", h.DeviceSn, what, s.cfg.RequestTimeout)
	}
	return domain.Errorf(domain.CodeValidation, "device %s refused %s: %v", h.DeviceSn, what, err)
}
