package sdk

// Chapter 4.4.1 设备管理 (device management).

import (
	"context"
	"encoding/json"
	"net/http"
)

// Endpoint paths of chapter 4.4.1.
const (
	PathDevice           = "/cmiot/v2/api/device"          // 4.4.1.1 POST, 4.4.1.2 DELETE, 4.4.1.3 GET
	PathDeviceList       = "/cmiot/v2/api/device/list"     // 4.4.1.4 GET
	PathDeviceToken      = "/cmiot/v2/api/device/token"    // 4.4.1.7 GET
	PathDeviceIP         = "/cmiot/v2/api/device/ip"       // 4.4.1.9 GET
	PathDeviceAccessNode = "/cmiot/v2/api/device/dgw/info" // 4.4.1.10 GET
	PathDeviceChannel    = "/cmiot/v2/api/device/channel"  // 4.4.1.11 POST
)

// Device access protocols (the protocol field of 4.4.1.1, 4.4.1.3 and 4.4.1.4).
const (
	ProtocolGB28181   = 1 // 国标28181协议
	ProtocolQianliyan = 2 // 千里眼协议
	ProtocolDahua     = 5 // 大华私有协议
	ProtocolISUP      = 6 // ISUP
	ProtocolEHome     = 7 // EHome
	ProtocolHikvision = 8 // 海康私有协议
)

// Device types (deviceType).
const (
	DeviceTypeIPC = 1
	DeviceTypeNVR = 2
)

// Online states (onlineStatus).
const (
	OnlineStatusOffline  = 0 // 离线
	OnlineStatusOnline   = 1 // 在线
	OnlineStatusSleeping = 2 // 休眠
)

// AddDeviceRequest is the request of 4.4.1.1 设备新增.
type AddDeviceRequest struct {
	// Protocol is the access protocol: 1 国标28181, 2 千里眼, 5 大华私有 (see the Protocol constants).
	Protocol int `json:"protocol"`
	// DeviceName is at most 40 characters; the server defaults it to "Camera".
	DeviceName string `json:"deviceName,omitempty"`
	// DeviceType is required when Protocol is 1: 1 IPC, 2 NVR.
	DeviceType int `json:"deviceType,omitempty"`
	// ChannelCount is required when DeviceType is 2.
	ChannelCount int `json:"channelCount,omitempty"`
	// LoginType is required when Protocol is 2: 1 有线绑定 (wired), 2 扫码绑定 (QR code).
	LoginType int `json:"loginType,omitempty"`
	// Mac is required when Protocol is 2.
	Mac string `json:"mac,omitempty"`
	// WifiSsid is required when Protocol is 2 and LoginType is 2.
	WifiSsid string `json:"wifiSsid,omitempty"`
	// WifiPwd is required when Protocol is 2, LoginType is 2 and Security is not 0.
	WifiPwd string `json:"wifiPwd,omitempty"`
	// Security is the Wi-Fi encryption: -1 unknown (wpa/wpa2), 0 open, 1 wpa, 2 wpa2, 3 wep,
	// 4 wpa/wpa2. A pointer because 0 is meaningful.
	Security *int `json:"security,omitempty"`
	// IsSupportV6 is "1" if the device supports IPv6, "0" (default) if not. A string in the spec.
	IsSupportV6 string `json:"isSupportV6,omitempty"`
	// IsIntranet is 1 for an intranet device, 0 (default) otherwise.
	IsIntranet int `json:"isIntranet,omitempty"`
	// DeviceSerialNo is required when Protocol is 5; it becomes the deviceSn of a Dahua device.
	DeviceSerialNo string `json:"deviceSerialNo,omitempty"`
	// DeviceUsername is required when Protocol is 5.
	DeviceUsername string `json:"deviceUsername,omitempty"`
	// DevicePassword is required when Protocol is 5.
	DevicePassword string `json:"devicePassword,omitempty"`
	// PlatformID optionally chooses the platform a GB/T 28181 device is added to.
	PlatformID string `json:"platformId,omitempty"`
	// ChannelIDList optionally lists the channel numbers to add with a Dahua device
	// (distinct, not necessarily contiguous), e.g. [0,1,2].
	ChannelIDList []int `json:"channelIdList,omitempty"`
	// IP is required for a passively added device when Protocol is 5.
	IP string `json:"ip,omitempty"`
	// Port is required for a passively added device when Protocol is 5.
	Port string `json:"port,omitempty"`
}

// AddDeviceResponse is the response of 4.4.1.1 设备新增.
type AddDeviceResponse struct {
	// DeviceSn is the device code (protocol 1), the MAC (protocol 2, loginType 1), empty
	// (protocol 2, loginType 2) or the lower-case serial number (protocol 5).
	DeviceSn string `json:"deviceSn"`
	// SIP registration parameters, returned for protocol 1.
	SIPServerID     string `json:"SIPServerID,omitempty"`
	SIPServerDomain string `json:"SIPServerDomain,omitempty"`
	SIPServerIP     string `json:"SIPServerIP,omitempty"`
	SIPServerPort   string `json:"SIPServerPort,omitempty"`
	LoginName       string `json:"loginName,omitempty"`
	// LoginPwd is RSA-encrypted (4.3.2); decrypt it with [DecryptSecret].
	LoginPwd string `json:"loginPwd,omitempty"`
	// ChannelList holds the channels created for a GB/T 28181 NVR (protocol 1, deviceType 2).
	ChannelList []AddedChannel `json:"channelList,omitempty"`
	// QRCode holds the binding QR codes (protocol 2, loginType 2), to be shown to the device in
	// turn, 2 s each.
	QRCode []string `json:"qrCode,omitempty"`
}

// AddedChannel is a channel created by 4.4.1.1 or 4.4.1.11.
type AddedChannel struct {
	ChannelName string `json:"channelName,omitempty"`
	ChannelSn   string `json:"channelSn"`
}

// UnmarshalJSON accepts an object {"channelSn":...} as well as a bare string, because 4.4.1.1
// types channelList as List<String> although it documents a channelSn member.
func (a *AddedChannel) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*a = AddedChannel{ChannelSn: s}
		return nil
	}
	type plain AddedChannel
	return json.Unmarshal(b, (*plain)(a))
}

// AddDevice adds a device (4.4.1.1 POST /cmiot/v2/api/device).
func (c *Client) AddDevice(ctx context.Context, req AddDeviceRequest) (*AddDeviceResponse, error) {
	var out AddDeviceResponse
	if _, err := c.Do(ctx, http.MethodPost, PathDevice, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Delete types of 4.4.1.2.
const (
	DeleteTypeDevice  = 1 // delete a device (for an NVR, with all its channels)
	DeleteTypeChannel = 2 // delete an NVR or Dahua channel
)

// DeleteDeviceRequest is the request of 4.4.1.2 设备删除.
type DeleteDeviceRequest struct {
	// DeleteType is 1 to delete a device, 2 to delete a channel (see DeleteTypeDevice).
	DeleteType int `json:"deleteType"`
	// DeviceSn is the device to delete or whose channel to delete.
	DeviceSn string `json:"deviceSn"`
	// ChannelSn is required for a GB/T 28181 channel when DeleteType is 2.
	ChannelSn string `json:"channelSn,omitempty"`
	// Force is "1" to stop the device's cloud services first and then delete, "0" (default) not to.
	Force string `json:"force,omitempty"`
	// ChannelID is required for a Dahua or multi-lens channel when DeleteType is 2.
	ChannelID *int `json:"channelId,omitempty"`
}

// DeleteDevice deletes a device or a channel (4.4.1.2 DELETE /cmiot/v2/api/device).
func (c *Client) DeleteDevice(ctx context.Context, req DeleteDeviceRequest) error {
	_, err := c.Do(ctx, http.MethodDelete, PathDevice, req, nil)
	return err
}

// Channel is a channel of a device as 4.4.1.3 and 4.4.1.4 return it.
type Channel struct {
	// ChannelSn is the channel code, returned for GB/T 28181 channels.
	ChannelSn string `json:"channelSn,omitempty"`
	// ChannelID is the channel number, returned for the channels of non-GB/T 28181 devices.
	ChannelID    *int   `json:"channelId,omitempty"`
	ChannelName  string `json:"channelName"`
	OnlineStatus int    `json:"onlineStatus"` // 0 离线, 1 在线, 2 休眠
}

// DeviceDetail is the response of 4.4.1.3 设备详情查询.
type DeviceDetail struct {
	DeviceSn   string `json:"deviceSn"`
	DeviceName string `json:"deviceName"`
	// Protocol is the access protocol; typed String in 4.4.1.3 (but int in 4.4.1.4).
	Protocol     string `json:"protocol"`
	OnlineStatus int    `json:"onlineStatus,omitempty"` // 0 离线, 1 在线, 2 休眠
	DeviceType   int    `json:"deviceType,omitempty"`   // 1 IPC, 2 NVR; protocol 1
	// SIP registration parameters, returned for protocol 1.
	SIPServerID     string `json:"SIPServerID,omitempty"`
	SIPServerDomain string `json:"SIPServerDomain,omitempty"`
	SIPServerIP     string `json:"SIPServerIP,omitempty"`
	SIPServerPort   string `json:"SIPServerPort,omitempty"`
	LoginName       string `json:"loginName,omitempty"`
	// LoginPwd is RSA-encrypted (4.3.2); decrypt it with [DecryptSecret].
	LoginPwd    string    `json:"loginPwd,omitempty"`
	ChannelList []Channel `json:"channelList,omitempty"`
	// FirmwareVersion, CameraAppVersion, Imei and ModuleID are returned for protocol 2.
	FirmwareVersion  string `json:"firmwareVersion,omitempty"`
	CameraAppVersion string `json:"cameraAppVersion,omitempty"`
	Imei             string `json:"imei,omitempty"`
	ModuleID         string `json:"moduleId,omitempty"`
	IsIntranet       int    `json:"isIntranet"`             // 1 是, 2 否
	IsSubDomain      int    `json:"isSubDomain"`            // 1 是, 2 否
	PullProtocol     int    `json:"pullProtocol,omitempty"` // 1 TCP, 2 UDP; protocol 1

	// Manufacturer, Model, IP and Port are not in the spec; vionet may add them when known.
	Manufacturer string `json:"manufacturer,omitempty"`
	Model        string `json:"model,omitempty"`
	IP           string `json:"ip,omitempty"`
	Port         string `json:"port,omitempty"`
}

type deviceSnParams struct {
	DeviceSn string `json:"deviceSn"`
}

// GetDevice returns the details of a device (4.4.1.3 GET /cmiot/v2/api/device). Channels
// cannot be queried.
func (c *Client) GetDevice(ctx context.Context, deviceSn string) (*DeviceDetail, error) {
	var out DeviceDetail
	if _, err := c.Do(ctx, http.MethodGet, PathDevice, deviceSnParams{deviceSn}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeviceSummary is an element of the response of 4.4.1.4 分页获取设备列表.
type DeviceSummary struct {
	DeviceSn   string `json:"deviceSn"`
	DeviceName string `json:"deviceName"`
	// Protocol is the access protocol; typed int in 4.4.1.4 (but String in 4.4.1.3).
	Protocol     int       `json:"protocol"`
	DeviceType   int       `json:"deviceType,omitempty"` // 1 IPC, 2 NVR; protocol 1
	ChannelList  []Channel `json:"channelList,omitempty"`
	OnlineStatus int       `json:"onlineStatus"` // 0 离线, 1 在线, 2 休眠
	IsIntranet   int       `json:"isIntranet"`   // 1 是, 2 否
	IsSubDomain  int       `json:"isSubDomain"`  // 1 是, 2 否
}

type pageParams struct {
	Page     int `json:"page,omitempty"`
	PageSize int `json:"pageSize,omitempty"`
}

// ListDevices returns one page of the application's devices (4.4.1.4 GET
// /cmiot/v2/api/device/list). page starts at 1; pageSize is at most 100. A zero page or
// pageSize is not sent and the server's default applies (1 and 10).
func (c *Client) ListDevices(ctx context.Context, page, pageSize int) ([]DeviceSummary, Page, error) {
	var out []DeviceSummary
	env, err := c.Do(ctx, http.MethodGet, PathDeviceList, pageParams{page, pageSize}, &out)
	if err != nil {
		return nil, Page{}, err
	}
	return out, env.Paging(), nil
}

// GetDeviceToken returns a device token, e.g. for injecting into a device SDK (4.4.1.7 GET
// /cmiot/v2/api/device/token).
func (c *Client) GetDeviceToken(ctx context.Context, deviceSn string) (string, error) {
	var out struct {
		DeviceToken string `json:"deviceToken"`
	}
	if _, err := c.Do(ctx, http.MethodGet, PathDeviceToken, deviceSnParams{deviceSn}, &out); err != nil {
		return "", err
	}
	return out.DeviceToken, nil
}

// DeviceIP is the response of 4.4.1.9 查询设备IP地址.
type DeviceIP struct {
	IP   string `json:"ip"`
	Port string `json:"port"`
}

// GetDeviceIP returns the IP address and port of a device (4.4.1.9 GET /cmiot/v2/api/device/ip).
func (c *Client) GetDeviceIP(ctx context.Context, deviceSn string) (*DeviceIP, error) {
	var out DeviceIP
	if _, err := c.Do(ctx, http.MethodGet, PathDeviceIP, deviceSnParams{deviceSn}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// AccessNode is an element of the response of 4.4.1.10 查询设备所在节点信息: the gateway
// node a device registers with. All members are strings, as in the spec; note the capital I
// of Ipv6Intranet and Ipv6PortIntranet.
type AccessNode struct {
	PlatformName string `json:"platformName"`
	Status       string `json:"status"` // "1" 可用, "0" 不可用

	// Access information for private-protocol (千里眼) devices.
	Host             string `json:"host,omitempty"`
	HostPort         string `json:"hostPort,omitempty"`
	IPv4             string `json:"ipv4,omitempty"`
	IPv4Port         string `json:"ipv4Port,omitempty"`
	IPv6             string `json:"ipv6,omitempty"`
	IPv6Port         string `json:"ipv6Port,omitempty"`
	DomainIntranet   string `json:"domainIntranet,omitempty"`
	PortIntranet     string `json:"portIntranet,omitempty"`
	IPv4Intranet     string `json:"ipv4Intranet,omitempty"`
	IPv4PortIntranet string `json:"ipv4PortIntranet,omitempty"`
	IPv6Intranet     string `json:"Ipv6Intranet,omitempty"`
	IPv6PortIntranet string `json:"Ipv6PortIntranet,omitempty"`

	// Access information for GB/T 28181 devices.
	SIPSerIPIntranet       string `json:"sipSerIpIntranet,omitempty"`
	SIPSerPortIntranet     string `json:"sipSerPortIntranet,omitempty"`
	SIPSerIPv6Intranet     string `json:"sipSerIpv6Intranet,omitempty"`
	SIPSerIPv6PortIntranet string `json:"sipSerIpv6PortIntranet,omitempty"`
	SIPSerHostIntranet     string `json:"sipSerHostIntranet,omitempty"`
	SIPSerHostPortIntranet string `json:"sipSerHostPortIntranet,omitempty"`
	SIPID                  string `json:"sipId,omitempty"`
	SIPDomain              string `json:"sipDomain,omitempty"`
	SIPHost                string `json:"sipHost,omitempty"`
	SIPHostPort            string `json:"sipHostPort,omitempty"`
	SIPIPv4                string `json:"sipIpv4,omitempty"`
	SIPIPv4Port            string `json:"sipIpv4Port,omitempty"`
	SIPIPv6                string `json:"sipIpv6,omitempty"`
	SIPIPv6Port            string `json:"sipIpv6Port,omitempty"`
}

// GetAccessNodes returns the access nodes a device is registered with (4.4.1.10 GET
// /cmiot/v2/api/device/dgw/info).
func (c *Client) GetAccessNodes(ctx context.Context, deviceSn string) ([]AccessNode, error) {
	var out []AccessNode
	if _, err := c.Do(ctx, http.MethodGet, PathDeviceAccessNode, deviceSnParams{deviceSn}, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// AddChannelsRequest is the request of 4.4.1.11 设备添加通道.
type AddChannelsRequest struct {
	DeviceSn string `json:"deviceSn"`
	// Channels lists at most 10 channels to add.
	Channels []NewChannel `json:"channels"`
}

// NewChannel describes a channel to add with 4.4.1.11.
type NewChannel struct {
	ChannelName string `json:"channelName,omitempty"`
	Mac         string `json:"mac,omitempty"`
	// ChannelID is the channel number, from 0; required for multi-channel 千里眼, Dahua,
	// Hikvision SDK, EHome and ISUP devices.
	ChannelID *int `json:"channelId,omitempty"`
}

// AddChannelsResponse is the response of 4.4.1.11 设备添加通道.
type AddChannelsResponse struct {
	// ChannelList holds the codes of the channels added to a GB/T 28181 NVR.
	ChannelList []AddedChannel `json:"channelList,omitempty"`
}

// AddChannels adds channels to a device (4.4.1.11 POST /cmiot/v2/api/device/channel).
func (c *Client) AddChannels(ctx context.Context, req AddChannelsRequest) (*AddChannelsResponse, error) {
	var out AddChannelsResponse
	if _, err := c.Do(ctx, http.MethodPost, PathDeviceChannel, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Int returns a pointer to v, for the optional int members (ChannelID, Security, ...).
func Int(v int) *int { return &v }
