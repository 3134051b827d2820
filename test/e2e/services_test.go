package e2e

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/vionet/vionet/sdk"
)

// orderLine is one order as `vionet order` prints it.
type orderLine struct {
	AppID     string `json:"appid"`
	Type      int    `json:"type"`
	Total     int    `json:"total"`
	Used      int    `json:"used"`
	Available int    `json:"available"`
}

func recording(days, bitrate string) sdk.ServiceInfoList {
	l := sdk.ServiceInfoList{{ServCode: sdk.ServCodeType, ServValue: sdk.ServiceFullDayRecording}, {ServCode: sdk.ServCodeCloudDays, ServValue: days}}
	if bitrate != "" {
		l = append(l, sdk.ServiceInfo{ServCode: sdk.ServCodeBitrate, ServValue: bitrate})
	}
	return l
}

func serviceType(t string) sdk.ServiceInfoList {
	return sdk.ServiceInfoList{{ServCode: sdk.ServCodeType, ServValue: t}}
}

// Service plans (4.6.1.1–4.6.1.4) end to end: orders granted with the CLI bound what a tenant
// may open, opens/closes/batches through the SDK (and raw JSON with numbers), the counts of
// 4.6.1.4, all-or-nothing batches, and the errors (000008 no order, 000003 naming the field,
// 000005 another tenant's camera). Devices need not be online.
func TestServicePlans(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		s := startServer(t, e)
		k := s.addTenant()
		c := s.client(k)
		cx := ctx(t)
		ipc, err := c.AddDevice(cx, sdk.AddDeviceRequest{Protocol: 1, DeviceType: 1})
		if err != nil {
			t.Fatal(err)
		}
		nvr, err := c.AddDevice(cx, sdk.AddDeviceRequest{Protocol: 1, DeviceType: 2, ChannelCount: 2})
		if err != nil {
			t.Fatal(err)
		}
		ch0 := nvr.ChannelList[0].ChannelSn

		grant := func(typ, n int) (orderLine, error) {
			out, err := s.cli("order", "grant", "--appid", k.AppID, "--type", fmt.Sprint(typ), "--count", fmt.Sprint(n))
			var o orderLine
			if err == nil {
				err = json.Unmarshal([]byte(out), &o)
			}
			return o, err
		}
		orders := func() map[string]sdk.ServiceOrder {
			t.Helper()
			r, err := c.GetServiceOrders(cx)
			if err != nil {
				t.Fatal(err)
			}
			if r.AppID != k.AppID {
				t.Fatalf("orders of %q", r.AppID)
			}
			m := map[string]sdk.ServiceOrder{}
			for _, o := range r.ServiceOrderList {
				m[o.ServiceInfos.Value(sdk.ServCodeType)] = o
			}
			return m
		}
		wantUsed := func(typ string, total, used int64) {
			t.Helper()
			o := orders()[typ]
			if o.TotalNum != total || o.UsedNum != used || o.AvailableNum != total-used {
				t.Fatalf("order of type %s: %+v, want total %d used %d", typ, o, total, used)
			}
		}
		services := func(sn string, channelID *int) []sdk.DeviceService {
			t.Helper()
			list, err := c.GetDeviceServices(cx, sdk.ServiceTarget{DeviceSn: sn, ChannelID: channelID})
			if err != nil {
				t.Fatal(err)
			}
			return list
		}
		open := func(sn string, infos sdk.ServiceInfoList) error {
			return c.SetDeviceService(cx, sdk.ServiceRequest{DeviceSn: sn, OprType: sdk.OprOpen, ServiceInfos: infos})
		}

		if len(orders()) != 0 {
			t.Fatal("a new tenant has orders")
		}
		wantCode(t, "open without an order", open(ipc.DeviceSn, recording("3", "4")), "000008",
			"no available order for service type 1 (total 0, used 0): ask the operator to grant more")
		if o, err := grant(1, 2); err != nil || o != (orderLine{AppID: k.AppID, Type: 1, Total: 2, Available: 2}) {
			t.Fatalf("grant: %+v %v", o, err)
		}

		// The spec's example: three days of full-day recording at 4 Mbit/s.
		if err := open(ipc.DeviceSn, recording("3", "4")); err != nil {
			t.Fatal(err)
		}
		if got, want := services(ipc.DeviceSn, nil), []sdk.DeviceService{{ServiceInfos: recording("3", "4")}}; !reflect.DeepEqual(got, want) {
			t.Fatalf("4.6.1.2: %+v", got)
		}
		wantUsed(sdk.ServiceFullDayRecording, 2, 1)

		// Re-opening updates the attributes without using the order again; oprType and values
		// may be numbers.
		if _, err := c.DoRaw(cx, "PUT", sdk.PathServicePlan, `{"deviceSn":"`+ipc.DeviceSn+`","oprType":1,"packageType":2,
			"serviceInfos":[{"servCode":10002010001,"servValue":7},{"servCode":"10002010004","servValue":"1"}]}`, nil); err != nil {
			t.Fatal(err)
		}
		if got := services(ipc.DeviceSn, nil); len(got) != 1 || !reflect.DeepEqual(got[0].ServiceInfos, recording("7", "")) {
			t.Fatalf("after re-open: %+v", got)
		}
		wantUsed(sdk.ServiceFullDayRecording, 2, 1)

		// The NVR's first channel by its code takes the last unit; the second (by channelId) is refused.
		if err := open(ch0, recording("30", "")); err != nil {
			t.Fatal(err)
		}
		err = c.SetDeviceService(cx, sdk.ServiceRequest{DeviceSn: nvr.DeviceSn, ChannelID: sdk.Int(1), OprType: sdk.OprOpen, ServiceInfos: recording("3", "")})
		wantCode(t, "open beyond the order", err, "000008", "no available order for service type 1 (total 2, used 2)")
		if got := services(nvr.DeviceSn, sdk.Int(0)); len(got) != 1 || got[0].ServiceInfos.Value(sdk.ServCodeCloudDays) != "30" {
			t.Fatalf("channel 0 by channelId: %+v", got)
		}
		if _, err := grant(1, -1); err == nil || !strings.Contains(err.Error(), "2 cameras have it open") {
			t.Fatalf("reducing below used: %v", err)
		}
		out, err := s.cli("order", "list")
		var lines []orderLine
		if err == nil {
			err = json.Unmarshal([]byte(out), &lines)
		}
		if err != nil || !reflect.DeepEqual(lines, []orderLine{{AppID: k.AppID, Type: 1, Total: 2, Used: 2}}) {
			t.Fatalf("order list: %s %v", out, err)
		}

		// Closing: by type, again (a no-op), and everything without serviceInfos.
		for range 2 {
			if err := c.SetDeviceService(cx, sdk.ServiceRequest{DeviceSn: ipc.DeviceSn, OprType: sdk.OprClose, ServiceInfos: serviceType("1")}); err != nil {
				t.Fatal(err)
			}
		}
		wantUsed(sdk.ServiceFullDayRecording, 2, 1)
		if err := c.SetDeviceService(cx, sdk.ServiceRequest{DeviceSn: ch0, OprType: sdk.OprClose}); err != nil {
			t.Fatal(err)
		}
		wantUsed(sdk.ServiceFullDayRecording, 2, 0)
		if got := services(ipc.DeviceSn, nil); len(got) != 0 {
			t.Fatalf("closed services listed: %+v", got)
		}

		// Batches: two cameras at once; more than 100 items, a bad item or an order running
		// out leaves everything as it was.
		if err := c.SetDeviceServices(cx, []sdk.ServiceOperation{
			{DeviceSn: ipc.DeviceSn, OprType: sdk.OprOpen, ServiceInfos: recording("3", "4")},
			{DeviceSn: nvr.DeviceSn, ChannelID: sdk.Int(1), OprType: sdk.OprOpen, ServiceInfos: recording("3", "")},
		}); err != nil {
			t.Fatal(err)
		}
		wantUsed(sdk.ServiceFullDayRecording, 2, 2)
		many := make([]sdk.ServiceOperation, 101)
		for i := range many {
			many[i] = sdk.ServiceOperation{DeviceSn: ipc.DeviceSn, OprType: sdk.OprClose}
		}
		wantCode(t, "101 items", c.SetDeviceServices(cx, many), "000003", "oprList: at most 100")
		if _, err := grant(4, 1); err != nil {
			t.Fatal(err)
		}
		err = c.SetDeviceServices(cx, []sdk.ServiceOperation{
			{DeviceSn: ipc.DeviceSn, OprType: sdk.OprClose},
			{DeviceSn: ch0, OprType: sdk.OprOpen, ServiceInfos: sdk.ServiceInfoList{{ServCode: "10002010009", ServValue: "1"}}},
		})
		wantCode(t, "bad item", err, "000003", "oprList[1].serviceInfos[0].servCode")
		err = c.SetDeviceServices(cx, []sdk.ServiceOperation{
			{DeviceSn: ipc.DeviceSn, OprType: sdk.OprClose},
			{DeviceSn: ipc.DeviceSn, OprType: sdk.OprOpen, ServiceInfos: serviceType(sdk.ServiceLiveLicence)},
			{DeviceSn: ch0, OprType: sdk.OprOpen, ServiceInfos: serviceType(sdk.ServiceLiveLicence)},
		})
		wantCode(t, "batch beyond the order", err, "000008", "oprList[2]: no available order for service type 4 (total 1, used 1)")
		if got := services(ipc.DeviceSn, nil); len(got) != 1 || !reflect.DeepEqual(got[0].ServiceInfos, recording("3", "4")) {
			t.Fatalf("a failed batch changed services: %+v", got)
		}
		wantUsed(sdk.ServiceFullDayRecording, 2, 2)
		wantUsed(sdk.ServiceLiveLicence, 1, 0)

		// Errors name the field; another tenant's camera is 000005.
		wantCode(t, "unknown servCode", open(ipc.DeviceSn, sdk.ServiceInfoList{{ServCode: sdk.ServCodeType, ServValue: "1"}, {ServCode: "123", ServValue: "3"}}),
			"000003", "serviceInfos[1].servCode")
		wantCode(t, "service type 2", open(ipc.DeviceSn, serviceType("2")), "000003", "serviceInfos[0].servValue")
		wantCode(t, "no days", open(ipc.DeviceSn, serviceType("1")), "000003", "10002010001")
		wantCode(t, "bad oprType", c.SetDeviceService(cx, sdk.ServiceRequest{DeviceSn: ipc.DeviceSn, OprType: "03"}), "000003", "oprType")
		wantCode(t, "NVR without channel", open(nvr.DeviceSn, serviceType("4")), "000003", "deviceSn")
		other := s.client(s.addTenant())
		wantCode(t, "foreign camera", other.SetDeviceService(cx, sdk.ServiceRequest{DeviceSn: ipc.DeviceSn, OprType: sdk.OprClose}), "000005", ipc.DeviceSn)
		_, err = other.GetDeviceServices(cx, sdk.ServiceTarget{DeviceSn: ipc.DeviceSn})
		wantCode(t, "foreign camera query", err, "000005", "another tenant")
		wantCode(t, "foreign camera in a batch", other.SetDeviceServices(cx, []sdk.ServiceOperation{{DeviceSn: ipc.DeviceSn, OprType: sdk.OprClose}}),
			"000005", "oprList[0]")

		// A device with open services is deleted only with force=1, which drops them.
		err = c.DeleteDevice(cx, sdk.DeleteDeviceRequest{DeleteType: sdk.DeleteTypeDevice, DeviceSn: nvr.DeviceSn})
		wantCode(t, "delete without force", err, "000008", "force=1")
		if err := c.DeleteDevice(cx, sdk.DeleteDeviceRequest{DeleteType: sdk.DeleteTypeDevice, DeviceSn: nvr.DeviceSn, Force: "1"}); err != nil {
			t.Fatal(err)
		}
		wantUsed(sdk.ServiceFullDayRecording, 2, 1)
	})
}
