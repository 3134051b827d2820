package manscdp

import (
	"encoding/xml"
	"time"
)

// Query is a query that carries only the common fields. The named query
// types below share its layout; NewQuery builds one for any CmdType.
type Query struct {
	XMLName  xml.Name `xml:"Query"`
	CmdType  string   `xml:"CmdType"`
	SN       int      `xml:"SN"`
	DeviceID string   `xml:"DeviceID"`
}

// NewQuery returns a query with only CmdType, SN and DeviceID.
func NewQuery(cmdType string, sn int, deviceID string) *Query {
	return &Query{CmdType: cmdType, SN: sn, DeviceID: deviceID}
}

// DeviceInfoQuery asks for device information (2016 A.2.4.4).
type DeviceInfoQuery Query

// NewDeviceInfoQuery returns a DeviceInfo query.
func NewDeviceInfoQuery(sn int, deviceID string) *DeviceInfoQuery {
	return (*DeviceInfoQuery)(NewQuery(CmdDeviceInfo, sn, deviceID))
}

// DeviceStatusQuery asks for device status (2016 A.2.4.3).
type DeviceStatusQuery Query

// NewDeviceStatusQuery returns a DeviceStatus query.
func NewDeviceStatusQuery(sn int, deviceID string) *DeviceStatusQuery {
	return (*DeviceStatusQuery)(NewQuery(CmdDeviceStatus, sn, deviceID))
}

// KeepaliveNotify is the device heartbeat (2016 A.2.5.2). Info lists
// faulty sub-devices, if any.
type KeepaliveNotify struct {
	XMLName  xml.Name       `xml:"Notify"`
	CmdType  string         `xml:"CmdType"`
	SN       int            `xml:"SN"`
	DeviceID string         `xml:"DeviceID"`
	Status   string         `xml:"Status"`
	Info     *KeepaliveInfo `xml:"Info,omitempty"`
}

// KeepaliveInfo lists the IDs of faulty devices.
type KeepaliveInfo struct {
	DeviceIDs []string `xml:"DeviceID"`
}

// NewKeepalive returns a Keepalive notification with Status OK.
func NewKeepalive(sn int, deviceID string) *KeepaliveNotify {
	return &KeepaliveNotify{CmdType: CmdKeepalive, SN: sn, DeviceID: deviceID, Status: ResultOK}
}

// DeviceInfoResponse answers a DeviceInfo query (2016 A.2.6.5).
// MaxCamera and MaxAlarm are 2011 fields that some NVRs still send.
type DeviceInfoResponse struct {
	XMLName      xml.Name `xml:"Response"`
	CmdType      string   `xml:"CmdType"`
	SN           int      `xml:"SN"`
	DeviceID     string   `xml:"DeviceID"`
	DeviceName   string   `xml:"DeviceName,omitempty"`
	Result       string   `xml:"Result"`
	Manufacturer string   `xml:"Manufacturer,omitempty"`
	Model        string   `xml:"Model,omitempty"`
	Firmware     string   `xml:"Firmware,omitempty"`
	Channel      int      `xml:"Channel,omitempty"`
	MaxCamera    int      `xml:"MaxCamera,omitempty"`
	MaxAlarm     int      `xml:"MaxAlarm,omitempty"`
}

// DeviceStatusResponse answers a DeviceStatus query (2016 A.2.6.6).
type DeviceStatusResponse struct {
	XMLName  xml.Name `xml:"Response"`
	CmdType  string   `xml:"CmdType"`
	SN       int      `xml:"SN"`
	DeviceID string   `xml:"DeviceID"`
	Result   string   `xml:"Result"`
	// Online is ONLINE or OFFLINE.
	Online string `xml:"Online"`
	// Status is OK or ERROR; Reason explains an ERROR.
	Status string `xml:"Status"`
	Reason string `xml:"Reason,omitempty"`
	// Encode and Record are ON or OFF.
	Encode      string           `xml:"Encode,omitempty"`
	Record      string           `xml:"Record,omitempty"`
	DeviceTime  string           `xml:"DeviceTime,omitempty"`
	Alarmstatus *AlarmStatusList `xml:"Alarmstatus,omitempty"`
}

// AlarmStatusList is the Alarmstatus element (the standard's spelling).
type AlarmStatusList struct {
	Num   int               `xml:"Num,attr"`
	Items []AlarmStatusItem `xml:"Item"`
}

// AlarmStatusItem is one alarm input; DutyStatus is ONDUTY, OFFDUTY or
// ALARM.
type AlarmStatusItem struct {
	DeviceID   string `xml:"DeviceID"`
	DutyStatus string `xml:"DutyStatus"`
}

// Record search types (RecordInfo Type).
const (
	RecordTypeAll    = "all"
	RecordTypeTime   = "time"
	RecordTypeAlarm  = "alarm"
	RecordTypeManual = "manual"
)

// RecordInfoQuery searches a device's recordings (2016 A.2.4.5). Times use
// the GB format of FormatTime.
type RecordInfoQuery struct {
	XMLName         xml.Name `xml:"Query"`
	CmdType         string   `xml:"CmdType"`
	SN              int      `xml:"SN"`
	DeviceID        string   `xml:"DeviceID"`
	StartTime       string   `xml:"StartTime"`
	EndTime         string   `xml:"EndTime"`
	FilePath        string   `xml:"FilePath,omitempty"`
	Address         string   `xml:"Address,omitempty"`
	Secrecy         int      `xml:"Secrecy"`
	Type            string   `xml:"Type,omitempty"`
	RecorderID      string   `xml:"RecorderID,omitempty"`
	IndistinctQuery int      `xml:"IndistinctQuery,omitempty"`
}

// NewRecordInfoQuery returns a RecordInfo query for every recording type
// between start and end, formatted in loc (nil: time.Local), the device's
// time zone.
func NewRecordInfoQuery(sn int, deviceID string, start, end time.Time, loc *time.Location) *RecordInfoQuery {
	return &RecordInfoQuery{CmdType: CmdRecordInfo, SN: sn, DeviceID: deviceID,
		StartTime: FormatTime(start, loc), EndTime: FormatTime(end, loc), Type: RecordTypeAll}
}

// RecordInfoResponse is one message of the answer to a RecordInfo query
// (2016 A.2.6.7); like Catalog it may be split over several messages.
type RecordInfoResponse struct {
	XMLName    xml.Name   `xml:"Response"`
	CmdType    string     `xml:"CmdType"`
	SN         int        `xml:"SN"`
	DeviceID   string     `xml:"DeviceID"`
	Name       string     `xml:"Name"`
	SumNum     int        `xml:"SumNum"`
	RecordList RecordList `xml:"RecordList"`
}

// RecordList is the item list of a RecordInfo response.
type RecordList struct {
	Num   int          `xml:"Num,attr"`
	Items []RecordItem `xml:"Item"`
}

// RecordItem is one recording. StreamNumber (2022) is 0 for the main
// stream.
type RecordItem struct {
	DeviceID     string `xml:"DeviceID"`
	Name         string `xml:"Name"`
	FilePath     string `xml:"FilePath,omitempty"`
	Address      string `xml:"Address,omitempty"`
	StartTime    string `xml:"StartTime"`
	EndTime      string `xml:"EndTime"`
	Secrecy      int    `xml:"Secrecy"`
	Type         string `xml:"Type,omitempty"`
	RecorderID   string `xml:"RecorderID,omitempty"`
	FileSize     int64  `xml:"FileSize,omitempty"`
	StreamNumber int    `xml:"StreamNumber,omitempty"`
}

// Times parses StartTime and EndTime with ParseTime in loc.
func (r RecordItem) Times(loc *time.Location) (start, end time.Time, err error) {
	if start, err = ParseTime(r.StartTime, loc); err != nil {
		return start, end, err
	}
	end, err = ParseTime(r.EndTime, loc)
	return start, end, err
}
