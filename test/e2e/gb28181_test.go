package e2e

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/vionet/vionet/internal/southbound/gb28181/refdevice"
	"github.com/vionet/vionet/sdk"
)

// gbServerFlags make liveness and queries fast enough for tests.
var gbServerFlags = []string{"--sip-keepalive-interval", "1s", "--sip-keepalive-misses", "3", "--sip-request-timeout", "3s"}

// startDevice runs a reference device with the code and password vionet issued.
func startDevice(t *testing.T, s *server, k tenantKeys, d *sdk.AddDeviceResponse, transport, version string) *refdevice.Device {
	t.Helper()
	pwd, err := sdk.DecryptSecret(k.PrivateKey, d.LoginPwd)
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, ch := range d.ChannelList {
		codes = append(codes, ch.ChannelSn)
	}
	dev, err := refdevice.New(refdevice.Config{
		ServerID: d.SIPServerID, ServerDomain: d.SIPServerDomain, ServerAddr: s.sipAddr, Transport: transport,
		DeviceID: d.DeviceSn, Password: pwd, ChannelCodes: codes, Version: version,
		KeepaliveInterval: 500 * time.Millisecond, Manufacturer: "VIONET", Model: "REF-" + transport, Firmware: "V5.7.3 build 260101",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); dev.StopSilently() })
	if err := dev.Start(ctx); err != nil {
		t.Fatalf("device %s did not register over %s: %v", d.DeviceSn, transport, err)
	}
	return dev
}

// An NVR over TCP and an IPC over UDP register with the credentials vionet issued; detail
// shows them online with firmware; the NVR's 16 channels come online with their Chinese
// names; an alarm arrives as a signed push; device recordings list; keepalives stopping
// turn a device offline with one push.
func TestGB28181Devices(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		s := startServer(t, e, gbServerFlags...)
		k := s.addTenant()
		c := s.client(k)
		cx := ctx(t)
		rcv := newReceiver(t, k, "")
		for _, typ := range []int{sdk.MsgOnline, sdk.MsgAlarm, sdk.MsgChannelChange} {
			if err := c.Subscribe(cx, "http://"+rcv.addr+"/push", typ); err != nil {
				t.Fatal(err)
			}
		}
		nvr, err := c.AddDevice(cx, sdk.AddDeviceRequest{Protocol: 1, DeviceType: 2, ChannelCount: 16})
		if err != nil {
			t.Fatal(err)
		}
		ipc, err := c.AddDevice(cx, sdk.AddDeviceRequest{Protocol: 1, DeviceType: 1})
		if err != nil {
			t.Fatal(err)
		}
		nvrDev := startDevice(t, s, k, nvr, "tcp", "2016")
		ipcDev := startDevice(t, s, k, ipc, "udp", "2022")

		for _, sn := range []string{nvr.DeviceSn, ipc.DeviceSn} {
			eventually(t, 10*time.Second, sn+" online with firmware", func() bool {
				det, err := c.GetDevice(cx, sn)
				return err == nil && det.OnlineStatus == 1 && det.FirmwareVersion == "V5.7.3 build 260101" && det.Manufacturer == "VIONET"
			})
		}
		eventually(t, 15*time.Second, "NVR channels online with names", func() bool {
			det, err := c.GetDevice(cx, nvr.DeviceSn)
			if err != nil || len(det.ChannelList) != 16 {
				return false
			}
			for i, ch := range det.ChannelList {
				if ch.OnlineStatus != 1 || ch.ChannelName != "通道"+strconv.Itoa(i+1) {
					return false
				}
			}
			return true
		})
		// vionet subscribed to alarms on both, and to catalog changes on the 2022 IPC.
		for _, want := range []struct {
			dev *refdevice.Device
			cmd string
		}{{nvrDev, "Alarm"}, {ipcDev, "Alarm"}, {ipcDev, "Catalog"}} {
			wctx, cancel := context.WithTimeout(cx, 10*time.Second)
			if _, err := want.dev.WaitReceived(wctx, func(r refdevice.Received) bool {
				return r.Method == "SUBSCRIBE" && r.CmdType == want.cmd
			}); err != nil {
				t.Errorf("%s: no %s SUBSCRIBE: %v", want.dev.ID(), want.cmd, err)
			}
			cancel()
		}
		ip, err := c.GetDeviceIP(cx, ipc.DeviceSn)
		if err != nil || ip.IP != "127.0.0.1" || ip.Port != portOf(ipcDev.LocalAddr()) {
			t.Errorf("IPC address %+v (device at %s): %v", ip, ipcDev.LocalAddr(), err)
		}

		// On demand channel retrieval goes to the device and back.
		chans, err := c.RetrieveChannels(cx, nvr.DeviceSn)
		if err != nil || len(chans) != 16 || chans[0].ChannelSn != nvr.ChannelList[0].ChannelSn {
			t.Errorf("retrieval: %d channels %v", len(chans), err)
		}

		// A video alarm (method 5, type 2 motion) on channel 3 → msgType 1 with 5.2 code 1.
		if err := nvrDev.RaiseAlarm(1, 5, 2, "移动侦测", nvr.ChannelList[2].ChannelSn); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, "alarm push", func() bool {
			for _, m := range pushData[sdk.AlarmMsg](t, rcv, sdk.MsgAlarm) {
				if m.DeviceSn == nvr.DeviceSn && m.AlarmType == "1" && m.ChannelID != nil && *m.ChannelID == 2 && m.AlarmMsgContent == "移动侦测" {
					return true
				}
			}
			return false
		})

		// Device recordings of one NVR channel over the last hour, paged.
		now := time.Now()
		recs, err := c.ListRecords(cx, sdk.RecordListRequest{DeviceSn: nvr.ChannelList[0].ChannelSn, StorageType: sdk.StorageDevice,
			StreamType: 1, RecordType: 1, StartTime: ms(now.Add(-time.Hour)), EndTime: ms(now), PageSize: 3, Sort: "2"})
		if err != nil {
			t.Fatal(err)
		}
		if len(recs.RecordList) != 3 || recs.HasMore != 1 || recs.RecordList[0].StorageType != "1" || recs.RecordList[0].RecordID == "" ||
			recs.RecordList[0].StartTime > recs.RecordList[1].StartTime {
			t.Errorf("records: %+v", recs)
		}
		days, err := c.RecordExist(cx, sdk.RecordExistRequest{DeviceSn: ipc.DeviceSn, RecordType: 1, StorageType: "1"})
		if err != nil || len(days) != 1 || days[0].HasRecord != "1" || days[0].Date != now.Format(time.DateOnly) {
			t.Errorf("record days: %+v %v", days, err)
		}
		if _, err := c.ListRecords(cx, sdk.RecordListRequest{DeviceSn: nvr.DeviceSn, StorageType: sdk.StorageDevice,
			StreamType: 1, RecordType: 1, StartTime: ms(now.Add(-time.Hour)), EndTime: ms(now)}); !sdk.IsCode(err, "000003") {
			t.Errorf("records of a whole NVR: want 000003, got %v", err)
		}

		// The IPC stops talking: offline once, with one push, within 3 keepalive periods.
		ipcDev.StopSilently()
		eventually(t, 8*time.Second, "IPC offline", func() bool {
			det, err := c.GetDevice(cx, ipc.DeviceSn)
			return err == nil && det.OnlineStatus == 0
		})
		eventually(t, 5*time.Second, "one online and one offline push for the IPC", func() bool {
			on, off := 0, 0
			for _, m := range rcv.onlineMsgs(t) {
				if m.DeviceSn == ipc.DeviceSn && m.ChannelID == nil {
					if m.OnlineType == 1 {
						on++
					} else {
						off++
					}
				}
			}
			return on == 1 && off == 1
		})
		if _, err := c.ListRecords(cx, sdk.RecordListRequest{DeviceSn: ipc.DeviceSn, StorageType: sdk.StorageDevice,
			StreamType: 1, RecordType: 1, StartTime: ms(now.Add(-time.Hour)), EndTime: ms(now)}); !sdk.IsCode(err, "000008") {
			t.Errorf("records of an offline device: want 000008, got %v", err)
		}

		// The NVR unregisters (Expires: 0): offline at once, its channels with it.
		if err := nvrDev.Stop(); err != nil {
			t.Fatal(err)
		}
		eventually(t, 2*time.Second, "NVR and channels offline after unregister", func() bool {
			det, err := c.GetDevice(cx, nvr.DeviceSn)
			return err == nil && det.OnlineStatus == 0 && det.ChannelList[0].OnlineStatus == 0
		})
	})
}

// A restart of vionet does not flap a device that keeps its keepalives going.
func TestGB28181RestartWithoutFlap(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		s := startServer(t, e, gbServerFlags...)
		k := s.addTenant()
		c := s.client(k)
		cx := ctx(t)
		rcv := newReceiver(t, k, "")
		if err := c.Subscribe(cx, "http://"+rcv.addr+"/push", sdk.MsgOnline); err != nil {
			t.Fatal(err)
		}
		ipc, err := c.AddDevice(cx, sdk.AddDeviceRequest{Protocol: 1, DeviceType: 1})
		if err != nil {
			t.Fatal(err)
		}
		dev := startDevice(t, s, k, ipc, "udp", "2016")
		waitOnline(t, c, ipc.DeviceSn, 1)
		s.stop()
		time.Sleep(time.Second)
		s.start()
		c = s.client(k)
		time.Sleep(5 * time.Second) // longer than the 3 s keepalive window
		det, err := c.GetDevice(cx, ipc.DeviceSn)
		if err != nil || det.OnlineStatus != 1 {
			t.Fatalf("after restart: %+v %v", det, err)
		}
		for _, m := range rcv.onlineMsgs(t) {
			if m.DeviceSn == ipc.DeviceSn && m.OnlineType == 0 {
				t.Errorf("false offline push across the restart: %+v", m)
			}
		}
		// The restarted node restored the session: when the device goes quiet, it notices.
		dev.StopSilently()
		eventually(t, 8*time.Second, "offline after the restart", func() bool {
			det, err := c.GetDevice(cx, ipc.DeviceSn)
			return err == nil && det.OnlineStatus == 0
		})
	})
}

// waitOnline waits until device detail shows the wanted onlineStatus.
func waitOnline(t *testing.T, c *sdk.Client, sn string, status int) {
	t.Helper()
	eventually(t, 10*time.Second, fmt.Sprintf("%s onlineStatus %d", sn, status), func() bool {
		det, err := c.GetDevice(context.Background(), sn)
		return err == nil && det.OnlineStatus == status
	})
}

func ms(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

func portOf(addr string) string {
	for i := len(addr) - 1; i >= 0; i-- {
		if addr[i] == ':' {
			return addr[i+1:]
		}
	}
	return ""
}

// Listening on all interfaces, vionet's requests over UDP name the address the device
// registered to in Via, so the device's answers find their way back.
func TestGB28181ListenAllInterfaces(t *testing.T) {
	e := engines(t)[0]
	s := startServer(t, e, append(gbServerFlags, "--sip-addr", "0.0.0.0:0")...)
	s.sipAddr = "127.0.0.1:" + portOf(s.sipAddr)
	k := s.addTenant()
	c := s.client(k)
	cx := ctx(t)
	ipc, err := c.AddDevice(cx, sdk.AddDeviceRequest{Protocol: 1, DeviceType: 1})
	if err != nil {
		t.Fatal(err)
	}
	startDevice(t, s, k, ipc, "udp", "2016")
	eventually(t, 10*time.Second, "DeviceInfo answered (firmware known)", func() bool {
		det, err := c.GetDevice(cx, ipc.DeviceSn)
		return err == nil && det.FirmwareVersion != ""
	})
	if _, err := c.RetrieveChannels(cx, ipc.DeviceSn); err != nil {
		t.Errorf("catalog over UDP with a wildcard listener: %v", err)
	}
}
