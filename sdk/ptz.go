package sdk

// Chapter 4.5.2 云台 PTZ (国标设备).

import (
	"context"
	"net/http"
)

// Endpoint paths of chapter 4.5.2.
const (
	PathPTZControl    = "/cmiot/v2/api/device/ptz/control"    // 4.5.2.1 POST
	PathPresetList    = "/cmiot/v2/api/preset/list"           // 4.5.2.2 GET
	PathPreset        = "/cmiot/v2/api/preset"                // 4.5.2.3 POST, 4.5.2.4 PUT, 4.5.2.5 DELETE
	PathPresetJump    = "/cmiot/v2/api/preset/jump"           // 4.5.2.6 POST
	PathCruise        = "/cmiot/v2/api/cruise"                // 4.5.2.7 POST, 4.5.2.8 PUT, 4.5.2.9 DELETE, 4.5.2.11 GET
	PathCruisePlay    = "/cmiot/v2/api/cruise/play"           // 4.5.2.10 POST
	PathCruiseDetail  = "/cmiot/v2/api/cruise/detail"         // 4.5.2.12 GET
	PathPTZCoordinate = "/cmiot/v2/api/device/ptz/coordinate" // 4.5.2.13 GET
	PathPTZGuard      = "/cmiot/v2/api/ptz/guard"             // 4.5.2.14 POST, 4.5.2.15 DELETE, 4.5.2.16 GET
	PathPTZConfig     = "/cmiot/v2/api/device/ptz/config"     // 4.5.2.17 PUT
)

// PTZ control commands (4.5.2.1 command).
const (
	PTZZoomIn     = 1  // 焦距变大
	PTZZoomOut    = 2  // 焦距变小
	PTZIrisOpen   = 5  // 光圈扩大
	PTZIrisClose  = 6  // 光圈缩小
	PTZImageIn    = 7  // 图像放大
	PTZImageOut   = 8  // 图像缩小
	PTZUp         = 11 // 方向向上
	PTZDown       = 12 // 方向向下
	PTZLeft       = 13 // 方向左转
	PTZRight      = 14 // 方向右转
	PTZUpLeft     = 15 // 方向左上
	PTZUpRight    = 16 // 方向右上
	PTZDownLeft   = 17 // 方向左下
	PTZDownRight  = 18 // 方向右下
	PTZMoveTo     = 21 // 转动到指定位置
	PTZActionGo   = 0  // action: 开始
	PTZActionStop = 1  // action: 停止
)

// Cruise actions (4.5.2.10 action).
const (
	CruiseStart = 0 // 开始巡航
	CruiseStop  = 1 // 停止巡航
)

// PTZTarget names a PTZ head: a device, or (GB/T 28181) a channel code in DeviceSn.
// ChannelID is the channel number some protocols need.
type PTZTarget struct {
	DeviceSn  string `json:"deviceSn"`
	ChannelID *int   `json:"channelId,omitempty"`
}

// PTZControlRequest is the request of 4.5.2.1 云台控制.
type PTZControlRequest struct {
	DeviceSn string `json:"deviceSn"`
	// Command is one of the PTZ command constants (PTZUp, PTZZoomIn, PTZMoveTo, ...).
	Command int `json:"command"`
	// Action is PTZActionGo (0) or PTZActionStop (1).
	Action int `json:"action"`
	// Speed is 1–7 (faster upwards); the spec requires it with every action.
	Speed int `json:"speed"`
	// HorizontalPosition and VerticalPosition (-1000000–1000000) are required for PTZMoveTo.
	HorizontalPosition *int `json:"horizontalPosition,omitempty"`
	VerticalPosition   *int `json:"verticalPosition,omitempty"`
	// Zoom is 0–1 (大华公有云 only).
	Zoom      *float64 `json:"zoom,omitempty"`
	ChannelID *int     `json:"channelId,omitempty"`
}

// PTZControl moves the head (4.5.2.1 POST /cmiot/v2/api/device/ptz/control).
func (c *Client) PTZControl(ctx context.Context, req PTZControlRequest) error {
	_, err := c.Do(ctx, http.MethodPost, PathPTZControl, req, nil)
	return err
}

// ListPresets returns the head's preset codes (4.5.2.2 GET /cmiot/v2/api/preset/list).
func (c *Client) ListPresets(ctx context.Context, t PTZTarget) ([]int, error) {
	var out struct {
		PointCodeList []int `json:"pointCodeList"`
	}
	if _, err := c.Do(ctx, http.MethodGet, PathPresetList, t, &out); err != nil {
		return nil, err
	}
	return out.PointCodeList, nil
}

// AddPresetRequest is the request of 4.5.2.3 新增预置点位 (pointCode is a String there).
type AddPresetRequest struct {
	DeviceSn string `json:"deviceSn"`
	// PointCode is the preset number "1"–"255".
	PointCode string `json:"pointCode"`
	ChannelID *int   `json:"channelId,omitempty"`
}

// AddPreset stores the head's current position as a preset (4.5.2.3 POST /cmiot/v2/api/preset).
func (c *Client) AddPreset(ctx context.Context, req AddPresetRequest) error {
	_, err := c.Do(ctx, http.MethodPost, PathPreset, req, nil)
	return err
}

// PresetRequest is the request of 4.5.2.4, 4.5.2.5 and 4.5.2.6.
type PresetRequest struct {
	DeviceSn  string `json:"deviceSn"`
	PointCode int    `json:"pointCode"`
	ChannelID *int   `json:"channelId,omitempty"`
}

// UpdatePreset stores the head's current position in an existing preset (4.5.2.4 PUT
// /cmiot/v2/api/preset).
func (c *Client) UpdatePreset(ctx context.Context, req PresetRequest) error {
	_, err := c.Do(ctx, http.MethodPut, PathPreset, req, nil)
	return err
}

// DeletePreset deletes a preset (4.5.2.5 DELETE /cmiot/v2/api/preset).
func (c *Client) DeletePreset(ctx context.Context, req PresetRequest) error {
	_, err := c.Do(ctx, http.MethodDelete, PathPreset, req, nil)
	return err
}

// JumpToPreset turns the head to a preset (4.5.2.6 POST /cmiot/v2/api/preset/jump).
func (c *Client) JumpToPreset(ctx context.Context, req PresetRequest) error {
	_, err := c.Do(ctx, http.MethodPost, PathPresetJump, req, nil)
	return err
}

// CruiseRequest is the request of 4.5.2.7 新增巡航路线 and 4.5.2.8 修改巡航路线.
type CruiseRequest struct {
	DeviceSn string `json:"deviceSn"`
	// Speed is 1–4095.
	Speed int `json:"speed"`
	// CruiseCode is 1–255.
	CruiseCode int `json:"cruiseCode"`
	// StayTime is the stay at each point in seconds, 1–4095.
	StayTime int `json:"stayTime"`
	// PointCodes are the presets visited in order ("1"–"255").
	PointCodes []string `json:"pointCodes"`
	ChannelID  *int     `json:"channelId,omitempty"`
}

// AddCruise creates a cruise route (4.5.2.7 POST /cmiot/v2/api/cruise).
func (c *Client) AddCruise(ctx context.Context, req CruiseRequest) error {
	_, err := c.Do(ctx, http.MethodPost, PathCruise, req, nil)
	return err
}

// UpdateCruise replaces a cruise route (4.5.2.8 PUT /cmiot/v2/api/cruise).
func (c *Client) UpdateCruise(ctx context.Context, req CruiseRequest) error {
	_, err := c.Do(ctx, http.MethodPut, PathCruise, req, nil)
	return err
}

// DeleteCruiseRequest is the request of 4.5.2.9 删除巡航路线.
type DeleteCruiseRequest struct {
	DeviceSn   string `json:"deviceSn"`
	CruiseCode int    `json:"cruiseCode"`
	ChannelID  *int   `json:"channelId,omitempty"`
}

// DeleteCruise deletes a cruise route (4.5.2.9 DELETE /cmiot/v2/api/cruise).
func (c *Client) DeleteCruise(ctx context.Context, req DeleteCruiseRequest) error {
	_, err := c.Do(ctx, http.MethodDelete, PathCruise, req, nil)
	return err
}

// CruiseSchedule is one weekly window of 4.5.2.10's schedule.
type CruiseSchedule struct {
	// WeekDay is 1–7 (vionet: 1 Monday … 7 Sunday).
	WeekDay int `json:"weekDay"`
	// StartTime and EndTime are seconds of the day, 0–86400 (vionet: the server's local time).
	StartTime int64 `json:"startTime"`
	EndTime   int64 `json:"endTime"`
}

// CruisePlayRequest is the request of 4.5.2.10 执行、结束路线.
type CruisePlayRequest struct {
	DeviceSn string `json:"deviceSn"`
	// Action is CruiseStart (0) or CruiseStop (1).
	Action     int  `json:"action"`
	CruiseCode int  `json:"cruiseCode"`
	ChannelID  *int `json:"channelId,omitempty"`
	// Schedule, when set with CruiseStart, makes the route cruise in these weekly windows
	// instead of now.
	Schedule []CruiseSchedule `json:"schedule,omitempty"`
}

// PlayCruise starts or stops a cruise, or schedules it (4.5.2.10 POST /cmiot/v2/api/cruise/play).
func (c *Client) PlayCruise(ctx context.Context, req CruisePlayRequest) error {
	_, err := c.Do(ctx, http.MethodPost, PathCruisePlay, req, nil)
	return err
}

// ListCruises returns the head's cruise route codes (4.5.2.11 GET /cmiot/v2/api/cruise).
func (c *Client) ListCruises(ctx context.Context, t PTZTarget) ([]int, error) {
	var out []int
	if _, err := c.Do(ctx, http.MethodGet, PathCruise, t, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// CruiseDetailRequest is the request of 4.5.2.12 查询巡航路线详情. CruiseCode is a vionet
// extension that selects one route.
type CruiseDetailRequest struct {
	DeviceSn   string `json:"deviceSn"`
	ChannelID  *int   `json:"channelId,omitempty"`
	CruiseCode *int   `json:"cruiseCode,omitempty"`
}

// CruiseDetail is one route of 4.5.2.12's answer.
type CruiseDetail struct {
	Speed      int      `json:"speed"`
	CruiseCode int      `json:"cruiseCode"`
	StayTime   int      `json:"stayTime"`
	PointCodes []string `json:"pointCodes"`
	// Schedule is the route's 4.5.2.10 schedule (vionet extension).
	Schedule []CruiseSchedule `json:"schedule,omitempty"`
}

// CruiseDetails returns the head's cruise routes with their points (4.5.2.12 GET
// /cmiot/v2/api/cruise/detail; 未上线 in the spec, vionet answers a list).
func (c *Client) CruiseDetails(ctx context.Context, req CruiseDetailRequest) ([]CruiseDetail, error) {
	var out []CruiseDetail
	if _, err := c.Do(ctx, http.MethodGet, PathCruiseDetail, req, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// PTZPosition is the answer of 4.5.2.13 获取云台当前位置.
type PTZPosition struct {
	HorizontalPosition int      `json:"horizontalPosition"`
	VerticalPosition   int      `json:"verticalPosition"`
	Zoom               *float64 `json:"zoom,omitempty"`
}

// GetPTZPosition returns where the head points (4.5.2.13 GET /cmiot/v2/api/device/ptz/coordinate).
func (c *Client) GetPTZPosition(ctx context.Context, t PTZTarget) (*PTZPosition, error) {
	var out PTZPosition
	if _, err := c.Do(ctx, http.MethodGet, PathPTZCoordinate, t, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// PTZGuardRequest is the request of 4.5.2.14 设置云台看守位.
type PTZGuardRequest struct {
	DeviceSn  string `json:"deviceSn"`
	ChannelID *int   `json:"channelId,omitempty"`
	PointCode int    `json:"pointCode"`
	// Interval is the idle time before returning to the preset, 30–3600 s.
	Interval int `json:"interval"`
}

// SetPTZGuard sets the head's guard (home) position (4.5.2.14 POST /cmiot/v2/api/ptz/guard).
func (c *Client) SetPTZGuard(ctx context.Context, req PTZGuardRequest) error {
	_, err := c.Do(ctx, http.MethodPost, PathPTZGuard, req, nil)
	return err
}

// DeletePTZGuardRequest is the request of 4.5.2.15 删除云台看守位.
type DeletePTZGuardRequest struct {
	DeviceSn  string `json:"deviceSn"`
	ChannelID *int   `json:"channelId,omitempty"`
	PointCode int    `json:"pointCode"`
}

// DeletePTZGuard disables the head's guard position (4.5.2.15 DELETE /cmiot/v2/api/ptz/guard).
func (c *Client) DeletePTZGuard(ctx context.Context, req DeletePTZGuardRequest) error {
	_, err := c.Do(ctx, http.MethodDelete, PathPTZGuard, req, nil)
	return err
}

// PTZGuard is the answer of 4.5.2.16 查询云台看守位.
type PTZGuard struct {
	PointCode int `json:"pointCode"`
	Interval  int `json:"interval"`
}

// GetPTZGuard returns the head's guard position (4.5.2.16 GET /cmiot/v2/api/ptz/guard).
func (c *Client) GetPTZGuard(ctx context.Context, t PTZTarget) (*PTZGuard, error) {
	var out PTZGuard
	if _, err := c.Do(ctx, http.MethodGet, PathPTZGuard, t, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// PTZConfigRequest is the request of 4.5.2.17 设置设备云台参数.
type PTZConfigRequest struct {
	// DeviceSn is the channel code for a GB/T 28181 NVR channel.
	DeviceSn  string `json:"deviceSn"`
	ChannelID *int   `json:"channelId,omitempty"`
	// DecoderAddress is the PTZ decoder address (vionet: 1–4095, decimal or 0x hex).
	DecoderAddress string `json:"decoderAddress"`
	// PosNegDirectControl is 0 normal, 1 reversed.
	PosNegDirectControl int `json:"posNegDirectControl"`
}

// SetPTZConfig sets the head's PTZ parameters (4.5.2.17 PUT /cmiot/v2/api/device/ptz/config).
func (c *Client) SetPTZConfig(ctx context.Context, req PTZConfigRequest) error {
	_, err := c.Do(ctx, http.MethodPut, PathPTZConfig, req, nil)
	return err
}
