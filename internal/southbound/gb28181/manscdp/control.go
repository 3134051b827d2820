package manscdp

import (
	"encoding/xml"
	"errors"
	"strings"
)

// DeviceControl command values.
const (
	TeleBootBoot           = "Boot"       // TeleBoot
	RecordCmdRecord        = "Record"     // RecordCmd
	RecordCmdStop          = "StopRecord" // RecordCmd
	GuardCmdSet            = "SetGuard"   // GuardCmd
	GuardCmdReset          = "ResetGuard" // GuardCmd
	AlarmCmdReset          = "ResetAlarm" // AlarmCmd
	IFrameCmdSend          = "Send"       // IFameCmd / IFrameCmd
	DefaultControlPriority = 5            // Info/ControlPriority sent with PTZCmd (WVP's value)
)

// DeviceControl is a Control DeviceControl message (2016 A.2.3.1). A
// message normally carries one command; only the fields that are set are
// marshalled.
type DeviceControl struct {
	XMLName  xml.Name `xml:"Control"`
	CmdType  string   `xml:"CmdType"`
	SN       int      `xml:"SN"`
	DeviceID string   `xml:"DeviceID"`
	// PTZCmd is the 16-hex-digit front-end command; see PTZCmd and
	// DeviceControl.PTZ.
	PTZCmd string `xml:"PTZCmd,omitempty"`
	// PTZCmdParams names the preset or cruise track a PTZCmd creates (2022).
	PTZCmdParams *PTZCmdParams `xml:"PTZCmdParams,omitempty"`
	TeleBoot     string        `xml:"TeleBoot,omitempty"`
	RecordCmd    string        `xml:"RecordCmd,omitempty"`
	// StreamNumber selects the stream RecordCmd applies to (2022).
	StreamNumber *int   `xml:"StreamNumber,omitempty"`
	GuardCmd     string `xml:"GuardCmd,omitempty"`
	AlarmCmd     string `xml:"AlarmCmd,omitempty"`
	// IFameCmd is the 2016 spelling (sic) of the key-frame request;
	// IFrameCmd is the 2022 one. Send one, or both for unknown devices.
	IFameCmd       string          `xml:"IFameCmd,omitempty"`
	IFrameCmd      string          `xml:"IFrameCmd,omitempty"`
	DragZoomIn     *DragZoom       `xml:"DragZoomIn,omitempty"`
	DragZoomOut    *DragZoom       `xml:"DragZoomOut,omitempty"`
	HomePosition   *HomePosition   `xml:"HomePosition,omitempty"`
	PTZPreciseCtrl *PTZPreciseCtrl `xml:"PTZPreciseCtrl,omitempty"`
	Info           *ControlInfo    `xml:"Info,omitempty"`
}

// NewDeviceControl returns a DeviceControl message with no command set.
func NewDeviceControl(sn int, deviceID string) *DeviceControl {
	return &DeviceControl{CmdType: CmdDeviceControl, SN: sn, DeviceID: deviceID}
}

// NewPTZControl returns a DeviceControl carrying cmd, with
// Info/ControlPriority 5 as WVP sends it.
func NewPTZControl(sn int, deviceID string, cmd PTZCmd) *DeviceControl {
	c := NewDeviceControl(sn, deviceID)
	c.PTZCmd = cmd.String()
	c.Info = &ControlInfo{ControlPriority: DefaultControlPriority}
	return c
}

// ErrNoPTZCmd is returned by DeviceControl.PTZ when PTZCmd is empty.
var ErrNoPTZCmd = errors.New("manscdp: no PTZCmd")

// PTZ parses the PTZCmd field.
func (c *DeviceControl) PTZ() (PTZCmd, error) {
	if strings.TrimSpace(c.PTZCmd) == "" {
		return PTZCmd{}, ErrNoPTZCmd
	}
	return ParsePTZCmd(c.PTZCmd)
}

// DragZoom is the rectangle of a DragZoomIn/DragZoomOut command (2016
// A.2.3.1.8/9): the picture size, the rectangle's centre and its size, in
// pixels.
type DragZoom struct {
	Length    int `xml:"Length"`
	Width     int `xml:"Width"`
	MidPointX int `xml:"MidPointX"`
	MidPointY int `xml:"MidPointY"`
	LengthX   int `xml:"LengthX"`
	LengthY   int `xml:"LengthY"`
}

// PTZPreciseCtrl moves the head to an absolute position (2022
// A.2.3.1.11): Pan and Tilt in degrees, Zoom as the zoom ratio.
type PTZPreciseCtrl struct {
	Pan  *float64 `xml:"Pan,omitempty"`
	Tilt *float64 `xml:"Tilt,omitempty"`
	Zoom *float64 `xml:"Zoom,omitempty"`
}

// PTZCmdParams carries the names that go with a PTZCmd (2022).
type PTZCmdParams struct {
	PresetName      string `xml:"PresetName,omitempty"`
	CruiseTrackName string `xml:"CruiseTrackName,omitempty"`
}

// ControlInfo is the Info block of DeviceControl: ControlPriority for
// PTZCmd, AlarmMethod and AlarmType for AlarmCmd.
type ControlInfo struct {
	ControlPriority int    `xml:"ControlPriority,omitempty"`
	AlarmMethod     string `xml:"AlarmMethod,omitempty"`
	AlarmType       string `xml:"AlarmType,omitempty"`
}

// DeviceConfig is a Control DeviceConfig message (2016 A.2.3.2); only
// BasicParam is modelled.
type DeviceConfig struct {
	XMLName    xml.Name    `xml:"Control"`
	CmdType    string      `xml:"CmdType"`
	SN         int         `xml:"SN"`
	DeviceID   string      `xml:"DeviceID"`
	BasicParam *BasicParam `xml:"BasicParam,omitempty"`
}

// NewDeviceConfig returns a DeviceConfig message setting p.
func NewDeviceConfig(sn int, deviceID string, p BasicParam) *DeviceConfig {
	return &DeviceConfig{CmdType: CmdDeviceConfig, SN: sn, DeviceID: deviceID, BasicParam: &p}
}

// BasicParam is the basic configuration: name, registration expiry and
// heartbeat interval in seconds, heartbeat timeout count, and position
// capability/coordinates.
type BasicParam struct {
	Name               string   `xml:"Name,omitempty"`
	Expiration         *int     `xml:"Expiration,omitempty"`
	HeartBeatInterval  *int     `xml:"HeartBeatInterval,omitempty"`
	HeartBeatCount     *int     `xml:"HeartBeatCount,omitempty"`
	PositionCapability *int     `xml:"PositionCapability,omitempty"`
	Longitude          *float64 `xml:"Longitude,omitempty"`
	Latitude           *float64 `xml:"Latitude,omitempty"`
}

// ResultResponse is a response that carries only Result (OK or ERROR):
// DeviceControl (2016 A.2.6.2), Alarm (A.2.6.3) and DeviceConfig
// (A.2.6.8).
type ResultResponse struct {
	XMLName  xml.Name `xml:"Response"`
	CmdType  string   `xml:"CmdType"`
	SN       int      `xml:"SN"`
	DeviceID string   `xml:"DeviceID"`
	Result   string   `xml:"Result"`
}

// OK reports whether Result is OK (any case).
func (r *ResultResponse) OK() bool { return strings.EqualFold(strings.TrimSpace(r.Result), ResultOK) }

func newResult(cmdType string, sn int, deviceID string, ok bool) *ResultResponse {
	res := ResultError
	if ok {
		res = ResultOK
	}
	return &ResultResponse{CmdType: cmdType, SN: sn, DeviceID: deviceID, Result: res}
}

// NewDeviceControlResponse answers a DeviceControl with OK or ERROR.
func NewDeviceControlResponse(sn int, deviceID string, ok bool) *ResultResponse {
	return newResult(CmdDeviceControl, sn, deviceID, ok)
}

// NewDeviceConfigResponse answers a DeviceConfig with OK or ERROR.
func NewDeviceConfigResponse(sn int, deviceID string, ok bool) *ResultResponse {
	return newResult(CmdDeviceConfig, sn, deviceID, ok)
}

// NewAlarmResponse acknowledges an Alarm notification (Result OK) with
// the notification's SN and DeviceID.
func NewAlarmResponse(sn int, deviceID string) *ResultResponse {
	return newResult(CmdAlarm, sn, deviceID, true)
}
