package northbound

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/vionet/vionet/internal/app"
	"github.com/vionet/vionet/internal/domain"
)

// 4.5.2 云台 PTZ (国标设备).
func (s *Server) ptzRoutes(m map[string]handlerFunc) {
	m["POST /cmiot/v2/api/device/ptz/control"] = s.ptzControl
	m["GET /cmiot/v2/api/preset/list"] = s.presetList
	m["POST /cmiot/v2/api/preset"] = s.presetOp(app.PresetSet)
	m["PUT /cmiot/v2/api/preset"] = s.presetOp(app.PresetSet)
	m["DELETE /cmiot/v2/api/preset"] = s.presetOp(app.PresetDelete)
	m["POST /cmiot/v2/api/preset/jump"] = s.presetOp(app.PresetCall)
	m["POST /cmiot/v2/api/cruise"] = s.cruiseSave(true)
	m["PUT /cmiot/v2/api/cruise"] = s.cruiseSave(false)
	m["DELETE /cmiot/v2/api/cruise"] = s.cruiseDelete
	m["POST /cmiot/v2/api/cruise/play"] = s.cruisePlay
	m["GET /cmiot/v2/api/cruise"] = s.cruiseList
	m["GET /cmiot/v2/api/cruise/detail"] = s.cruiseDetail
	m["GET /cmiot/v2/api/device/ptz/coordinate"] = s.ptzCoordinate
	m["POST /cmiot/v2/api/ptz/guard"] = s.guardSet
	m["DELETE /cmiot/v2/api/ptz/guard"] = s.guardDelete
	m["GET /cmiot/v2/api/ptz/guard"] = s.guardGet
	m["PUT /cmiot/v2/api/device/ptz/config"] = s.ptzConfig
}

// headRef reads the deviceSn and channelId every 4.5.2 request carries.
func headRef(d *Decoder) app.PTZHeadRef { return cameraRef(d) }

// 4.5.2.1
func (s *Server) ptzControl(ctx context.Context, c *Call) (any, error) {
	d := c.Params.Decode()
	in := app.PTZControlInput{
		PTZHeadRef: headRef(d),
		Command:    d.Int("command", Required),
		Action:     d.Int("action", Required),
		Speed:      d.OptInt("speed"),
		Horizontal: d.OptInt("horizontalPosition"),
		Vertical:   d.OptInt("verticalPosition"),
	}
	// zoom (0~1) is 大华公有云 only: checked, not used for GB/T 28181 heads.
	if z, ok := optFloat(d, "zoom"); ok && (z < 0 || z > 1) {
		d.fail("zoom", "must be 0-1, got %g", z)
	}
	if err := d.Err(); err != nil {
		return nil, err
	}
	return nil, s.app.PTZControl(ctx, c.Tenant.AppID, in)
}

type presetListResponse struct {
	PointCodeList []int `json:"pointCodeList"`
}

// 4.5.2.2
func (s *Server) presetList(ctx context.Context, c *Call) (any, error) {
	d := c.Params.Decode()
	ref := headRef(d)
	if err := d.Err(); err != nil {
		return nil, err
	}
	list, err := s.app.Presets(ctx, c.Tenant.AppID, ref)
	if err != nil {
		return nil, err
	}
	return presetListResponse{PointCodeList: list}, nil
}

// 4.5.2.3 add, 4.5.2.4 update, 4.5.2.5 delete, 4.5.2.6 jump.
func (s *Server) presetOp(op app.PresetOp) handlerFunc {
	return func(ctx context.Context, c *Call) (any, error) {
		d := c.Params.Decode()
		ref := headRef(d)
		n := d.Int("pointCode", Required)
		if err := d.Err(); err != nil {
			return nil, err
		}
		return nil, s.app.Preset(ctx, c.Tenant.AppID, ref, op, n)
	}
}

// 4.5.2.7 add, 4.5.2.8 update.
func (s *Server) cruiseSave(add bool) handlerFunc {
	return func(ctx context.Context, c *Call) (any, error) {
		d := c.Params.Decode()
		in := app.CruiseInput{
			PTZHeadRef: headRef(d),
			Code:       d.Int("cruiseCode", Required),
			Speed:      d.Int("speed", Required),
			StayTime:   d.Int("stayTime", Required),
			Points:     intList(d, "pointCodes", Required),
		}
		if err := d.Err(); err != nil {
			return nil, err
		}
		if add {
			return nil, s.app.AddCruise(ctx, c.Tenant.AppID, in)
		}
		return nil, s.app.UpdateCruise(ctx, c.Tenant.AppID, in)
	}
}

// 4.5.2.9
func (s *Server) cruiseDelete(ctx context.Context, c *Call) (any, error) {
	d := c.Params.Decode()
	ref := headRef(d)
	code := d.Int("cruiseCode", Required)
	if err := d.Err(); err != nil {
		return nil, err
	}
	return nil, s.app.DeleteCruise(ctx, c.Tenant.AppID, ref, code)
}

// 4.5.2.10
func (s *Server) cruisePlay(ctx context.Context, c *Call) (any, error) {
	d := c.Params.Decode()
	in := app.CruisePlayInput{
		PTZHeadRef: headRef(d),
		Action:     d.Int("action", Required),
		Code:       d.Int("cruiseCode", Required),
	}
	for _, p := range d.Objects("schedule", Optional) {
		w := p.Decode()
		in.Schedule = append(in.Schedule, domain.CruiseWindow{
			WeekDay: w.Int("weekDay", Required), Start: w.Int("startTime", Required), End: w.Int("endTime", Required),
		})
		if err := w.Err(); err != nil && d.err == nil {
			d.err = err
		}
	}
	if err := d.Err(); err != nil {
		return nil, err
	}
	return nil, s.app.PlayCruise(ctx, c.Tenant.AppID, in)
}

// 4.5.2.11: data is the bare list of route numbers.
func (s *Server) cruiseList(ctx context.Context, c *Call) (any, error) {
	d := c.Params.Decode()
	ref := headRef(d)
	if err := d.Err(); err != nil {
		return nil, err
	}
	return s.app.Cruises(ctx, c.Tenant.AppID, ref)
}

type scheduleView struct {
	WeekDay   int `json:"weekDay"`
	StartTime int `json:"startTime"`
	EndTime   int `json:"endTime"`
}

type cruiseView struct {
	Speed      int            `json:"speed"`
	CruiseCode int            `json:"cruiseCode"`
	StayTime   int            `json:"stayTime"`
	PointCodes []string       `json:"pointCodes"`
	Schedule   []scheduleView `json:"schedule,omitempty"` // extension: 4.5.2.10's schedule
}

// 4.5.2.12 (未上线 in the spec): every route of the head, or the one cruiseCode names, as a
// list of 4.5.2.12's objects.
func (s *Server) cruiseDetail(ctx context.Context, c *Call) (any, error) {
	d := c.Params.Decode()
	ref := headRef(d)
	code := d.OptInt("cruiseCode")
	if err := d.Err(); err != nil {
		return nil, err
	}
	routes, err := s.app.CruiseDetails(ctx, c.Tenant.AppID, ref, code)
	if err != nil {
		return nil, err
	}
	out := make([]cruiseView, 0, len(routes))
	for _, r := range routes {
		v := cruiseView{Speed: r.Speed, CruiseCode: r.Code, StayTime: r.StayTime, PointCodes: make([]string, len(r.Points))}
		for i, p := range r.Points {
			v.PointCodes[i] = strconv.Itoa(p)
		}
		for _, w := range r.Schedule {
			v.Schedule = append(v.Schedule, scheduleView{WeekDay: w.WeekDay, StartTime: w.Start, EndTime: w.End})
		}
		out = append(out, v)
	}
	return out, nil
}

type coordinateResponse struct {
	HorizontalPosition int `json:"horizontalPosition"`
	VerticalPosition   int `json:"verticalPosition"`
}

// 4.5.2.13
func (s *Server) ptzCoordinate(ctx context.Context, c *Call) (any, error) {
	d := c.Params.Decode()
	ref := headRef(d)
	if err := d.Err(); err != nil {
		return nil, err
	}
	p, err := s.app.PTZPosition(ctx, c.Tenant.AppID, ref)
	if err != nil {
		return nil, err
	}
	return coordinateResponse{HorizontalPosition: p.Horizontal, VerticalPosition: p.Vertical}, nil
}

// 4.5.2.14
func (s *Server) guardSet(ctx context.Context, c *Call) (any, error) {
	d := c.Params.Decode()
	ref := headRef(d)
	g := domain.PTZGuard{Preset: d.Int("pointCode", Required), Interval: d.Int("interval", Required)}
	if err := d.Err(); err != nil {
		return nil, err
	}
	return nil, s.app.SetGuard(ctx, c.Tenant.AppID, ref, g)
}

// 4.5.2.15
func (s *Server) guardDelete(ctx context.Context, c *Call) (any, error) {
	d := c.Params.Decode()
	ref := headRef(d)
	n := d.Int("pointCode", Required)
	if err := d.Err(); err != nil {
		return nil, err
	}
	return nil, s.app.DeleteGuard(ctx, c.Tenant.AppID, ref, n)
}

type guardResponse struct {
	PointCode int `json:"pointCode"`
	Interval  int `json:"interval"`
}

// 4.5.2.16
func (s *Server) guardGet(ctx context.Context, c *Call) (any, error) {
	d := c.Params.Decode()
	ref := headRef(d)
	if err := d.Err(); err != nil {
		return nil, err
	}
	g, err := s.app.Guard(ctx, c.Tenant.AppID, ref)
	if err != nil {
		return nil, err
	}
	return guardResponse{PointCode: g.Preset, Interval: g.Interval}, nil
}

// 4.5.2.17
func (s *Server) ptzConfig(ctx context.Context, c *Call) (any, error) {
	d := c.Params.Decode()
	ref := headRef(d)
	addr := d.String("decoderAddress", Required)
	posNeg := d.Int("posNegDirectControl", Required)
	if err := d.Err(); err != nil {
		return nil, err
	}
	return nil, s.app.SetPTZConfig(ctx, c.Tenant.AppID, ref, addr, posNeg)
}

// intList reads a list of integers whose elements may be numbers or strings holding numbers
// (4.5.2.7's pointCodes is String[] while preset codes are int elsewhere).
func intList(d *Decoder, name string, required bool) []int {
	v := d.raw(name, required)
	if v == nil {
		return nil
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(v, &raw); err != nil {
		d.fail(name, "must be a list")
		return nil
	}
	out := make([]int, 0, len(raw))
	for i, el := range raw {
		s := string(bytes.TrimSpace(el))
		if strings.HasPrefix(s, `"`) {
			if err := json.Unmarshal(el, &s); err != nil {
				d.fail(fmt.Sprintf("%s[%d]", name, i), "invalid string")
				return nil
			}
			s = strings.TrimSpace(s)
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			d.fail(fmt.Sprintf("%s[%d]", name, i), "must be an integer, got %s", truncate(string(el), 32))
			return nil
		}
		out = append(out, n)
	}
	if required && len(out) == 0 {
		d.fail(name, "must not be empty")
	}
	return out
}

// optFloat reads an optional number given as a JSON number or a string.
func optFloat(d *Decoder, name string) (float64, bool) {
	v := d.raw(name, false)
	if v == nil {
		return 0, false
	}
	s := string(v)
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(v, &s); err != nil {
			d.fail(name, "invalid string")
			return 0, false
		}
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		d.fail(name, "must be a number, got %s", truncate(string(v), 32))
		return 0, false
	}
	return f, true
}
