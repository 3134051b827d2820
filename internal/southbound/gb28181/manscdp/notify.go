package manscdp

import "encoding/xml"

// Alarm methods (AlarmMethod, 2016 A.2.5.3).
const (
	AlarmMethodPhone  = "1" // telephone alarm
	AlarmMethodDevice = "2" // device alarm
	AlarmMethodSMS    = "3" // SMS alarm
	AlarmMethodGPS    = "4" // GPS alarm
	AlarmMethodVideo  = "5" // video alarm
	AlarmMethodFault  = "6" // device fault alarm
	AlarmMethodOther  = "7" // other
)

// AlarmNotify is an alarm notification (2016 A.2.5.3). AlarmPriority is
// 1 (highest) to 4; AlarmTime uses the GB time format.
type AlarmNotify struct {
	XMLName          xml.Name   `xml:"Notify"`
	CmdType          string     `xml:"CmdType"`
	SN               int        `xml:"SN"`
	DeviceID         string     `xml:"DeviceID"`
	AlarmPriority    string     `xml:"AlarmPriority"`
	AlarmMethod      string     `xml:"AlarmMethod"`
	AlarmTime        string     `xml:"AlarmTime"`
	AlarmDescription string     `xml:"AlarmDescription,omitempty"`
	Longitude        *float64   `xml:"Longitude,omitempty"`
	Latitude         *float64   `xml:"Latitude,omitempty"`
	Info             *AlarmInfo `xml:"Info,omitempty"`
}

// AlarmInfo refines the alarm: AlarmType depends on AlarmMethod (e.g. for
// video alarms 1 manual, 2 motion, ...; for device alarms 1 video lost,
// ...), and EventType qualifies intrusion-style video alarms.
type AlarmInfo struct {
	AlarmType      int             `xml:"AlarmType,omitempty"`
	AlarmTypeParam *AlarmTypeParam `xml:"AlarmTypeParam,omitempty"`
}

// AlarmTypeParam carries the alarm's event type.
type AlarmTypeParam struct {
	EventType int `xml:"EventType,omitempty"`
}

// NotifyTypeEndOfFile is MediaStatus NotifyType 121: playback or download
// reached the end of the file.
const NotifyTypeEndOfFile = "121"

// MediaStatusNotify reports a media session event (2016 A.2.5.4).
type MediaStatusNotify struct {
	XMLName    xml.Name `xml:"Notify"`
	CmdType    string   `xml:"CmdType"`
	SN         int      `xml:"SN"`
	DeviceID   string   `xml:"DeviceID"`
	NotifyType string   `xml:"NotifyType"`
}

// NewMediaStatusEndOfFile returns the MediaStatus notification a device
// sends when playback or download of a recording reaches its end.
func NewMediaStatusEndOfFile(sn int, deviceID string) *MediaStatusNotify {
	return &MediaStatusNotify{CmdType: CmdMediaStatus, SN: sn, DeviceID: deviceID, NotifyType: NotifyTypeEndOfFile}
}

// MobilePositionNotify reports a mobile device's position (2016
// A.2.5.6): WGS-84 coordinates, Speed in km/h, Direction in degrees
// clockwise from north, Altitude in metres.
type MobilePositionNotify struct {
	XMLName   xml.Name `xml:"Notify"`
	CmdType   string   `xml:"CmdType"`
	SN        int      `xml:"SN"`
	DeviceID  string   `xml:"DeviceID"`
	Time      string   `xml:"Time"`
	Longitude float64  `xml:"Longitude"`
	Latitude  float64  `xml:"Latitude"`
	Speed     *float64 `xml:"Speed,omitempty"`
	Direction *float64 `xml:"Direction,omitempty"`
	Altitude  *float64 `xml:"Altitude,omitempty"`
}
