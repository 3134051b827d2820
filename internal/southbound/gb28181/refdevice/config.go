// Package refdevice is vionet's GB/T 28181 reference device: a simulated IPC
// or NVR that registers with a platform over SIP (UDP or TCP, MD5 digest),
// sends keepalives and alarms, and answers the platform's MANSCDP queries
// and controls (catalog, device info and status, record search, presets,
// PTZ with a simulated head, cruise tracks, home position, device config).
//
// It is used by the gbdevice command (one device or a load-generating
// [Fleet]) and by the project's end-to-end tests, which can inspect what
// reached the device with [Device.Received].
//
// A control from the platform is applied, and the answer to a query built,
// before the device returns the SIP 200; the answer then goes out as new
// MESSAGEs (Response root, the query's SN), so a platform that has its 200
// for a control sees its effect in whatever it asks next.
//
// Requests from the platform must arrive where the device registered from:
// over UDP on the device's one socket (the Contact address), over TCP on the
// connection the device opened to the platform. The device does not listen
// for new TCP connections.
//
// An INVITE for any of the device's channels is answered with an SDP answer
// and, once ACKed, with video: an embedded H.264 or H.265 sample looped at
// real time as PS over RTP, over UDP or RTP over TCP in either direction,
// until a BYE (see media.go and invite.go).
package refdevice

import (
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"strconv"
	"strings"
	"time"
)

// Transports.
const (
	TransportUDP = "udp"
	TransportTCP = "tcp"
)

// Versions of GB/T 28181 the device can claim.
const (
	Version2016 = "2016"
	Version2022 = "2022"
)

// Defaults applied by New.
const (
	DefaultExpires           = 3600 * time.Second
	DefaultKeepaliveInterval = 60 * time.Second
	DefaultKeepaliveMisses   = 3
	DefaultCatalogPageSize   = 2
	DefaultRecordPageSize    = 2
	DefaultRequestTimeout    = 5 * time.Second
	DefaultCharset           = "GB2312"
	DefaultName              = "前门摄像机"
	DefaultUserAgent         = "vionet-gbdevice"

	// MaxChannels is the largest NVR channel count: channel serials are
	// derived as device serial×1000+i.
	MaxChannels = 999
	// MaxRecords caps the records synthesised for one RecordInfo query.
	MaxRecords = 1000
)

// Config describes one simulated device and the platform it registers with.
type Config struct {
	// ServerID is the platform's 20-digit SIP ID, ServerDomain its 10-digit
	// domain, ServerAddr its host:port.
	ServerID     string
	ServerDomain string
	ServerAddr   string
	// Transport is "udp" (default) or "tcp".
	Transport string

	// DeviceID is the device's 20-digit code; Username the digest user name
	// (DeviceID when empty); Password the SIP password.
	DeviceID string
	Username string
	Password string

	// LocalIP is the address the device binds and advertises (default
	// 127.0.0.1); LocalPort its UDP port (0: ephemeral; unused for TCP,
	// where the local port is the connection's).
	LocalIP   string
	LocalPort int

	// Channels is 0 for an IPC (the device itself is its only channel) or
	// the number of channels of an NVR (1–999). Channel i (1-based) has the
	// device's first 10 digits, type 131 and serial device serial×1000+i,
	// where the serial is the device ID's last 7 digits (kept to 7 digits).
	Channels int
	// ChannelCodes, when set, are the NVR's channel codes (a platform such as vionet issues
	// them); Channels is then their count.
	ChannelCodes []string

	// Expires is the registration period asked for (default 3600s, rounded
	// down to whole seconds); the device re-registers at 3/4 of what the
	// platform grants.
	Expires time.Duration
	// KeepaliveInterval is the keepalive period (default 60s).
	KeepaliveInterval time.Duration
	// KeepaliveMisses is how many keepalives in a row may fail before the
	// device registers again (default 3).
	KeepaliveMisses int
	// RequestTimeout bounds each request the device sends (default 5s).
	RequestTimeout time.Duration

	// Charset of every body the device sends: "GB2312" (default) or
	// "UTF-8" (or any charset manscdp.Encode accepts).
	Charset string
	// Version is "2016" (default) or "2022". A 2022 device sends
	// X-GB-Ver: 3.0 on its requests and answers the 2022 queries
	// (PTZPosition, HomePositionQuery, CruiseTrackListQuery,
	// CruiseTrackQuery); a 2016 device sends no X-GB-Ver and answers those
	// with the SIP 200 only, like a real 2016 device that ignores them.
	Version string

	// Name is the device name (default 前门摄像机, which is also the IPC's
	// channel name; NVR channels are named 通道1, 通道2, …).
	Name         string
	Manufacturer string
	Model        string
	Firmware     string
	// UserAgent is the SIP User-Agent header (default vionet-gbdevice).
	UserAgent string

	// CatalogPageSize is the most catalog items per Response MESSAGE
	// (default 2, so multi-part answers are exercised); RecordPageSize the
	// same for RecordInfo and the other list answers (default 2). Over UDP
	// a page is split further when the message would exceed what sipgo
	// sends over UDP (sip.UDPMTUSize-200, 1300 bytes by default, which
	// holds one catalog item or record): with sipgo's default, UDP answers
	// carry one item per MESSAGE. A process that wants larger datagrams
	// (the gbdevice command's --udp-mtu) raises sip.UDPMTUSize itself.
	CatalogPageSize int
	RecordPageSize  int

	// VideoCodec is what the device streams after an INVITE: "H264" (default) or "H265"
	// (see media.go).
	VideoCodec string
	// RejectInvite answers every INVITE 488 Not Acceptable Here; NoMedia accepts INVITEs but
	// sends no RTP; InviteDelay holds an INVITE (after 100 Trying) this long before answering.
	RejectInvite bool
	NoMedia      bool
	InviteDelay  time.Duration
	// AnswerSSRC, when set, is the y= of every SDP answer instead of the offered SSRC, and
	// SendSSRC the SSRC of the RTP sent instead of the answered one: cameras that ignore the
	// platform's SSRC. Both are 10 decimal digits.
	AnswerSSRC string
	SendSSRC   string

	// Logger receives the device's logs (slog.Default when nil).
	Logger *slog.Logger
}

func (c *Config) applyDefaults() {
	if len(c.ChannelCodes) > 0 {
		c.Channels = len(c.ChannelCodes)
	}
	c.Transport = strings.ToLower(strings.TrimSpace(c.Transport))
	if c.Transport == "" {
		c.Transport = TransportUDP
	}
	if c.Username == "" {
		c.Username = c.DeviceID
	}
	if c.LocalIP == "" {
		c.LocalIP = "127.0.0.1"
	}
	if c.Expires <= 0 {
		c.Expires = DefaultExpires
	}
	if c.KeepaliveInterval <= 0 {
		c.KeepaliveInterval = DefaultKeepaliveInterval
	}
	if c.KeepaliveMisses <= 0 {
		c.KeepaliveMisses = DefaultKeepaliveMisses
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.Charset == "" {
		c.Charset = DefaultCharset
	}
	if c.Version == "" {
		c.Version = Version2016
	}
	if c.Name == "" {
		c.Name = DefaultName
	}
	if c.Manufacturer == "" {
		c.Manufacturer = "VIONET"
	}
	if c.Model == "" {
		if c.Channels > 0 {
			c.Model = "REF-NVR"
		} else {
			c.Model = "REF-IPC"
		}
	}
	if c.Firmware == "" {
		c.Firmware = "V1.0.0"
	}
	if c.UserAgent == "" {
		c.UserAgent = DefaultUserAgent
	}
	if c.CatalogPageSize <= 0 {
		c.CatalogPageSize = DefaultCatalogPageSize
	}
	if c.RecordPageSize <= 0 {
		c.RecordPageSize = DefaultRecordPageSize
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	c.VideoCodec = strings.ToUpper(strings.TrimSpace(c.VideoCodec))
	if c.VideoCodec == "" {
		c.VideoCodec = CodecH264
	}
}

func (c *Config) validate() error {
	var errs []error
	if !isGBID(c.DeviceID) {
		errs = append(errs, fmt.Errorf("device ID %q is not 20 digits", c.DeviceID))
	}
	if !isGBID(c.ServerID) {
		errs = append(errs, fmt.Errorf("server ID %q is not 20 digits", c.ServerID))
	}
	if c.ServerDomain == "" {
		errs = append(errs, errors.New("server domain is empty"))
	}
	if _, _, err := net.SplitHostPort(c.ServerAddr); err != nil {
		errs = append(errs, fmt.Errorf("server address %q: %w", c.ServerAddr, err))
	}
	if c.Transport != TransportUDP && c.Transport != TransportTCP {
		errs = append(errs, fmt.Errorf("transport %q: want udp or tcp", c.Transport))
	}
	if net.ParseIP(c.LocalIP) == nil {
		errs = append(errs, fmt.Errorf("local IP %q is not an IP address", c.LocalIP))
	}
	if c.Channels < 0 || c.Channels > MaxChannels {
		errs = append(errs, fmt.Errorf("channels %d: want 0–%d", c.Channels, MaxChannels))
	}
	if c.Version != Version2016 && c.Version != Version2022 {
		errs = append(errs, fmt.Errorf("version %q: want 2016 or 2022", c.Version))
	}
	if c.Expires < time.Second {
		errs = append(errs, errors.New("expires is shorter than a second"))
	}
	errs = append(errs, c.validateMedia()...)
	return errors.Join(errs...)
}

func isGBID(s string) bool {
	if len(s) != 20 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// ChannelIDs returns the channel codes of a device: for an IPC (channels
// 0) the device ID itself, for an NVR the IDs of channels 1..channels (see
// Config.Channels). It fails for an ID that is not 20 digits or a channel
// count outside 0–999.
func ChannelIDs(deviceID string, channels int) ([]string, error) {
	if !isGBID(deviceID) {
		return nil, fmt.Errorf("refdevice: device ID %q is not 20 digits", deviceID)
	}
	if channels < 0 || channels > MaxChannels {
		return nil, fmt.Errorf("refdevice: channels %d: want 0–%d", channels, MaxChannels)
	}
	if channels == 0 {
		return []string{deviceID}, nil
	}
	serial, _ := strconv.Atoi(deviceID[13:]) // 7 digits: always fits
	ids := make([]string, channels)
	for i := range channels {
		s := (serial*1000 + i + 1) % 10_000_000
		ids[i] = fmt.Sprintf("%s131%07d", deviceID[:10], s)
	}
	return ids, nil
}

// NthID returns the 20-digit decimal code id+n (n ≥ 0), for numbering a
// fleet; it fails when id is not 20 digits or the sum overflows 20 digits.
func NthID(id string, n int) (string, error) {
	if !isGBID(id) {
		return "", fmt.Errorf("refdevice: ID %q is not 20 digits", id)
	}
	if n < 0 {
		return "", fmt.Errorf("refdevice: negative offset %d", n)
	}
	v, _ := new(big.Int).SetString(id, 10)
	v.Add(v, big.NewInt(int64(n)))
	s := v.String()
	if len(s) > 20 {
		return "", fmt.Errorf("refdevice: %s+%d overflows 20 digits", id, n)
	}
	return strings.Repeat("0", 20-len(s)) + s, nil
}
