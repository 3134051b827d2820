package northbound

import (
	"context"
	"strconv"

	"github.com/vionet/vionet/internal/app"
	"github.com/vionet/vionet/internal/domain"
)

// 4.4.1 device management.
func (s *Server) deviceRoutes(m map[string]handlerFunc) {
	m["POST /cmiot/v2/api/device"] = s.addDevice
	m["DELETE /cmiot/v2/api/device"] = s.deleteDevice
	m["GET /cmiot/v2/api/device"] = s.getDevice
	m["GET /cmiot/v2/api/device/list"] = s.listDevices
	m["GET /cmiot/v2/api/device/token"] = s.deviceToken
	m["GET /cmiot/v2/api/device/ip"] = s.deviceIP
	m["GET /cmiot/v2/api/device/dgw/info"] = s.accessNodes
	m["POST /cmiot/v2/api/device/channel"] = s.addChannels
	m["PUT /cmiot/v2/api/device/info/name"] = s.rename
	m["POST /cmiot/v2/api/device/channel/retrieval"] = s.retrieveChannels
}

type retrievedChannel struct {
	ChannelID   int    `json:"channelId"`
	ChannelName string `json:"channelName,omitempty"`
	ChannelSn   string `json:"channelSn,omitempty"` // extension: the GB/T 28181 code
}

// 4.4.1.15
func (s *Server) retrieveChannels(ctx context.Context, c *Call) (any, error) {
	sn, err := deviceSnOnly(c)
	if err != nil {
		return nil, err
	}
	chans, err := s.app.RetrieveChannels(ctx, c.Tenant.AppID, sn)
	if err != nil {
		return nil, err
	}
	out := make([]retrievedChannel, len(chans))
	for i, ch := range chans {
		out[i] = retrievedChannel{ChannelID: ch.ChannelID, ChannelName: ch.Name, ChannelSn: ch.ChannelSn}
	}
	return map[string]any{"channelList": out}, nil
}

// deviceSnOnly reads the request of the many endpoints whose only parameter is deviceSn.
func deviceSnOnly(c *Call) (string, error) {
	d := c.Params.Decode()
	sn := d.String("deviceSn", Required)
	return sn, d.Err()
}

type channelRef struct {
	ChannelSn   string `json:"channelSn"`
	ChannelName string `json:"channelName,omitempty"`
}

type addDeviceResponse struct {
	DeviceSn        string       `json:"deviceSn"`
	SIPServerID     string       `json:"SIPServerID,omitempty"`
	SIPServerDomain string       `json:"SIPServerDomain,omitempty"`
	SIPServerIP     string       `json:"SIPServerIP,omitempty"`
	SIPServerPort   string       `json:"SIPServerPort,omitempty"`
	LoginName       string       `json:"loginName,omitempty"`
	LoginPwd        string       `json:"loginPwd,omitempty"`
	ChannelList     []channelRef `json:"channelList,omitempty"`
}

// 4.4.1.1
func (s *Server) addDevice(ctx context.Context, c *Call) (any, error) {
	d := c.Params.Decode()
	in := app.AddDeviceInput{
		Protocol:     d.Int("protocol", Required),
		Name:         d.String("deviceName", Optional),
		Type:         d.Int("deviceType", Optional),
		ChannelCount: d.Int("channelCount", Optional),
		IsIntranet:   d.Flag("isIntranet"),
		SupportsV6:   d.Flag("isSupportV6"),
		PlatformID:   d.String("platformId", Optional),
		Mac:          d.String("mac", Optional),
	}
	if err := d.Err(); err != nil {
		return nil, err
	}
	dev, err := s.app.AddDevice(ctx, c.Tenant.AppID, in)
	if err != nil {
		return nil, err
	}
	pwd, err := s.app.Seal(c.Tenant, dev.LoginPwd)
	if err != nil {
		return nil, err
	}
	p := s.app.Platform()
	resp := addDeviceResponse{
		DeviceSn: dev.DeviceSn, SIPServerID: p.SIPID, SIPServerDomain: p.SIPDomain,
		SIPServerIP: sipHost(p, dev), SIPServerPort: p.SIPPort, LoginName: dev.LoginName, LoginPwd: pwd,
	}
	for _, ch := range dev.Channels {
		resp.ChannelList = append(resp.ChannelList, channelRef{ChannelSn: ch.ChannelSn})
	}
	return resp, nil
}

// sipHost is the SIP server address a device should use: intranet devices get the intranet host.
func sipHost(p app.Platform, d *domain.Device) string {
	if d.IsIntranet {
		return p.IntranetHost
	}
	return p.PublicHost
}

// 4.4.1.2
func (s *Server) deleteDevice(ctx context.Context, c *Call) (any, error) {
	d := c.Params.Decode()
	in := app.DeleteDeviceInput{
		DeleteType: d.Int("deleteType", Required),
		DeviceSn:   d.String("deviceSn", Required),
		ChannelSn:  d.String("channelSn", Optional),
		ChannelID:  d.OptInt("channelId"),
		Force:      d.Flag("force"),
	}
	if err := d.Err(); err != nil {
		return nil, err
	}
	return nil, s.app.DeleteDevice(ctx, c.Tenant.AppID, in)
}

type channelView struct {
	ChannelSn    string `json:"channelSn,omitempty"`
	ChannelID    *int   `json:"channelId,omitempty"`
	ChannelName  string `json:"channelName"`
	OnlineStatus int    `json:"onlineStatus"`
}

type deviceDetail struct {
	DeviceSn        string        `json:"deviceSn"`
	DeviceName      string        `json:"deviceName"`
	Protocol        string        `json:"protocol"`
	OnlineStatus    int           `json:"onlineStatus"`
	DeviceType      int           `json:"deviceType,omitempty"`
	SIPServerID     string        `json:"SIPServerID,omitempty"`
	SIPServerDomain string        `json:"SIPServerDomain,omitempty"`
	SIPServerIP     string        `json:"SIPServerIP,omitempty"`
	SIPServerPort   string        `json:"SIPServerPort,omitempty"`
	LoginName       string        `json:"loginName,omitempty"`
	LoginPwd        string        `json:"loginPwd,omitempty"`
	ChannelList     []channelView `json:"channelList"`
	FirmwareVersion string        `json:"firmwareVersion,omitempty"`
	Manufacturer    string        `json:"manufacturer,omitempty"` // extension: from GB DeviceInfo
	Model           string        `json:"model,omitempty"`        // extension: from GB DeviceInfo
	IsIntranet      int           `json:"isIntranet"`
	IsSubDomain     int           `json:"isSubDomain"`
	PullProtocol    int           `json:"pullProtocol,omitempty"`
}

type deviceSummary struct {
	DeviceSn     string        `json:"deviceSn"`
	DeviceName   string        `json:"deviceName"`
	Protocol     int           `json:"protocol"`
	DeviceType   int           `json:"deviceType,omitempty"`
	ChannelList  []channelView `json:"channelList"`
	OnlineStatus int           `json:"onlineStatus"`
	IsIntranet   int           `json:"isIntranet"`
	IsSubDomain  int           `json:"isSubDomain"`
}

// Output flags use 1 yes / 2 no (4.4.1.3), unlike the 1/0 of 4.4.1.1's input.
func yesNo(b bool) int {
	if b {
		return 1
	}
	return 2
}

// GB/T 28181 pullProtocol: 1 TCP, 2 UDP; devices are pulled over UDP unless configured.
const pullUDP = 2

func channelViews(d *domain.Device) []channelView {
	out := make([]channelView, 0, len(d.Channels))
	for _, ch := range d.Channels {
		v := channelView{ChannelSn: ch.ChannelSn, ChannelName: ch.Name, OnlineStatus: int(ch.Online)}
		if ch.ChannelSn == "" {
			id := ch.ChannelID
			v.ChannelID = &id
		}
		out = append(out, v)
	}
	return out
}

// 4.4.1.3
func (s *Server) getDevice(ctx context.Context, c *Call) (any, error) {
	sn, err := deviceSnOnly(c)
	if err != nil {
		return nil, err
	}
	dev, err := s.app.Device(ctx, c.Tenant.AppID, sn)
	if err != nil {
		return nil, err
	}
	out := deviceDetail{
		DeviceSn: dev.DeviceSn, DeviceName: dev.Name, Protocol: strconv.Itoa(int(dev.Protocol)),
		OnlineStatus: int(dev.Online), ChannelList: channelViews(dev), FirmwareVersion: dev.Firmware,
		Manufacturer: dev.Manufacturer, Model: dev.Model, IsIntranet: yesNo(dev.IsIntranet), IsSubDomain: yesNo(false),
	}
	if dev.Protocol == domain.ProtocolGB28181 {
		p := s.app.Platform()
		if out.LoginPwd, err = s.app.Seal(c.Tenant, dev.LoginPwd); err != nil {
			return nil, err
		}
		out.DeviceType = int(dev.Type)
		out.SIPServerID, out.SIPServerDomain, out.SIPServerIP, out.SIPServerPort = p.SIPID, p.SIPDomain, sipHost(p, dev), p.SIPPort
		out.LoginName = dev.LoginName
		out.PullProtocol = pullUDP
	}
	return out, nil
}

// 4.4.1.4
func (s *Server) listDevices(ctx context.Context, c *Call) (any, error) {
	d := c.Params.Decode()
	page, size := d.PageRequest()
	if err := d.Err(); err != nil {
		return nil, err
	}
	devs, total, err := s.app.Devices(ctx, c.Tenant.AppID, app.Page{Page: page, PageSize: size})
	if err != nil {
		return nil, err
	}
	items := make([]deviceSummary, 0, len(devs))
	for _, dev := range devs {
		items = append(items, deviceSummary{
			DeviceSn: dev.DeviceSn, DeviceName: dev.Name, Protocol: int(dev.Protocol), DeviceType: int(dev.Type),
			ChannelList: channelViews(dev), OnlineStatus: int(dev.Online), IsIntranet: yesNo(dev.IsIntranet), IsSubDomain: yesNo(false),
		})
	}
	return List{Items: items, Total: total, Page: page, PageSize: size}, nil
}

// 4.4.1.7
func (s *Server) deviceToken(ctx context.Context, c *Call) (any, error) {
	sn, err := deviceSnOnly(c)
	if err != nil {
		return nil, err
	}
	dev, err := s.app.Device(ctx, c.Tenant.AppID, sn)
	if err != nil {
		return nil, err
	}
	return map[string]string{"deviceToken": dev.Token}, nil
}

// 4.4.1.9
func (s *Server) deviceIP(ctx context.Context, c *Call) (any, error) {
	sn, err := deviceSnOnly(c)
	if err != nil {
		return nil, err
	}
	ip, port, err := s.app.DeviceAddress(ctx, c.Tenant.AppID, sn)
	if err != nil {
		return nil, err
	}
	return map[string]string{"ip": ip, "port": port}, nil
}

// accessNode is one element of 4.4.1.10's Object[] (field casing as in the spec).
type accessNode struct {
	PlatformName           string `json:"platformName"`
	Status                 string `json:"status"`
	SipSerIPIntranet       string `json:"sipSerIpIntranet,omitempty"`
	SipSerPortIntranet     string `json:"sipSerPortIntranet,omitempty"`
	SipSerIPv6Intranet     string `json:"sipSerIpv6Intranet,omitempty"`
	SipSerIPv6PortIntranet string `json:"sipSerIpv6PortIntranet,omitempty"`
	SipID                  string `json:"sipId,omitempty"`
	SipDomain              string `json:"sipDomain,omitempty"`
	SipHost                string `json:"sipHost,omitempty"`
	SipHostPort            string `json:"sipHostPort,omitempty"`
	SipIPv4                string `json:"sipIpv4,omitempty"`
	SipIPv4Port            string `json:"sipIpv4Port,omitempty"`
	SipIPv6                string `json:"sipIpv6,omitempty"`
	SipIPv6Port            string `json:"sipIpv6Port,omitempty"`
}

// 4.4.1.10
func (s *Server) accessNodes(ctx context.Context, c *Call) (any, error) {
	sn, err := deviceSnOnly(c)
	if err != nil {
		return nil, err
	}
	dev, _, err := s.app.Target(ctx, c.Tenant.AppID, sn)
	if err != nil {
		return nil, err
	}
	p := s.app.Platform()
	n := accessNode{PlatformName: p.Name, Status: "1"}
	if dev.Protocol == domain.ProtocolGB28181 {
		n.SipID, n.SipDomain = p.SIPID, p.SIPDomain
		n.SipSerIPIntranet, n.SipSerPortIntranet = p.IntranetHost, p.SIPPort
		n.SipHost, n.SipHostPort = p.PublicHost, p.SIPPort
		n.SipIPv4, n.SipIPv4Port = p.PublicHost, p.SIPPort
		if p.IntranetV6 != "" {
			n.SipSerIPv6Intranet, n.SipSerIPv6PortIntranet = p.IntranetV6, p.SIPPort
		}
		if p.PublicHostV6 != "" {
			n.SipIPv6, n.SipIPv6Port = p.PublicHostV6, p.SIPPort
		}
	}
	return []accessNode{n}, nil
}

// 4.4.1.11
func (s *Server) addChannels(ctx context.Context, c *Call) (any, error) {
	d := c.Params.Decode()
	sn := d.String("deviceSn", Required)
	objs := d.Objects("channels", Required)
	in := make([]app.NewChannel, len(objs))
	for i, o := range objs {
		od := o.Decode()
		in[i] = app.NewChannel{Name: od.String("channelName", Optional), Mac: od.String("mac", Optional)}
		if err := od.Err(); err != nil {
			return nil, err
		}
	}
	if err := d.Err(); err != nil {
		return nil, err
	}
	chans, err := s.app.AddChannels(ctx, c.Tenant.AppID, sn, in)
	if err != nil {
		return nil, err
	}
	out := make([]channelRef, len(chans))
	for i, ch := range chans {
		out[i] = channelRef{ChannelSn: ch.ChannelSn, ChannelName: ch.Name}
	}
	return map[string]any{"channelList": out}, nil
}

// 4.4.2.19
func (s *Server) rename(ctx context.Context, c *Call) (any, error) {
	d := c.Params.Decode()
	sn := d.String("deviceSn", Required)
	name := d.String("deviceName", Required)
	chID := d.OptInt("channelId")
	if err := d.Err(); err != nil {
		return nil, err
	}
	return nil, s.app.Rename(ctx, c.Tenant.AppID, sn, name, chID)
}
