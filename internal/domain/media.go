package domain

import "time"

// StreamTransport is how a device sends its stream to vionet (GB/T 28181 SDP), seen from
// vionet: UDP, TCP passive (vionet listens, the device connects) or TCP active (vionet
// connects to the device).
type StreamTransport int

// Stream transports.
const (
	TransportUDP StreamTransport = iota
	TransportTCPPassive
	TransportTCPActive
)

// String returns the transport's configuration name.
func (t StreamTransport) String() string {
	switch t {
	case TransportTCPPassive:
		return "tcp-passive"
	case TransportTCPActive:
		return "tcp-active"
	}
	return "udp"
}

// ParseStreamTransport parses a configuration name ("udp", "tcp-passive", "tcp-active").
func ParseStreamTransport(s string) (StreamTransport, bool) {
	for _, t := range []StreamTransport{TransportUDP, TransportTCPPassive, TransportTCPActive} {
		if t.String() == s {
			return t, true
		}
	}
	return TransportUDP, false
}

// Snapshot is a picture vionet captured from a camera (4.4.1.12–14).
type Snapshot struct {
	ID        int64
	PictureID string
	AppID     string
	DeviceID  int64
	DeviceSn  string // the device the picture belongs to
	Target    string // the code of the camera captured (the device or one of its channels)
	ChannelID int    // channel number from 0 (0 for a single-camera device)
	SnapType  int    // 1 manual
	SnapTime  time.Time
	Size      int    // bytes
	FileKey   string // key of the JPEG in the file store
}

// SnapshotQuery filters 4.4.1.13's list.
type SnapshotQuery struct {
	DeviceID   int64
	Target     string // empty: every camera of the device
	SnapType   int    // 0: any
	Start, End time.Time
	Offset     int
	Limit      int
}
