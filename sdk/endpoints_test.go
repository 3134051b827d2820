package sdk

import (
	"context"
	"reflect"
	"testing"
)

func ok(data string) string {
	return `{"resultCode":"000000","resultMsg":"成功","data":` + data + `}`
}

// Each typed method sends the right method, path and parameters.
func TestEndpointRequests(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		call   func(c *Client) error
		method string
		path   string
		params string // body or jsonObject
	}{
		{"AddDevice", func(c *Client) error {
			_, err := c.AddDevice(ctx, AddDeviceRequest{Protocol: ProtocolGB28181, DeviceType: DeviceTypeNVR, ChannelCount: 2, Security: Int(0)})
			return err
		}, "POST", "/cmiot/v2/api/device", `{"protocol":1,"deviceType":2,"channelCount":2,"security":0}`},
		{"DeleteDevice", func(c *Client) error {
			return c.DeleteDevice(ctx, DeleteDeviceRequest{DeleteType: DeleteTypeDevice, DeviceSn: "d1", Force: "1"})
		}, "DELETE", "/cmiot/v2/api/device", `{"deleteType":1,"deviceSn":"d1","force":"1"}`},
		{"GetDevice", func(c *Client) error {
			_, err := c.GetDevice(ctx, "d1")
			return err
		}, "GET", "/cmiot/v2/api/device", `{"deviceSn":"d1"}`},
		{"ListDevices", func(c *Client) error {
			_, _, err := c.ListDevices(ctx, 2, 50)
			return err
		}, "GET", "/cmiot/v2/api/device/list", `{"page":2,"pageSize":50}`},
		{"GetDeviceToken", func(c *Client) error {
			_, err := c.GetDeviceToken(ctx, "d1")
			return err
		}, "GET", "/cmiot/v2/api/device/token", `{"deviceSn":"d1"}`},
		{"GetDeviceIP", func(c *Client) error {
			_, err := c.GetDeviceIP(ctx, "d1")
			return err
		}, "GET", "/cmiot/v2/api/device/ip", `{"deviceSn":"d1"}`},
		{"GetAccessNodes", func(c *Client) error {
			_, err := c.GetAccessNodes(ctx, "d1")
			return err
		}, "GET", "/cmiot/v2/api/device/dgw/info", `{"deviceSn":"d1"}`},
		{"AddChannels", func(c *Client) error {
			_, err := c.AddChannels(ctx, AddChannelsRequest{DeviceSn: "d1", Channels: []NewChannel{{ChannelName: "c0", ChannelID: Int(0)}, {Mac: "aa"}}})
			return err
		}, "POST", "/cmiot/v2/api/device/channel", `{"deviceSn":"d1","channels":[{"channelName":"c0","channelId":0},{"mac":"aa"}]}`},
		{"RenameDevice", func(c *Client) error {
			return c.RenameDevice(ctx, RenameDeviceRequest{DeviceSn: "d1", DeviceName: "n", ChannelID: Int(3)})
		}, "PUT", "/cmiot/v2/api/device/info/name", `{"deviceSn":"d1","deviceName":"n","channelId":3}`},
		{"PlatformsByArea", func(c *Client) error {
			_, err := c.PlatformsByArea(ctx, "110000")
			return err
		}, "GET", "/cmiot/v2/api/fims/device/area/get/platform", `{"areaCode":"110000"}`},
		{"Subscribe", func(c *Client) error {
			return c.Subscribe(ctx, "https://t/p", MsgAlarm)
		}, "POST", "/cmiot/v2/api/msg/subscribe", `{"url":"https://t/p","type":1}`},
		{"Unsubscribe", func(c *Client) error {
			return c.Unsubscribe(ctx, MsgRecordIntegrity)
		}, "POST", "/cmiot/v2/api/msg/unsubscribe", `{"type":14}`},
		{"SetDeviceService", func(c *Client) error {
			return c.SetDeviceService(ctx, ServiceRequest{DeviceSn: "d1", OprType: OprOpen, ServiceInfos: ServiceInfoList{
				{ServCodeType, ServiceFullDayRecording}, {ServCodeCloudDays, "3"}, {ServCodeBitrate, "4"}}})
		}, "PUT", "/cmiot/v2/api/record/plan",
			`{"deviceSn":"d1","oprType":"01","serviceInfos":[{"servCode":"10002010004","servValue":"1"},{"servCode":"10002010001","servValue":"3"},{"servCode":"10002010006","servValue":"4"}]}`},
		{"GetDeviceServices", func(c *Client) error {
			_, err := c.GetDeviceServices(ctx, ServiceTarget{DeviceSn: "d1", ChannelID: Int(1)})
			return err
		}, "GET", "/cmiot/v2/api/device/service", `{"deviceSn":"d1","channelId":1}`},
		{"SetDeviceServices", func(c *Client) error {
			return c.SetDeviceServices(ctx, []ServiceOperation{{DeviceSn: "d1", OprType: OprClose}})
		}, "PUT", "/cmiot/v2/api/record/plan/batch", `{"oprList":[{"deviceSn":"d1","oprType":"02"}]}`},
		{"GetServiceOrders", func(c *Client) error {
			_, err := c.GetServiceOrders(ctx)
			return err
		}, "GET", "/cmiot/v2/api/order/service", ``},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, got := fakeServer(t, 200, okEmpty)
			if err := tc.call(testClient(srv)); err != nil {
				t.Fatal(err)
			}
			if got.Method != tc.method || got.Path != tc.path {
				t.Fatalf("%s %s, want %s %s", got.Method, got.Path, tc.method, tc.path)
			}
			params := got.Body
			if tc.method == "GET" || tc.method == "DELETE" {
				params = got.jsonObject(t)
			}
			if params != tc.params {
				t.Errorf("params %s, want %s", params, tc.params)
			}
		})
	}
}

func TestAddDeviceResponse(t *testing.T) {
	srv, _ := fakeServer(t, 200, ok(`{"deviceSn":"34020000001110000001","SIPServerID":"34020000002000000001",
		"SIPServerDomain":"3402000000","SIPServerIP":"10.0.0.1","SIPServerPort":"5060","loginName":"34020000001110000001",
		"loginPwd":"ZW5j","channelList":[{"channelSn":"34020000001310000001"},{"channelSn":"34020000001310000002"}]}`))
	got, err := testClient(srv).AddDevice(context.Background(), AddDeviceRequest{Protocol: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := &AddDeviceResponse{DeviceSn: "34020000001110000001", SIPServerID: "34020000002000000001",
		SIPServerDomain: "3402000000", SIPServerIP: "10.0.0.1", SIPServerPort: "5060", LoginName: "34020000001110000001",
		LoginPwd: "ZW5j", ChannelList: []AddedChannel{{ChannelSn: "34020000001310000001"}, {ChannelSn: "34020000001310000002"}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v", got)
	}
}

// 4.4.1.1 types channelList as List<String>; a server that sends strings is understood too.
func TestAddDeviceChannelListOfStrings(t *testing.T) {
	srv, _ := fakeServer(t, 200, ok(`{"deviceSn":"x","channelList":["c1","c2"],"qrCode":["q1","q2"]}`))
	got, err := testClient(srv).AddDevice(context.Background(), AddDeviceRequest{Protocol: 1})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.ChannelList, []AddedChannel{{ChannelSn: "c1"}, {ChannelSn: "c2"}}) || !reflect.DeepEqual(got.QRCode, []string{"q1", "q2"}) {
		t.Fatalf("got %+v", got)
	}
}

func TestGetDeviceResponse(t *testing.T) {
	srv, _ := fakeServer(t, 200, ok(`{"deviceSn":"d1","deviceName":"Camera","protocol":"5","onlineStatus":1,
		"channelList":[{"channelId":0,"channelName":"c0","onlineStatus":2},{"channelSn":"s1","channelName":"c1","onlineStatus":0}],
		"firmwareVersion":"1.2","isIntranet":2,"isSubDomain":2,"manufacturer":"Dahua","model":"X","ip":"10.0.0.9","port":"37777"}`))
	got, err := testClient(srv).GetDevice(context.Background(), "d1")
	if err != nil {
		t.Fatal(err)
	}
	want := &DeviceDetail{DeviceSn: "d1", DeviceName: "Camera", Protocol: "5", OnlineStatus: 1,
		ChannelList:     []Channel{{ChannelID: Int(0), ChannelName: "c0", OnlineStatus: 2}, {ChannelSn: "s1", ChannelName: "c1"}},
		FirmwareVersion: "1.2", IsIntranet: 2, IsSubDomain: 2, Manufacturer: "Dahua", Model: "X", IP: "10.0.0.9", Port: "37777"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v", got)
	}
}

func TestListDevicesResponse(t *testing.T) {
	srv, _ := fakeServer(t, 200, `{"resultCode":"000000","resultMsg":"成功","total":11,"page":2,"pageSize":10,
		"data":[{"deviceSn":"d11","deviceName":"n","protocol":1,"deviceType":1,"onlineStatus":1,"isIntranet":2,"isSubDomain":2}]}`)
	list, page, err := testClient(srv).ListDevices(context.Background(), 2, 10)
	if err != nil {
		t.Fatal(err)
	}
	if page != (Page{Total: 11, Page: 2, PageSize: 10}) {
		t.Errorf("page %+v", page)
	}
	want := []DeviceSummary{{DeviceSn: "d11", DeviceName: "n", Protocol: 1, DeviceType: 1, OnlineStatus: 1, IsIntranet: 2, IsSubDomain: 2}}
	if !reflect.DeepEqual(list, want) {
		t.Fatalf("got %+v", list)
	}
}

func TestSmallResponses(t *testing.T) {
	ctx := context.Background()
	srv, _ := fakeServer(t, 200, ok(`{"deviceToken":"tok"}`))
	if tok, err := testClient(srv).GetDeviceToken(ctx, "d1"); err != nil || tok != "tok" {
		t.Errorf("token %q %v", tok, err)
	}
	srv, _ = fakeServer(t, 200, ok(`{"ip":"1.2.3.4","port":"8000"}`))
	if ip, err := testClient(srv).GetDeviceIP(ctx, "d1"); err != nil || *ip != (DeviceIP{"1.2.3.4", "8000"}) {
		t.Errorf("ip %+v %v", ip, err)
	}
	srv, _ = fakeServer(t, 200, ok(`{"channelList":[{"channelName":"c","channelSn":"s"}]}`))
	if r, err := testClient(srv).AddChannels(ctx, AddChannelsRequest{DeviceSn: "d"}); err != nil || !reflect.DeepEqual(r.ChannelList, []AddedChannel{{"c", "s"}}) {
		t.Errorf("channels %+v %v", r, err)
	}
	srv, _ = fakeServer(t, 200, ok(`{"platformInformations":[{"platformId":"p1","platformName":"北京","supportList":[{"supportId":"2","supportName":"国标协议"}]}]}`))
	ps, err := testClient(srv).PlatformsByArea(ctx, "110000")
	if err != nil || !reflect.DeepEqual(ps, []Platform{{PlatformID: "p1", PlatformName: "北京", SupportList: []SupportedProtocol{{"2", "国标协议"}}}}) {
		t.Errorf("platforms %+v %v", ps, err)
	}
}

func TestGetAccessNodesResponse(t *testing.T) {
	srv, _ := fakeServer(t, 200, ok(`[{"platformName":"n1","status":"1","host":"gw.example","hostPort":"443",
		"ipv4":"1.1.1.1","ipv4Port":"1","ipv6":"::1","ipv6Port":"2","domainIntranet":"in.example","portIntranet":"3",
		"ipv4Intranet":"10.0.0.1","ipv4PortIntranet":"4","Ipv6Intranet":"fd00::1","Ipv6PortIntranet":"5",
		"sipSerIpIntranet":"10.0.0.2","sipSerPortIntranet":"5060","sipSerIpv6Intranet":"fd00::2","sipSerIpv6PortIntranet":"5061",
		"sipSerHostIntranet":"sip.in","sipSerHostPortIntranet":"5062","sipId":"34020000002000000001","sipDomain":"3402000000",
		"sipHost":"sip.example","sipHostPort":"5063","sipIpv4":"2.2.2.2","sipIpv4Port":"5064","sipIpv6":"2001::1","sipIpv6Port":"5065"}]`))
	got, err := testClient(srv).GetAccessNodes(context.Background(), "d1")
	if err != nil {
		t.Fatal(err)
	}
	want := []AccessNode{{PlatformName: "n1", Status: "1", Host: "gw.example", HostPort: "443",
		IPv4: "1.1.1.1", IPv4Port: "1", IPv6: "::1", IPv6Port: "2", DomainIntranet: "in.example", PortIntranet: "3",
		IPv4Intranet: "10.0.0.1", IPv4PortIntranet: "4", IPv6Intranet: "fd00::1", IPv6PortIntranet: "5",
		SIPSerIPIntranet: "10.0.0.2", SIPSerPortIntranet: "5060", SIPSerIPv6Intranet: "fd00::2", SIPSerIPv6PortIntranet: "5061",
		SIPSerHostIntranet: "sip.in", SIPSerHostPortIntranet: "5062", SIPID: "34020000002000000001", SIPDomain: "3402000000",
		SIPHost: "sip.example", SIPHostPort: "5063", SIPIPv4: "2.2.2.2", SIPIPv4Port: "5064", SIPIPv6: "2001::1", SIPIPv6Port: "5065"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v", got)
	}
}
