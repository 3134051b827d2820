package domain

import "time"

// Registration is where and how a device is reachable, as its southbound protocol learnt it
// (for GB/T 28181: the source of its REGISTER).
type Registration struct {
	DeviceSn  string
	IP        string
	Port      int
	Transport string // "UDP" or "TCP"
	Expires   time.Time
	Version   string // "2016" or "2022"
	Charset   string // the charset the device writes (MANSCDP)
}

// CatalogChannel is one video channel a device reports (GB/T 28181 Catalog item).
type CatalogChannel struct {
	ChannelSn    string
	Name         string
	Online       bool
	Manufacturer string
	Model        string
}

// DeviceInfo is what a device tells about itself.
type DeviceInfo struct {
	Manufacturer string
	Model        string
	Firmware     string
	Channels     int
}

// Alarm is a device alarm, already mapped to the 5.2 alarm list.
type Alarm struct {
	DeviceSn    string
	ChannelSn   string // the alarming channel when it is not the device itself
	AlarmType   int    // 5.2 id
	Time        time.Time
	Description string
	Priority    int
	Action      string // start, stop, pluse (sic, 5.4.3)
	AlarmID     string
}

// AlarmMsg is the 5.4.3 body of msgType 1.
type AlarmMsg struct {
	AlarmType       string `json:"alarmType"`
	DetectTime      string `json:"detectTime"`
	DeviceSn        string `json:"deviceSn"`
	ChannelID       *int   `json:"channelId,omitempty"`
	ChannelSn       string `json:"channelSn,omitempty"`
	AlarmMsgContent string `json:"alarmMsgContent,omitempty"`
	PicID           string `json:"picId,omitempty"`
	AlarmAction     string `json:"alarmAction,omitempty"`
	AlarmID         string `json:"alarmId,omitempty"`
	PicURL          string `json:"picUrl,omitempty"`
}

// RecordQuery asks a device for its own recordings.
type RecordQuery struct {
	Target    string // channel code, or empty for the device itself
	Start     time.Time
	End       time.Time
	AlarmOnly bool
}

// DeviceRecord is one recording kept on a device (GB/T 28181 RecordInfo item).
type DeviceRecord struct {
	ChannelSn string
	Start     time.Time
	End       time.Time
	Alarm     bool
	Name      string
	FilePath  string
	Size      int64
}
