package domain

// PTZ (4.5.2): what the use cases, the store and the device drivers share about pan-tilt-zoom
// heads. A head is one video source: an IPC, or one channel of an NVR.

// PTZHead addresses one PTZ head through its device's southbound session.
type PTZHead struct {
	DeviceSn string // the registered device whose session carries the commands
	Target   string // the head: a channel code, or DeviceSn for an IPC
	Address  int    // PTZ decoder address (4.5.2.17 decoderAddress); 0 means the default, 1
	Invert   bool   // 4.5.2.17 posNegDirectControl=1: pan and tilt directions reversed
}

// PTZMotion is a continuous motion of 4.5.2.1 (started, then stopped).
type PTZMotion int

// Motions of 4.5.2.1.
const (
	PTZUp PTZMotion = iota + 1
	PTZDown
	PTZLeft
	PTZRight
	PTZUpLeft
	PTZUpRight
	PTZDownLeft
	PTZDownRight
	PTZZoomIn
	PTZZoomOut
	PTZIrisOpen
	PTZIrisClose
)

// IsIris reports whether m moves the iris (stopped with the focus/iris stop, not the PTZ one).
func (m PTZMotion) IsIris() bool { return m == PTZIrisOpen || m == PTZIrisClose }

// PTZPosition is a head's absolute position in the northbound scale (4.5.2.1 command 21,
// 4.5.2.13): Horizontal and Vertical in -1000000…1000000.
type PTZPosition struct {
	Horizontal int
	Vertical   int
}

// PTZGuard is a head's guard (home) position: it returns to preset Preset after Interval
// seconds without control (4.5.2.14).
type PTZGuard struct {
	Preset   int
	Interval int
}

// PTZSettings is what vionet keeps about one head (4.5.2.14, 4.5.2.17).
type PTZSettings struct {
	Address int       // decoder address; 0 when never set
	Invert  bool      // reversed directions
	Guard   *PTZGuard // the guard position set through vionet; nil when none
}

// CruiseWindow is one weekly window of a cruise schedule (4.5.2.10): WeekDay 1 (Monday) to
// 7 (Sunday), Start and End in seconds of that day, local time, Start < End ≤ 86400.
type CruiseWindow struct {
	WeekDay int
	Start   int
	End     int
}

// CruiseRoute is a cruise route of one head (4.5.2.7): the presets it visits in order, the
// speed (1–4095) and the stay at each point in seconds (1–4095), and its weekly schedule.
type CruiseRoute struct {
	Code     int
	Speed    int
	StayTime int
	Points   []int
	Schedule []CruiseWindow
}

// ScheduledCruise is a route with a schedule, as the cruise scheduler needs it.
type ScheduledCruise struct {
	DeviceID int64
	DeviceSn string
	Target   string
	Code     int
	Schedule []CruiseWindow
}
