package domain

import "time"

// Protocol is a device access protocol (4.4.1.1 protocol).
type Protocol int

// Device protocols of 4.4.1.1/4.4.1.3.
const (
	ProtocolGB28181 Protocol = 1 // 国标28181协议
	ProtocolOpen    Protocol = 2 // 千里眼协议 (vionet's open device protocol)
	ProtocolDahua   Protocol = 5 // 大华私有协议
	ProtocolISUP    Protocol = 6
	ProtocolEHome   Protocol = 7
	ProtocolHik     Protocol = 8 // 海康私有协议
)

// DeviceType is 4.2's deviceType.
type DeviceType int

// Device types of 4.2.
const (
	DeviceIPC DeviceType = 1
	DeviceNVR DeviceType = 2
)

// OnlineStatus is 4.4.1.3's onlineStatus.
type OnlineStatus int

// Online states of 4.4.1.3.
const (
	Offline  OnlineStatus = 0
	Online   OnlineStatus = 1
	Sleeping OnlineStatus = 2
)

// Device is one registered camera or recorder, owned by exactly one tenant.
type Device struct {
	ID           int64
	AppID        string
	DeviceSn     string
	Protocol     Protocol
	Name         string
	Type         DeviceType
	ChannelCount int
	LoginName    string
	LoginPwd     string // plaintext; only ever returned RSA-encrypted
	Token        string // 4.4.1.7 device token
	IsIntranet   bool
	SupportsV6   bool
	PlatformID   string
	Mac          string
	Online       OnlineStatus
	RemoteIP     string // address the device last connected from
	RemotePort   string
	Manufacturer string
	Model        string
	Firmware     string
	CreatedAt    time.Time
	Channels     []Channel

	// Southbound registration (GB/T 28181): how the device is reached and until when.
	Transport       string
	RegisteredUntil time.Time
	GBVersion       string
	Charset         string
}

// Channel is one video source of a device (an NVR input, a multi-lens camera's lens).
type Channel struct {
	ID        int64
	DeviceID  int64
	ChannelSn string // GB/T 28181 channel code; empty for other protocols
	ChannelID int    // channel number for non-GB devices
	Name      string
	Online    OnlineStatus
}

// MaxDeviceNameLen is 4.4.1.1's limit (最大40位), counted in characters.
const MaxDeviceNameLen = 40

// DefaultDeviceName is 4.4.1.1's default (默认Camera).
const DefaultDeviceName = "Camera"
