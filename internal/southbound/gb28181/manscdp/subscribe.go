package manscdp

import "encoding/xml"

// AlarmSubscribe is the body of the platform's alarm SUBSCRIBE (GB/T 28181-2016 A.2.4.11,
// 报警订阅): which alarms the device should notify, by priority and method.
type AlarmSubscribe struct {
	XMLName            xml.Name `xml:"Query"`
	CmdType            string   `xml:"CmdType"`
	SN                 int      `xml:"SN"`
	DeviceID           string   `xml:"DeviceID"`
	StartAlarmPriority int      `xml:"StartAlarmPriority"`
	EndAlarmPriority   int      `xml:"EndAlarmPriority"`
	AlarmMethod        int      `xml:"AlarmMethod"` // 0 all
	StartTime          string   `xml:"StartTime,omitempty"`
	EndTime            string   `xml:"EndTime,omitempty"`
}

// NewAlarmSubscribe subscribes to every alarm: priorities 1 (highest) to 4, all methods.
func NewAlarmSubscribe(sn int, deviceID string) *AlarmSubscribe {
	return &AlarmSubscribe{CmdType: CmdAlarm, SN: sn, DeviceID: deviceID, StartAlarmPriority: 1, EndAlarmPriority: 4}
}
