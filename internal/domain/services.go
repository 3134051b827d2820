package domain

import "time"

// Service attribute codes of appendix 5.1 (servCode); every servValue is a string.
const (
	ServCloudDays     = "10002010001" // 云存储天数: days recordings are kept
	ServType          = "10002010004" // 服务类型: ServiceType* below
	ServFrameInterval = "10002010005" // 抽帧间隔 (s), picture cloud storage
	ServBitrateCap    = "10002010006" // 码流大小 (Mbit/s)
)

// Service types (servCode 10002010004). 2 is not defined by the spec.
const (
	ServiceTypeFullDayRecording = 1 // 全天云存储
	ServiceTypePictureStorage   = 3 // 图片云储存
	ServiceTypeLiveLicence      = 4 // 实时视频接入许可
)

// ServiceAttr is one servCode/servValue pair.
type ServiceAttr struct {
	Code  string
	Value string
}

// DeviceService is a service opened on a camera (4.6.1.1): one per camera and service type.
type DeviceService struct {
	AppID       string
	DeviceID    int64
	DeviceSn    string // the registered device
	Target      string // the camera's code (the device itself or one of its channels)
	Type        int    // ServiceType*
	PackageType int    // 1 normal, 2 大颗粒
	Attrs       []ServiceAttr
	OpenedAt    time.Time
}

// Attr returns the value of servCode code ("" when absent).
func (s DeviceService) Attr(code string) string {
	for _, a := range s.Attrs {
		if a.Code == code {
			return a.Value
		}
	}
	return ""
}

// ServiceOrder is what a tenant bought of one service type (4.6.1.4): Total cameras may
// have it open at once; Used is how many do.
type ServiceOrder struct {
	AppID string
	Type  int
	Total int
	Used  int
}

// RecordingPlan is a camera that must be recorded continuously (a full-day cloud recording
// service), for the recorder.
type RecordingPlan struct {
	AppID      string
	DeviceID   int64
	DeviceSn   string
	Target     string
	Days       int // retention
	BitrateCap int // Mbit/s, 0 = none
}

// Recording is one cloud recording segment: a file of the camera's stream between Start and
// End, cut at keyframes.
type Recording struct {
	ID        int64
	AppID     string
	DeviceID  int64
	DeviceSn  string
	Target    string
	Start     time.Time
	End       time.Time
	Size      int64
	FileKey   string // key in the file store
	Type      int    // 1 normal, 2 alarm
	AlarmType int    // 5.2 alarm code for Type 2
	Tier      int    // 0 standard, 1 low-frequency, 2 archive
	ThawedTo  time.Time
}

// ThawMsg is vionet's body of msgType 6 (归档云存储解冻状态消息): 5.4 defines none.
type ThawMsg struct {
	DeviceSn       string `json:"deviceSn"`
	ChannelSn      string `json:"channelSn"`
	StartTime      string `json:"startTime"`
	EndTime        string `json:"endTime"`
	Status         int    `json:"status"` // 1 unfrozen (readable)
	FileCount      int    `json:"fileCount"`
	NextFreezeTime string `json:"nextFreezeTime"`
}
