package e2e

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vionet/vionet/internal/southbound/gb28181/manscdp"
	"github.com/vionet/vionet/internal/southbound/gb28181/refdevice"
	"github.com/vionet/vionet/sdk"
)

// ptzServerFlags: fast liveness, and a 2 s bound on every exchange with a device.
var ptzServerFlags = []string{"--sip-keepalive-interval", "1s", "--sip-keepalive-misses", "3", "--sip-request-timeout", "2s"}

// wireLog reads what a reference device received since the last call.
type wireLog struct {
	t    *testing.T
	dev  *refdevice.Device
	seen int
}

func newWireLog(t *testing.T, dev *refdevice.Device) *wireLog {
	return &wireLog{t: t, dev: dev, seen: len(dev.Received())}
}

// next returns the DeviceControl/Query messages received since the last call.
func (w *wireLog) next() []refdevice.Received {
	all := w.dev.Received()
	out := all[w.seen:]
	w.seen = len(all)
	return out
}

// ptz returns the PTZCmds received since the last call, checking each went to target.
func (w *wireLog) ptz(target string) []string {
	w.t.Helper()
	var cmds []string
	for _, r := range w.next() {
		if r.CmdType != manscdp.CmdDeviceControl {
			continue
		}
		if r.DeviceID != target {
			w.t.Errorf("DeviceControl for %s, want %s", r.DeviceID, target)
		}
		cmds = append(cmds, r.PTZCmd)
	}
	return cmds
}

// control returns the single DeviceControl received since the last call, decoded.
func (w *wireLog) control(target string) *manscdp.DeviceControl {
	w.t.Helper()
	var got []refdevice.Received
	for _, r := range w.next() {
		if r.CmdType == manscdp.CmdDeviceControl {
			got = append(got, r)
		}
	}
	if len(got) != 1 || got[0].DeviceID != target {
		w.t.Fatalf("want one DeviceControl for %s, got %+v", target, got)
	}
	m, err := manscdp.Decode([]byte(got[0].Raw))
	if err != nil {
		w.t.Fatal(err)
	}
	var c manscdp.DeviceControl
	if err := m.Into(&c); err != nil {
		w.t.Fatal(err)
	}
	return &c
}

func wantCode(t *testing.T, what string, err error, code, msgPart string) {
	t.Helper()
	if !sdk.IsCode(err, code) || !strings.Contains(err.Error(), msgPart) {
		t.Errorf("%s: want %s mentioning %q, got %v", what, code, msgPart, err)
	}
}

func intp(v int) *int { return &v }

// Every 4.5.2 endpoint against reference devices: a GB/T 28181-2016 NVR over TCP (PTZ on its
// channels) and a 2022 IPC over UDP. Each call is checked on the wire (the exact PTZCmd or
// MANSCDP the device received) and in its answer; a cruise schedule fires on time, also after
// a restart; a silent device is 000009 within the request timeout, an offline one 000008 at
// once.
func TestGB28181PTZ(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		s := startServer(t, e, ptzServerFlags...)
		k := s.addTenant()
		c := s.client(k)
		cx := ctx(t)
		nvr, err := c.AddDevice(cx, sdk.AddDeviceRequest{Protocol: 1, DeviceType: 2, ChannelCount: 2})
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
			waitOnline(t, c, sn, 1)
		}
		// vionet learns a new device (DeviceInfo, Catalog, then the alarm SUBSCRIBE) in the
		// background; wait for it to finish so only PTZ traffic follows on the wire.
		for _, dev := range []*refdevice.Device{nvrDev, ipcDev} {
			wctx, cancel := context.WithTimeout(cx, 15*time.Second)
			if _, err := dev.WaitReceived(wctx, func(r refdevice.Received) bool {
				return r.Method == "SUBSCRIBE" && r.CmdType == "Alarm"
			}); err != nil {
				t.Fatalf("%s: learning did not finish: %v", dev.ID(), err)
			}
			cancel()
		}
		ch := nvr.ChannelList[1].ChannelSn // the NVR's second channel, a 2016 head
		head := sdk.PTZTarget{DeviceSn: ch}
		w := newWireLog(t, nvrDev)

		// 4.5.2.1: motions start and stop with the exact PTZCmd, addressed to the channel
		// through the NVR's session.
		for _, tc := range []struct {
			name           string
			command, speed int
			want           string
		}{
			{"up at 1", sdk.PTZUp, 1, "A50F010824240005"},
			{"down-right at 7", sdk.PTZDownRight, 7, "A50F0105FCFC00B2"},
			{"left at 3", sdk.PTZLeft, 3, "A50F01026C6C008F"},
			{"zoom in (焦距变大) at 7", sdk.PTZZoomIn, 7, "A50F01100000F0B5"},
			{"image out (图像缩小) at 4", sdk.PTZImageOut, 4, "A50F012000009065"},
			{"iris open at 2", sdk.PTZIrisOpen, 2, "A50F014400480041"},
		} {
			if err := c.PTZControl(cx, sdk.PTZControlRequest{DeviceSn: ch, Command: tc.command, Action: sdk.PTZActionGo, Speed: tc.speed}); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if got := w.ptz(ch); !reflect.DeepEqual(got, []string{tc.want}) {
				t.Errorf("%s: device received %v, want %s", tc.name, got, tc.want)
			}
		}
		if err := c.PTZControl(cx, sdk.PTZControlRequest{DeviceSn: ch, Command: sdk.PTZUp, Action: sdk.PTZActionStop}); err != nil {
			t.Fatal(err)
		}
		if got := w.ptz(ch); !reflect.DeepEqual(got, []string{"A50F0100000000B5"}) {
			t.Errorf("stop: device received %v", got)
		}
		if err := c.PTZControl(cx, sdk.PTZControlRequest{DeviceSn: ch, Command: sdk.PTZIrisOpen, Action: sdk.PTZActionStop}); err != nil {
			t.Fatal(err)
		}
		if got := w.ptz(ch); !reflect.DeepEqual(got, []string{"A50F0140000000F5"}) {
			t.Errorf("iris stop: device received %v", got)
		}
		// channelId selects an NVR channel too.
		if err := c.PTZControl(cx, sdk.PTZControlRequest{DeviceSn: nvr.DeviceSn, ChannelID: intp(1), Command: sdk.PTZUp, Action: sdk.PTZActionStop}); err != nil {
			t.Fatal(err)
		}
		if got := w.ptz(ch); len(got) != 1 {
			t.Errorf("stop by channelId: device received %v", got)
		}
		err = c.PTZControl(cx, sdk.PTZControlRequest{DeviceSn: nvr.DeviceSn, Command: sdk.PTZUp, Speed: 1})
		wantCode(t, "PTZ on a whole NVR", err, "000003", "NVR")
		err = c.PTZControl(cx, sdk.PTZControlRequest{DeviceSn: ch, Command: 3, Speed: 1})
		wantCode(t, "command 3", err, "000003", "command")
		err = c.PTZControl(cx, sdk.PTZControlRequest{DeviceSn: ch, Command: sdk.PTZUp, Speed: 8})
		wantCode(t, "speed 8", err, "000003", "speed")
		err = c.PTZControl(cx, sdk.PTZControlRequest{DeviceSn: ch, Command: sdk.PTZMoveTo, HorizontalPosition: intp(0), VerticalPosition: intp(0)})
		wantCode(t, "absolute position on 2016", err, "000008", "GB/T 28181-2016")
		_, err = c.GetPTZPosition(cx, head)
		wantCode(t, "position query on 2016", err, "000008", "GB/T 28181-2016")
		if got := w.next(); len(got) != 0 {
			t.Errorf("refused requests reached the device: %+v", got)
		}

		// 4.5.2.2–4.5.2.6 presets: the list is the device's (multi-part PresetQuery).
		for _, n := range []string{"1", "2", "3"} {
			if err := c.AddPreset(cx, sdk.AddPresetRequest{DeviceSn: ch, PointCode: n}); err != nil {
				t.Fatal(err)
			}
		}
		if got := w.ptz(ch); !reflect.DeepEqual(got, []string{"A50F018100010037", "A50F018100020038", "A50F018100030039"}) {
			t.Errorf("set presets: device received %v", got)
		}
		if list, err := c.ListPresets(cx, head); err != nil || !reflect.DeepEqual(list, []int{1, 2, 3}) {
			t.Errorf("presets %v %v, want [1 2 3]", list, err)
		}
		if err := c.UpdatePreset(cx, sdk.PresetRequest{DeviceSn: ch, PointCode: 2}); err != nil {
			t.Fatal(err)
		}
		if err := c.JumpToPreset(cx, sdk.PresetRequest{DeviceSn: ch, PointCode: 1}); err != nil {
			t.Fatal(err)
		}
		if err := c.DeletePreset(cx, sdk.PresetRequest{DeviceSn: ch, PointCode: 2}); err != nil {
			t.Fatal(err)
		}
		if got := w.ptz(ch); !reflect.DeepEqual(got, []string{"A50F018100020038", "A50F018200010038", "A50F01830002003A"}) {
			t.Errorf("update, jump, delete: device received %v", got)
		}
		if list, err := c.ListPresets(cx, head); err != nil || !reflect.DeepEqual(list, []int{1, 3}) {
			t.Errorf("presets after delete %v %v, want [1 3]", list, err)
		}
		w.next()
		err = c.AddPreset(cx, sdk.AddPresetRequest{DeviceSn: ch, PointCode: "256"})
		wantCode(t, "preset 256", err, "000003", "pointCode")

		// 4.5.2.7–4.5.2.12 cruise routes: kept by vionet, programmed into the device.
		route := sdk.CruiseRequest{DeviceSn: ch, CruiseCode: 1, Speed: 300, StayTime: 10, PointCodes: []string{"1", "3"}}
		if err := c.AddCruise(cx, route); err != nil {
			t.Fatal(err)
		}
		if got := w.ptz(ch); !reflect.DeepEqual(got, []string{"A50F01850100003B", "A50F01840101003B", "A50F01840103003D", "A50F0186012C1078", "A50F0187010A0047"}) {
			t.Errorf("add cruise: device received %v", got)
		}
		wantCode(t, "adding route 1 again", c.AddCruise(cx, route), "000008", "already exists")
		if hs, _ := nvrDev.Head(ch); len(hs.Cruises) != 1 || len(hs.Cruises[0].Points) != 2 || hs.Cruises[0].Speed != 300 || hs.Cruises[0].Stay != 10 {
			t.Errorf("device's cruise routes: %+v", hs.Cruises)
		}
		if err := c.UpdateCruise(cx, sdk.CruiseRequest{DeviceSn: ch, CruiseCode: 1, Speed: 20, StayTime: 5, PointCodes: []string{"3", "1"}}); err != nil {
			t.Fatal(err)
		}
		if got := w.ptz(ch); !reflect.DeepEqual(got, []string{"A50F01850100003B", "A50F01840103003D", "A50F01840101003B", "A50F018601140050", "A50F018701050042"}) {
			t.Errorf("update cruise: device received %v", got)
		}
		wantCode(t, "update of an unknown route", c.UpdateCruise(cx, sdk.CruiseRequest{DeviceSn: ch, CruiseCode: 9, Speed: 1, StayTime: 1, PointCodes: []string{"1"}}),
			"000003", "cruiseCode")
		w.next()
		if codes, err := c.ListCruises(cx, head); err != nil || !reflect.DeepEqual(codes, []int{1}) {
			t.Errorf("cruise list %v %v", codes, err)
		}
		if err := c.PlayCruise(cx, sdk.CruisePlayRequest{DeviceSn: ch, Action: sdk.CruiseStart, CruiseCode: 1}); err != nil {
			t.Fatal(err)
		}
		if hs, _ := nvrDev.Head(ch); hs.Cruising != 1 {
			t.Errorf("device not cruising route 1: %+v", hs)
		}
		if err := c.PlayCruise(cx, sdk.CruisePlayRequest{DeviceSn: ch, Action: sdk.CruiseStop, CruiseCode: 1}); err != nil {
			t.Fatal(err)
		}
		if got := w.ptz(ch); !reflect.DeepEqual(got, []string{"A50F01880100003E", "A50F0100000000B5"}) {
			t.Errorf("cruise start/stop: device received %v", got)
		}

		// A weekly schedule around now (local seconds of day) starts and stops the cruise.
		now := time.Now()
		sec := now.Hour()*3600 + now.Minute()*60 + now.Second()
		if sec < 86400-30 {
			wd := int(now.Weekday())
			if wd == 0 {
				wd = 7
			}
			win := sdk.CruiseSchedule{WeekDay: wd, StartTime: int64(sec + 3), EndTime: int64(sec + 6)}
			if err := c.PlayCruise(cx, sdk.CruisePlayRequest{DeviceSn: ch, Action: sdk.CruiseStart, CruiseCode: 1, Schedule: []sdk.CruiseSchedule{win}}); err != nil {
				t.Fatal(err)
			}
			dets, err := c.CruiseDetails(cx, sdk.CruiseDetailRequest{DeviceSn: ch})
			if err != nil || len(dets) != 1 || dets[0].Speed != 20 || dets[0].StayTime != 5 || !reflect.DeepEqual(dets[0].PointCodes, []string{"3", "1"}) ||
				!reflect.DeepEqual(dets[0].Schedule, []sdk.CruiseSchedule{win}) {
				t.Errorf("cruise detail %+v %v", dets, err)
			}
			startAt := now.Truncate(time.Second).Add(3 * time.Second)
			wctx, cancel := context.WithTimeout(cx, 12*time.Second)
			started, err := nvrDev.WaitReceived(wctx, func(r refdevice.Received) bool { return r.PTZCmd == "A50F01880100003E" && r.At.After(now) })
			if err != nil {
				t.Fatalf("scheduled cruise did not start: %v", err)
			}
			stopped, err := nvrDev.WaitReceived(wctx, func(r refdevice.Received) bool {
				return r.PTZCmd == "A50F0100000000B5" && r.At.After(started.At)
			})
			cancel()
			if err != nil {
				t.Fatalf("scheduled cruise did not stop: %v", err)
			}
			if started.At.Before(startAt.Add(-time.Second)) || stopped.At.Sub(started.At) < 2*time.Second {
				t.Errorf("schedule window %v: started %v, stopped %v", startAt, started.At, stopped.At)
			}
			w.next()
		} else {
			t.Log("too close to midnight for the schedule check")
		}
		wantCode(t, "a window ending before it starts", c.PlayCruise(cx, sdk.CruisePlayRequest{DeviceSn: ch, Action: sdk.CruiseStart, CruiseCode: 1,
			Schedule: []sdk.CruiseSchedule{{WeekDay: 1, StartTime: 600, EndTime: 300}}}), "000003", "schedule[0].endTime")
		if err := c.DeleteCruise(cx, sdk.DeleteCruiseRequest{DeviceSn: ch, CruiseCode: 1}); err != nil {
			t.Fatal(err)
		}
		if got := w.ptz(ch); !reflect.DeepEqual(got, []string{"A50F01850100003B"}) {
			t.Errorf("delete cruise: device received %v", got)
		}
		if codes, err := c.ListCruises(cx, head); err != nil || len(codes) != 0 {
			t.Errorf("cruise list after delete %v %v", codes, err)
		}

		// 4.5.2.14–4.5.2.16 guard position of a 2016 head: HomePosition, vionet keeps the value.
		if err := c.SetPTZGuard(cx, sdk.PTZGuardRequest{DeviceSn: ch, PointCode: 1, Interval: 60}); err != nil {
			t.Fatal(err)
		}
		if hp := w.control(ch).HomePosition; hp == nil || hp.Enabled != 1 || hp.ResetTime == nil || *hp.ResetTime != 60 || hp.PresetIndex == nil || *hp.PresetIndex != 1 {
			t.Errorf("set guard: HomePosition %+v", hp)
		}
		if g, err := c.GetPTZGuard(cx, head); err != nil || g.PointCode != 1 || g.Interval != 60 {
			t.Errorf("guard %+v %v", g, err)
		}
		wantCode(t, "guard interval 10", c.SetPTZGuard(cx, sdk.PTZGuardRequest{DeviceSn: ch, PointCode: 1, Interval: 10}), "000003", "interval")
		wantCode(t, "deleting another preset's guard", c.DeletePTZGuard(cx, sdk.DeletePTZGuardRequest{DeviceSn: ch, PointCode: 3}), "000003", "pointCode")
		if err := c.DeletePTZGuard(cx, sdk.DeletePTZGuardRequest{DeviceSn: ch, PointCode: 1}); err != nil {
			t.Fatal(err)
		}
		if hp := w.control(ch).HomePosition; hp == nil || hp.Enabled != 0 || hp.PresetIndex == nil || *hp.PresetIndex != 1 {
			t.Errorf("delete guard: HomePosition %+v", hp)
		}
		_, err = c.GetPTZGuard(cx, head)
		wantCode(t, "guard after delete", err, "000008", "no guard")

		// 4.5.2.17: the decoder address goes into later PTZCmds, reversed directions swap.
		if err := c.SetPTZConfig(cx, sdk.PTZConfigRequest{DeviceSn: ch, DecoderAddress: "5", PosNegDirectControl: 1}); err != nil {
			t.Fatal(err)
		}
		if err := c.PTZControl(cx, sdk.PTZControlRequest{DeviceSn: ch, Command: sdk.PTZUp, Action: sdk.PTZActionGo, Speed: 2}); err != nil {
			t.Fatal(err)
		}
		if got := w.ptz(ch); !reflect.DeepEqual(got, []string{"A50F05044848004D"}) {
			t.Errorf("up on a reversed head at address 5: device received %v, want down A50F05044848004D", got)
		}
		wantCode(t, "decoder address 0", c.SetPTZConfig(cx, sdk.PTZConfigRequest{DeviceSn: ch, DecoderAddress: "0"}), "000003", "decoderAddress")
		// The other channel keeps the defaults.
		if err := c.PTZControl(cx, sdk.PTZControlRequest{DeviceSn: nvr.ChannelList[0].ChannelSn, Command: sdk.PTZUp, Action: sdk.PTZActionGo, Speed: 1}); err != nil {
			t.Fatal(err)
		}
		if got := w.ptz(nvr.ChannelList[0].ChannelSn); !reflect.DeepEqual(got, []string{"A50F010824240005"}) {
			t.Errorf("other channel: device received %v", got)
		}

		// Another tenant's head is 000005.
		other := s.client(s.addTenant())
		wantCode(t, "another tenant", other.PTZControl(cx, sdk.PTZControlRequest{DeviceSn: ch, Command: sdk.PTZUp, Speed: 1}), "000005", "another tenant")

		// The 2022 IPC is its own head: absolute position and position query, guard query.
		iw := newWireLog(t, ipcDev)
		ihead := sdk.PTZTarget{DeviceSn: ipc.DeviceSn}
		if err := c.PTZControl(cx, sdk.PTZControlRequest{DeviceSn: ipc.DeviceSn, Command: sdk.PTZMoveTo, Action: sdk.PTZActionGo,
			HorizontalPosition: intp(500000), VerticalPosition: intp(-250000)}); err != nil {
			t.Fatal(err)
		}
		if p := iw.control(ipc.DeviceSn).PTZPreciseCtrl; p == nil || p.Pan == nil || *p.Pan != 90 || p.Tilt == nil || *p.Tilt != -22.5 {
			t.Errorf("PTZPreciseCtrl %+v", p)
		}
		if pos, err := c.GetPTZPosition(cx, ihead); err != nil || pos.HorizontalPosition != 500000 || pos.VerticalPosition != -250000 {
			t.Errorf("position %+v %v", pos, err)
		}
		if err := c.AddPreset(cx, sdk.AddPresetRequest{DeviceSn: ipc.DeviceSn, PointCode: "7"}); err != nil {
			t.Fatal(err)
		}
		if list, err := c.ListPresets(cx, ihead); err != nil || !reflect.DeepEqual(list, []int{7}) {
			t.Errorf("IPC presets %v %v", list, err)
		}
		if err := c.SetPTZGuard(cx, sdk.PTZGuardRequest{DeviceSn: ipc.DeviceSn, PointCode: 7, Interval: 120}); err != nil {
			t.Fatal(err)
		}
		if g, err := c.GetPTZGuard(cx, ihead); err != nil || g.PointCode != 7 || g.Interval != 120 {
			t.Errorf("2022 guard %+v %v", g, err)
		}
		if r, err := ipcDev.WaitReceived(cx, func(r refdevice.Received) bool { return r.CmdType == manscdp.CmdHomePositionQuery }); err != nil || r.DeviceID != ipc.DeviceSn {
			t.Errorf("no HomePositionQuery: %+v %v", r, err)
		}

		// A schedule survives a restart of vionet: the restarted node starts the cruise.
		if err := c.AddCruise(cx, sdk.CruiseRequest{DeviceSn: ipc.DeviceSn, CruiseCode: 2, Speed: 10, StayTime: 3, PointCodes: []string{"7"}}); err != nil {
			t.Fatal(err)
		}
		now = time.Now()
		sec = now.Hour()*3600 + now.Minute()*60 + now.Second()
		if sec < 86400-60 {
			wd := int(now.Weekday())
			if wd == 0 {
				wd = 7
			}
			if err := c.PlayCruise(cx, sdk.CruisePlayRequest{DeviceSn: ipc.DeviceSn, Action: sdk.CruiseStart, CruiseCode: 2,
				Schedule: []sdk.CruiseSchedule{{WeekDay: wd, StartTime: int64(sec + 6), EndTime: int64(sec + 40)}}}); err != nil {
				t.Fatal(err)
			}
			s.stop()
			s.start()
			c = s.client(k)
			wctx, cancel := context.WithTimeout(cx, 15*time.Second)
			r, err := ipcDev.WaitReceived(wctx, func(r refdevice.Received) bool { return r.PTZCmd == "A50F01880200003F" && r.At.After(now) })
			cancel()
			if err != nil || r.At.Before(now.Add(5*time.Second)) {
				t.Errorf("scheduled cruise after restart: %+v %v", r, err)
			}
			if err := c.PlayCruise(cx, sdk.CruisePlayRequest{DeviceSn: ipc.DeviceSn, Action: sdk.CruiseStop, CruiseCode: 2}); err != nil {
				t.Fatal(err)
			}
			if dets, err := c.CruiseDetails(cx, sdk.CruiseDetailRequest{DeviceSn: ipc.DeviceSn, CruiseCode: intp(2)}); err != nil || len(dets) != 1 || len(dets[0].Schedule) != 0 {
				t.Errorf("stopping drops the schedule: %+v %v", dets, err)
			}
		}

		// A silent device is 000009 within the request timeout; once offline, 000008 at once.
		ipcDev.StopSilently()
		start := time.Now()
		err = c.PTZControl(cx, sdk.PTZControlRequest{DeviceSn: ipc.DeviceSn, Command: sdk.PTZUp, Action: sdk.PTZActionGo, Speed: 1})
		wantCode(t, "silent device", err, "000009", "2s")
		if d := time.Since(start); d > 3500*time.Millisecond {
			t.Errorf("silent device answered after %v", d)
		}
		eventually(t, 8*time.Second, "IPC offline", func() bool {
			det, err := c.GetDevice(cx, ipc.DeviceSn)
			return err == nil && det.OnlineStatus == 0
		})
		start = time.Now()
		_, err = c.ListPresets(cx, ihead)
		wantCode(t, "offline device", err, "000008", "offline")
		if d := time.Since(start); d > time.Second {
			t.Errorf("offline device answered after %v", d)
		}
		// What vionet keeps stays readable without the device.
		if codes, err := c.ListCruises(cx, ihead); err != nil || !reflect.DeepEqual(codes, []int{2}) {
			t.Errorf("cruise list of an offline device %v %v", codes, err)
		}
	})
}
