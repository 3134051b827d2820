package domain

import "time"

// Clip task states (4.8.2 status).
const (
	ClipFailed  = 0
	ClipDone    = 1
	ClipRunning = 2
)

// ClipTask is a 4.8 clip: an MP4 (and thumbnail) cut from recordings, made asynchronously.
type ClipTask struct {
	ID        int64
	AppID     string
	DeviceID  int64
	DeviceSn  string
	Target    string
	Start     time.Time
	End       time.Time
	Storage   string // "0" cloud, "1" device
	Status    int
	Reason    string // why it failed
	FileKey   string
	ThumbKey  string
	FileStart time.Time // the clip's real range (starts at a keyframe)
	FileEnd   time.Time
	Size      int64
	Created   time.Time
}

// RecordingQuery selects cloud recordings of one camera.
type RecordingQuery struct {
	Target     string
	From, To   time.Time // overlapping [From, To)
	Type       int       // 0 any, 1 normal, 2 alarm
	AlarmType  *int
	Descending bool
	Limit      int
}
