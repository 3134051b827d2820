package e2e

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/vionet/vionet/sdk"
)

var gbCode = regexp.MustCompile(`^[0-9]{20}$`)

func TestDeviceLifecycle(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		s := startServer(t, e, "--public-host", "203.0.113.7", "--intranet-host", "10.1.2.3", "--sip-domain", "4401000000",
			"--sip-id", "44010000002000000001", "--area-codes", "4401,4402")
		k := s.addTenant()
		c := s.client(k)
		cx := ctx(t)

		ipc, err := c.AddDevice(cx, sdk.AddDeviceRequest{Protocol: 1, DeviceType: 1, DeviceName: "门口 Camera (1)"})
		if err != nil {
			t.Fatal(err)
		}
		if !gbCode.MatchString(ipc.DeviceSn) || !strings.HasPrefix(ipc.DeviceSn, "4401000000132") {
			t.Errorf("IPC code %q: want 20 digits under the domain with type 132", ipc.DeviceSn)
		}
		if ipc.SIPServerID != "44010000002000000001" || ipc.SIPServerDomain != "4401000000" || ipc.SIPServerIP != "203.0.113.7" ||
			ipc.SIPServerPort == "" || ipc.LoginName != ipc.DeviceSn {
			t.Errorf("SIP access info: %+v", ipc)
		}
		pwd, err := sdk.DecryptSecret(k.PrivateKey, ipc.LoginPwd)
		if err != nil {
			t.Fatalf("loginPwd does not decrypt with the tenant's private key: %v", err)
		}
		if len(pwd) < 12 || !regexp.MustCompile(`[A-Z]`).MatchString(pwd) || !regexp.MustCompile(`[0-9]`).MatchString(pwd) {
			t.Errorf("weak loginPwd %q", pwd)
		}

		nvr, err := c.AddDevice(cx, sdk.AddDeviceRequest{Protocol: 1, DeviceType: 2, ChannelCount: 16, IsIntranet: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(nvr.ChannelList) != 16 || nvr.SIPServerIP != "10.1.2.3" {
			t.Fatalf("NVR: %d channels, SIP IP %s", len(nvr.ChannelList), nvr.SIPServerIP)
		}
		seen := map[string]bool{}
		for _, ch := range nvr.ChannelList {
			if !gbCode.MatchString(ch.ChannelSn) || ch.ChannelSn[10:13] != "131" || seen[ch.ChannelSn] {
				t.Errorf("channel code %q", ch.ChannelSn)
			}
			seen[ch.ChannelSn] = true
		}

		det, err := c.GetDevice(cx, nvr.DeviceSn)
		if err != nil {
			t.Fatal(err)
		}
		if det.Protocol != "1" || det.DeviceType != 2 || len(det.ChannelList) != 16 || det.IsIntranet != 1 || det.IsSubDomain != 2 ||
			det.DeviceName != "Camera" || det.OnlineStatus != 0 {
			t.Errorf("detail: %+v", det)
		}
		if p2, err := sdk.DecryptSecret(k.PrivateKey, det.LoginPwd); err != nil || p2 == "" {
			t.Errorf("detail loginPwd: %v", err)
		}
		if _, err := c.GetDevice(cx, nvr.ChannelList[0].ChannelSn); !sdk.IsCode(err, "000003") {
			t.Errorf("detail of a channel code: want 000003, got %v", err)
		}
		if _, err := c.GetDevice(cx, "44010000001329999999"); !sdk.IsCode(err, "000003") {
			t.Errorf("unknown device: %v", err)
		}

		tok, err := c.GetDeviceToken(cx, ipc.DeviceSn)
		if err != nil || len(tok) != 32 {
			t.Errorf("token %q %v", tok, err)
		}
		if _, err := c.GetDeviceIP(cx, ipc.DeviceSn); !sdk.IsCode(err, "000008") {
			t.Errorf("IP of a never-connected device: want 000008, got %v", err)
		}
		nodes, err := c.GetAccessNodes(cx, ipc.DeviceSn)
		if err != nil || len(nodes) != 1 || nodes[0].SIPID != "44010000002000000001" || nodes[0].SIPIPv4 != "203.0.113.7" ||
			nodes[0].SIPSerIPIntranet != "10.1.2.3" || nodes[0].Status != "1" {
			t.Errorf("access nodes: %+v %v", nodes, err)
		}

		// Add channels to the NVR, rename one by its code, delete another.
		added, err := c.AddChannels(cx, sdk.AddChannelsRequest{DeviceSn: nvr.DeviceSn, Channels: []sdk.NewChannel{{ChannelName: "大门"}, {}}})
		if err != nil || len(added.ChannelList) != 2 || added.ChannelList[0].ChannelName != "大门" {
			t.Fatalf("add channels: %+v %v", added, err)
		}
		if _, err := c.AddChannels(cx, sdk.AddChannelsRequest{DeviceSn: ipc.DeviceSn, Channels: []sdk.NewChannel{{}}}); !sdk.IsCode(err, "000008") {
			t.Errorf("channels on an IPC: %v", err)
		}
		eleven := make([]sdk.NewChannel, 11)
		if _, err := c.AddChannels(cx, sdk.AddChannelsRequest{DeviceSn: nvr.DeviceSn, Channels: eleven}); !sdk.IsCode(err, "000003") {
			t.Errorf("11 channels: %v", err)
		}
		if err := c.RenameDevice(cx, sdk.RenameDeviceRequest{DeviceSn: added.ChannelList[1].ChannelSn, DeviceName: "后门"}); err != nil {
			t.Fatal(err)
		}
		if err := c.RenameDevice(cx, sdk.RenameDeviceRequest{DeviceSn: nvr.DeviceSn, DeviceName: "仓库 NVR"}); err != nil {
			t.Fatal(err)
		}
		if err := c.RenameDevice(cx, sdk.RenameDeviceRequest{DeviceSn: nvr.DeviceSn, DeviceName: "!!!"}); !sdk.IsCode(err, "000003") {
			t.Errorf("symbols-only name: %v", err)
		}
		if err := c.DeleteDevice(cx, sdk.DeleteDeviceRequest{DeleteType: 2, DeviceSn: nvr.DeviceSn, ChannelSn: nvr.ChannelList[0].ChannelSn}); err != nil {
			t.Fatal(err)
		}
		if err := c.DeleteDevice(cx, sdk.DeleteDeviceRequest{DeleteType: 2, DeviceSn: nvr.DeviceSn}); !sdk.IsCode(err, "000003") {
			t.Errorf("delete channel without channelSn: %v", err)
		}
		det, err = c.GetDevice(cx, nvr.DeviceSn)
		if err != nil {
			t.Fatal(err)
		}
		names := map[string]string{}
		for _, ch := range det.ChannelList {
			names[ch.ChannelSn] = ch.ChannelName
		}
		if det.DeviceName != "仓库 NVR" || len(det.ChannelList) != 17 || names[added.ChannelList[1].ChannelSn] != "后门" ||
			names[nvr.ChannelList[0].ChannelSn] != "" {
			t.Errorf("after edits: name %q, %d channels, %v", det.DeviceName, len(det.ChannelList), names)
		}

		// Platforms by area: prefixes from --area-codes.
		ps, err := c.PlatformsByArea(cx, "440105")
		if err != nil || len(ps) != 1 || ps[0].PlatformID != "1" || len(ps[0].SupportList) == 0 || ps[0].SupportList[0].SupportID != "2" {
			t.Errorf("platforms for 440105: %+v %v", ps, err)
		}
		if ps, err := c.PlatformsByArea(cx, "110000"); err != nil || len(ps) != 0 {
			t.Errorf("platforms for 110000: %+v %v", ps, err)
		}

		// DELETE also takes its parameters as a JSON body.
		del := rawCall{appID: k.AppID, secret: k.SecretKey, method: http.MethodDelete, path: "/cmiot/v2/api/device",
			params: `{"deleteType":2,"deviceSn":"` + nvr.DeviceSn + `","channelSn":"` + nvr.ChannelList[1].ChannelSn + `","force":"0"}`, deleteBody: true}
		expectCode(t, "DELETE with a JSON body", del.do(t, s.url()), "000000", "")

		// Delete the IPC; it is gone.
		if err := c.DeleteDevice(cx, sdk.DeleteDeviceRequest{DeleteType: 1, DeviceSn: ipc.DeviceSn}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.GetDevice(cx, ipc.DeviceSn); !sdk.IsCode(err, "000003") {
			t.Errorf("deleted device still answers: %v", err)
		}
	})
}

func TestForeignTenant(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		s := startServer(t, e)
		a, b := s.addTenant(), s.addTenant()
		ca, cb := s.client(a), s.client(b)
		cx := ctx(t)
		nvr, err := ca.AddDevice(cx, sdk.AddDeviceRequest{Protocol: 1, DeviceType: 2, ChannelCount: 2})
		if err != nil {
			t.Fatal(err)
		}
		checks := map[string]error{}
		_, checks["detail"] = cb.GetDevice(cx, nvr.DeviceSn)
		_, checks["token"] = cb.GetDeviceToken(cx, nvr.DeviceSn)
		_, checks["ip"] = cb.GetDeviceIP(cx, nvr.DeviceSn)
		_, checks["access nodes by channel"] = cb.GetAccessNodes(cx, nvr.ChannelList[0].ChannelSn)
		checks["rename"] = cb.RenameDevice(cx, sdk.RenameDeviceRequest{DeviceSn: nvr.DeviceSn, DeviceName: "mine"})
		checks["delete"] = cb.DeleteDevice(cx, sdk.DeleteDeviceRequest{DeleteType: 1, DeviceSn: nvr.DeviceSn})
		_, checks["add channels"] = cb.AddChannels(cx, sdk.AddChannelsRequest{DeviceSn: nvr.DeviceSn, Channels: []sdk.NewChannel{{}}})
		for what, err := range checks {
			if !sdk.IsCode(err, "000005") {
				t.Errorf("%s on another tenant's device: want 000005, got %v", what, err)
			}
		}
		list, page, err := cb.ListDevices(cx, 1, 10)
		if err != nil || len(list) != 0 || page.Total != 0 {
			t.Errorf("other tenant lists %d devices (total %d): %v", len(list), page.Total, err)
		}
		if _, err := ca.GetDevice(cx, nvr.DeviceSn); err != nil {
			t.Errorf("owner lost the device: %v", err)
		}
	})
}

func TestPaginationAndEnvelope(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		s := startServer(t, e)
		k := s.addTenant()
		c := s.client(k)
		cx := ctx(t)
		list, page, err := c.ListDevices(cx, 0, 0)
		if err != nil || len(list) != 0 || page.Total != 0 || page.Page != 1 || page.PageSize != 10 {
			t.Fatalf("empty list: %v %+v %v", list, page, err)
		}
		var sns []string
		for range 23 {
			d, err := c.AddDevice(cx, sdk.AddDeviceRequest{Protocol: 1, DeviceType: 1})
			if err != nil {
				t.Fatal(err)
			}
			sns = append(sns, d.DeviceSn)
		}
		var got []string
		for p := 1; p <= 3; p++ {
			list, page, err := c.ListDevices(cx, p, 10)
			if err != nil {
				t.Fatal(err)
			}
			want := min(10, 23-(p-1)*10)
			if len(list) != want || page.Total != 23 || page.Page != p || page.PageSize != 10 {
				t.Fatalf("page %d: %d items, %+v", p, len(list), page)
			}
			for _, d := range list {
				got = append(got, d.DeviceSn)
			}
		}
		if strings.Join(got, ",") != strings.Join(sns, ",") {
			t.Errorf("pages do not list every device once in order")
		}
		if list, page, err := c.ListDevices(cx, 4, 10); err != nil || len(list) != 0 || page.Total != 23 {
			t.Errorf("page past the end: %d items %+v %v", len(list), page, err)
		}
		if list, _, err := c.ListDevices(cx, 1, 100); err != nil || len(list) != 23 {
			t.Errorf("pageSize 100: %d %v", len(list), err)
		}
		for _, bad := range [][2]int{{1, 101}, {-1, 10}, {1, -5}} {
			if _, _, err := c.ListDevices(cx, bad[0], bad[1]); !sdk.IsCode(err, "000003") {
				t.Errorf("page %v: want 000003, got %v", bad, err)
			}
		}

		// The exact envelope: key order and types as 4.3.1's example.
		env := rawCall{appID: k.AppID, secret: k.SecretKey, method: http.MethodGet, path: "/cmiot/v2/api/device/list",
			params: `{"page":"2","pageSize":"20"}`}.do(t, s.url())
		if !strings.HasPrefix(env.raw, `{"resultCode":"000000","resultMsg":"成功","total":23,"page":2,"pageSize":20,"data":[{"deviceSn":"`) {
			t.Errorf("envelope: %s", env.raw)
		}
		errEnv := rawCall{appID: k.AppID, secret: k.SecretKey, method: http.MethodGet, path: "/cmiot/v2/api/device", params: `{}`}.do(t, s.url())
		if errEnv.raw != `{"resultCode":"000003","resultMsg":"请求参数不合法: deviceSn: is required"}` {
			t.Errorf("error envelope: %s", errEnv.raw)
		}
	})
}
