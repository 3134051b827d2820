package domain

import (
	"strconv"
	"time"
)

// MsgType is a push/subscription message type, numbered as in 4.7.1.1 (see
// docs/spec-decisions.md for why 4.7.1.2's conflicting numbers are not used).
type MsgType int

// Message types of 4.7.1.1.
const (
	MsgAlarm           MsgType = 1
	MsgOnline          MsgType = 2
	MsgBind            MsgType = 3
	Msg1400Picture     MsgType = 4
	MsgAI              MsgType = 5
	MsgThaw            MsgType = 6
	MsgSubDomain       MsgType = 7
	MsgChannelChange   MsgType = 8
	MsgStatusCheck     MsgType = 9
	MsgAccessInfo      MsgType = 11
	MsgShareTask       MsgType = 12
	MsgVideoDiagnosis  MsgType = 13
	MsgRecordIntegrity MsgType = 14
)

// Valid reports whether t is one of 4.7.1.1's types (10 is skipped there).
func (t MsgType) Valid() bool {
	return (t >= 1 && t <= 9) || (t >= 11 && t <= 14)
}

// Event is something a tenant may have subscribed to. The store fans it out, in the same
// transaction as the change that caused it, to one outbox row per subscription.
type Event struct {
	AppID   string
	MsgType MsgType
	Data    any // one element of the push body's data array (5.4.x)
}

// Bind types of 5.4.2.
const (
	Unbound = 0
	Bound   = 1
)

// BindMsg is the 5.4.2 body of msgType 3.
type BindMsg struct {
	BindType   int    `json:"bindType"`
	DetectTime string `json:"detectTime"`
	DeviceSn   string `json:"deviceSn"`
	Mac        string `json:"mac,omitempty"`
}

// OnlineMsg is the 5.4.1 body of msgType 2.
type OnlineMsg struct {
	OnlineType int    `json:"onlineType"`
	DetectTime string `json:"detectTime"`
	DeviceSn   string `json:"deviceSn"`
	ChannelID  *int   `json:"channelId,omitempty"`
	ChannelSn  string `json:"channelSn,omitempty"`
}

// Millis formats t as the spec's 13-digit millisecond timestamp string.
func Millis(t time.Time) string {
	return strconv.FormatInt(t.UnixMilli(), 10)
}

// ChannelChangeMsg is the body of msgType 8 (设备通道变更消息), which the spec lists but never
// defines; see docs/spec-decisions.md.
type ChannelChangeMsg struct {
	ChangeType  string `json:"changeType"` // add, update, delete
	DetectTime  string `json:"detectTime"`
	DeviceSn    string `json:"deviceSn"`
	ChannelSn   string `json:"channelSn,omitempty"`
	ChannelID   int    `json:"channelId"`
	ChannelName string `json:"channelName,omitempty"`
}
