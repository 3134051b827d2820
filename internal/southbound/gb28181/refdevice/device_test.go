package refdevice

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/vionet/vionet/internal/southbound/gb28181/manscdp"
)

const (
	testNVR      = "34020000001180000001"
	testIPC      = "34020000001320000001"
	testPassword = "s3cret-pass"
)

func constPassword(string) string { return testPassword }

func newTestDevice(t *testing.T, r *registrar, mod func(*Config)) *Device {
	t.Helper()
	cfg := Config{
		ServerID: testServerID, ServerDomain: testDomain, ServerAddr: r.addr, Transport: r.transport,
		DeviceID: testNVR, Password: testPassword, LocalIP: "127.0.0.1",
		KeepaliveInterval: 100 * time.Millisecond, RequestTimeout: 2 * time.Second,
		Logger: testLogger(),
	}
	if mod != nil {
		mod(&cfg)
	}
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.StopSilently)
	return d
}

func ctxTimeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func waitReceived(t *testing.T, d *Device, what string, match func(Received) bool) Received {
	t.Helper()
	r, err := d.WaitReceived(ctxTimeout(t), match)
	if err != nil {
		t.Fatalf("device never received %s: %v", what, err)
	}
	return r
}

func gbBytes(t *testing.T, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestNVR runs an NVR through registration, keepalives, a multi-part
// catalog, PTZ controls, a preset query, an alarm and unregistration, over
// UDP (digest with qop=auth) and TCP (digest without qop).
func TestNVR(t *testing.T) {
	for _, tc := range []struct {
		transport string
		qop       bool
	}{{TransportUDP, true}, {TransportTCP, false}} {
		t.Run(tc.transport, func(t *testing.T) {
			t.Parallel()
			r := newRegistrar(t, tc.transport, tc.qop, constPassword)
			d := newTestDevice(t, r, func(c *Config) { c.Channels = 5 })
			if err := d.Start(ctxTimeout(t)); err != nil {
				t.Fatal(err)
			}
			if !d.Registered() {
				t.Fatal("not registered after Start")
			}

			// Registration: a challenge, then credentials, from the Contact
			// address (over TCP: the local end of the connection).
			regs := r.waitRegisters(t, "REGISTER", func(rs []regEvent) bool { return len(rs) >= 2 })
			if regs[0].Authorized || !regs[1].Authorized {
				t.Fatalf("want an unauthorised then an authorised REGISTER, got %+v", regs[:2])
			}
			if regs[1].Contact != d.LocalAddr() || regs[1].Source != d.LocalAddr() {
				t.Fatalf("contact %s source %s, want both %s", regs[1].Contact, regs[1].Source, d.LocalAddr())
			}
			if regs[1].Expires != 3600 || regs[1].DeviceID != testNVR || regs[1].GBVer != "" {
				t.Fatalf("register %+v", regs[1])
			}
			if regs[0].CallID != regs[1].CallID {
				t.Fatal("the authorised REGISTER changed Call-ID")
			}

			// Keepalives, from the same address.
			msgs := r.waitMessages(t, "2 keepalives", func(ms []rxMessage) bool {
				n := 0
				for _, m := range ms {
					if m.Msg.CmdType == manscdp.CmdKeepalive {
						n++
					}
				}
				return n >= 2
			})
			for _, m := range msgs {
				if m.Source != d.LocalAddr() {
					t.Fatalf("MESSAGE from %s, want %s", m.Source, d.LocalAddr())
				}
				if !bytes.Contains(m.Raw, []byte(`encoding="GB2312"`)) {
					t.Fatalf("keepalive not declared GB2312:\n%s", m.Raw)
				}
			}

			// Catalog: 5 channels in pages of at most 2.
			ctx := ctxTimeout(t)
			sn := r.nextSN()
			if err := r.send(ctx, testNVR, manscdp.NewCatalogQuery(sn, testNVR), manscdp.CharsetGB2312); err != nil {
				t.Fatal(err)
			}
			names := map[string]string{}
			msgs = r.waitMessages(t, "catalog", func(ms []rxMessage) bool {
				n := 0
				for _, m := range answers(ms, manscdp.CmdCatalog, sn) {
					var cr manscdp.CatalogResponse
					if err := m.Msg.Into(&cr); err != nil {
						t.Fatal(err)
					}
					n += len(cr.DeviceList.Items)
				}
				return n >= 5
			})
			// Pages of 2 over TCP; over UDP one item per datagram, as two
			// exceed the 1300 bytes sipgo sends over UDP.
			parts := answers(msgs, manscdp.CmdCatalog, sn)
			if want := map[string]int{TransportTCP: 3, TransportUDP: 5}[tc.transport]; len(parts) != want {
				t.Fatalf("catalog in %d messages, want %d", len(parts), want)
			}
			for _, m := range parts {
				var cr manscdp.CatalogResponse
				if err := m.Msg.Into(&cr); err != nil {
					t.Fatal(err)
				}
				if cr.SumNum != 5 || cr.DeviceList.Num != len(cr.DeviceList.Items) || cr.DeviceID != testNVR {
					t.Fatalf("catalog part %+v", cr)
				}
				if m.Msg.Charset != manscdp.CharsetGB2312 || !bytes.Contains(m.Raw, gbBytes(t, "通道")) ||
					bytes.Contains(m.Raw, []byte("通道")) {
					t.Fatalf("catalog part is not GB2312-encoded:\n%s", m.Raw)
				}
				for _, it := range cr.DeviceList.Items {
					if it.ParentID != testNVR || it.Status != "ON" || it.Parental != 0 {
						t.Fatalf("item %+v", it)
					}
					names[it.DeviceID] = it.Name
				}
			}
			ids := d.ChannelIDs()
			for i, id := range ids {
				if want := fmt.Sprintf("通道%d", i+1); names[id] != want {
					t.Fatalf("channel %s named %q, want %q (all: %v)", id, names[id], want, names)
				}
			}

			// PTZ: Stop and SetPreset(1) on channel 1, bytes as sent.
			ch1 := ids[0]
			for _, cmd := range []manscdp.PTZCmd{manscdp.Stop(), manscdp.SetPreset(1)} {
				if err := r.send(ctx, testNVR, manscdp.NewPTZControl(r.nextSN(), ch1, cmd), manscdp.CharsetGB2312); err != nil {
					t.Fatal(err)
				}
			}
			for _, want := range []string{"A50F0100000000B5", "A50F018100010037"} {
				got := waitReceived(t, d, want, func(rc Received) bool { return rc.PTZCmd == want })
				if got.CmdType != manscdp.CmdDeviceControl || got.DeviceID != ch1 || !strings.Contains(got.Raw, "<PTZCmd>"+want+"</PTZCmd>") {
					t.Fatalf("received %+v", got)
				}
			}

			// The preset list reflects the preset just set.
			sn = r.nextSN()
			if err := r.send(ctx, testNVR, manscdp.NewPresetQuery(sn, ch1), manscdp.CharsetGB2312); err != nil {
				t.Fatal(err)
			}
			msgs = r.waitMessages(t, "preset answer", func(ms []rxMessage) bool {
				return len(answers(ms, manscdp.CmdPresetQuery, sn)) > 0
			})
			var pr manscdp.PresetQueryResponse
			if err := answers(msgs, manscdp.CmdPresetQuery, sn)[0].Msg.Into(&pr); err != nil {
				t.Fatal(err)
			}
			if pr.DeviceID != ch1 || pr.PresetList.Num != 1 || len(pr.PresetList.Items) != 1 ||
				pr.PresetList.Items[0].PresetID != 1 || pr.PresetList.Items[0].PresetName != "预置点1" {
				t.Fatalf("preset answer %+v", pr)
			}

			// An alarm reaches the platform; its Response Alarm reaches the device.
			if err := d.RaiseAlarm(1, 5, 2, "移动侦测", ch1); err != nil {
				t.Fatal(err)
			}
			msgs = r.waitMessages(t, "alarm", func(ms []rxMessage) bool {
				return slices.ContainsFunc(ms, func(m rxMessage) bool { return m.Msg.CmdType == manscdp.CmdAlarm })
			})
			i := slices.IndexFunc(msgs, func(m rxMessage) bool { return m.Msg.CmdType == manscdp.CmdAlarm })
			var al manscdp.AlarmNotify
			if err := msgs[i].Msg.Into(&al); err != nil {
				t.Fatal(err)
			}
			if al.DeviceID != ch1 || al.AlarmPriority != "1" || al.AlarmMethod != "5" || al.AlarmDescription != "移动侦测" ||
				al.Info == nil || al.Info.AlarmType != 2 || al.AlarmTime == "" {
				t.Fatalf("alarm %+v", al)
			}
			waitReceived(t, d, "Response Alarm", func(rc Received) bool {
				return rc.Root == manscdp.RootResponse && rc.CmdType == manscdp.CmdAlarm && rc.SN == al.SN
			})

			// Stop unregisters.
			if err := d.Stop(); err != nil {
				t.Fatal(err)
			}
			r.waitRegisters(t, "unregister", func(rs []regEvent) bool {
				last := rs[len(rs)-1]
				return last.Authorized && last.Expires == 0
			})
			if d.Registered() {
				t.Fatal("registered after Stop")
			}
		})
	}
}

// TestIPC2022 runs a 2022 IPC in UTF-8 over TCP: X-GB-Ver, device info,
// a moving head seen through PTZPosition, HomePosition with its Response,
// and the IPC's one-item catalog.
func TestIPC2022(t *testing.T) {
	t.Parallel()
	r := newRegistrar(t, TransportTCP, true, constPassword)
	d := newTestDevice(t, r, func(c *Config) {
		c.DeviceID, c.Version, c.Charset = testIPC, Version2022, "UTF-8"
		c.Manufacturer, c.Model, c.Firmware = "VIONET", "IPC-1", "V2.3"
	})
	if err := d.Start(ctxTimeout(t)); err != nil {
		t.Fatal(err)
	}
	regs := r.waitRegisters(t, "REGISTER", func(rs []regEvent) bool { return len(rs) >= 2 })
	if regs[1].GBVer != "3.0" {
		t.Fatalf("X-GB-Ver %q, want 3.0", regs[1].GBVer)
	}
	ctx := ctxTimeout(t)

	sn := r.nextSN()
	if err := r.send(ctx, testIPC, manscdp.NewDeviceInfoQuery(sn, testIPC), manscdp.CharsetUTF8); err != nil {
		t.Fatal(err)
	}
	msgs := r.waitMessages(t, "device info", func(ms []rxMessage) bool { return len(answers(ms, manscdp.CmdDeviceInfo, sn)) > 0 })
	var info manscdp.DeviceInfoResponse
	m := answers(msgs, manscdp.CmdDeviceInfo, sn)[0]
	if err := m.Msg.Into(&info); err != nil {
		t.Fatal(err)
	}
	if m.Msg.Charset != manscdp.CharsetUTF8 || info.DeviceName != DefaultName || info.Model != "IPC-1" ||
		info.Firmware != "V2.3" || info.Channel != 1 || info.Result != "OK" {
		t.Fatalf("device info %+v (charset %s)", info, m.Msg.Charset)
	}

	sn = r.nextSN()
	if err := r.send(ctx, testIPC, manscdp.NewCatalogQuery(sn, testIPC), manscdp.CharsetUTF8); err != nil {
		t.Fatal(err)
	}
	msgs = r.waitMessages(t, "catalog", func(ms []rxMessage) bool { return len(answers(ms, manscdp.CmdCatalog, sn)) > 0 })
	var cr manscdp.CatalogResponse
	if err := answers(msgs, manscdp.CmdCatalog, sn)[0].Msg.Into(&cr); err != nil {
		t.Fatal(err)
	}
	if cr.SumNum != 1 || len(cr.DeviceList.Items) != 1 || cr.DeviceList.Items[0].DeviceID != testIPC ||
		cr.DeviceList.Items[0].Name != DefaultName {
		t.Fatalf("IPC catalog %+v", cr)
	}

	// Pan right at full speed, then stop: the head has moved.
	if err := r.send(ctx, testIPC, manscdp.NewPTZControl(r.nextSN(), testIPC, manscdp.Move(manscdp.DirRight, 255, 0, 0)), manscdp.CharsetUTF8); err != nil {
		t.Fatal(err)
	}
	waitReceived(t, d, "move", func(rc Received) bool { return strings.HasPrefix(rc.PTZCmd, "A50F0101") })
	time.Sleep(300 * time.Millisecond)
	if err := r.send(ctx, testIPC, manscdp.NewPTZControl(r.nextSN(), testIPC, manscdp.Stop()), manscdp.CharsetUTF8); err != nil {
		t.Fatal(err)
	}
	waitReceived(t, d, "stop", func(rc Received) bool { return rc.PTZCmd == manscdp.Stop().String() })
	// The control is applied after the 200; wait for the head to stop.
	var hs HeadState
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		hs, _ = d.Head(testIPC)
		if hs.Moving == 0 || time.Now().After(deadline) {
			break
		}
	}
	if hs.Moving != 0 || hs.Position.Pan < 5 {
		t.Fatalf("head %+v after moving right for 300ms at 60°/s", hs)
	}

	sn = r.nextSN()
	if err := r.send(ctx, testIPC, manscdp.NewPTZPositionQuery(sn, testIPC), manscdp.CharsetUTF8); err != nil {
		t.Fatal(err)
	}
	msgs = r.waitMessages(t, "PTZ position", func(ms []rxMessage) bool { return len(answers(ms, manscdp.CmdPTZPosition, sn)) > 0 })
	var pos manscdp.PTZPositionResponse
	if err := answers(msgs, manscdp.CmdPTZPosition, sn)[0].Msg.Into(&pos); err != nil {
		t.Fatal(err)
	}
	if pos.Pan == nil || *pos.Pan < 5 || pos.Zoom == nil || *pos.Zoom != 1 {
		t.Fatalf("PTZ position %+v", pos)
	}

	// A cruise route set up with PTZCmds is listed by the 2022 queries.
	for _, c := range []manscdp.PTZCmd{manscdp.SetPreset(3), manscdp.CruiseAddPoint(2, 3), manscdp.CruiseStay(2, 7)} {
		if err := r.send(ctx, testIPC, manscdp.NewPTZControl(r.nextSN(), testIPC, c), manscdp.CharsetUTF8); err != nil {
			t.Fatal(err)
		}
	}
	listSN, trackSN := r.nextSN(), r.nextSN()
	if err := r.send(ctx, testIPC, manscdp.NewCruiseTrackListQuery(listSN, testIPC), manscdp.CharsetUTF8); err != nil {
		t.Fatal(err)
	}
	if err := r.send(ctx, testIPC, manscdp.NewCruiseTrackQuery(trackSN, testIPC, 2), manscdp.CharsetUTF8); err != nil {
		t.Fatal(err)
	}
	msgs = r.waitMessages(t, "cruise answers", func(ms []rxMessage) bool {
		return len(answers(ms, manscdp.CmdCruiseTrackListQuery, listSN)) > 0 && len(answers(ms, manscdp.CmdCruiseTrackQuery, trackSN)) > 0
	})
	var tl manscdp.CruiseTrackListResponse
	if err := answers(msgs, manscdp.CmdCruiseTrackListQuery, listSN)[0].Msg.Into(&tl); err != nil {
		t.Fatal(err)
	}
	var tr manscdp.CruiseTrackResponse
	if err := answers(msgs, manscdp.CmdCruiseTrackQuery, trackSN)[0].Msg.Into(&tr); err != nil {
		t.Fatal(err)
	}
	if tl.SumNum != 1 || len(tl.CruiseTrackList.Tracks) != 1 || tl.CruiseTrackList.Tracks[0].Number != 2 ||
		tr.SumNum != 1 || len(tr.CruisePointList.Points) != 1 ||
		tr.CruisePointList.Points[0] != (manscdp.CruisePoint{PresetIndex: 3, StayTime: 7, Speed: defaultCruiseSpeed}) {
		t.Fatalf("cruise list %+v, track %+v", tl, tr)
	}

	// HomePosition is answered with Response DeviceControl OK.
	sn = r.nextSN()
	ctl := manscdp.NewDeviceControl(sn, testIPC)
	rt, pi := 30, 1
	ctl.HomePosition = &manscdp.HomePosition{Enabled: 1, ResetTime: &rt, PresetIndex: &pi}
	if err := r.send(ctx, testIPC, ctl, manscdp.CharsetUTF8); err != nil {
		t.Fatal(err)
	}
	msgs = r.waitMessages(t, "home position answer", func(ms []rxMessage) bool { return len(answers(ms, manscdp.CmdDeviceControl, sn)) > 0 })
	var res manscdp.ResultResponse
	if err := answers(msgs, manscdp.CmdDeviceControl, sn)[0].Msg.Into(&res); err != nil {
		t.Fatal(err)
	}
	if !res.OK() {
		t.Fatalf("home position answer %+v", res)
	}
	if hs, _ := d.Head(testIPC); hs.Home != (HomePosition{Enabled: true, ResetTime: 30, PresetIndex: 1}) {
		t.Fatalf("home %+v", hs.Home)
	}
}

// TestRecordInfo: 35 minutes give 4 records (the last 5 minutes long),
// split over messages with SumNum 4.
func TestRecordInfo(t *testing.T) {
	t.Parallel()
	r := newRegistrar(t, TransportUDP, false, constPassword)
	d := newTestDevice(t, r, func(c *Config) { c.Channels = 2 })
	if err := d.Start(ctxTimeout(t)); err != nil {
		t.Fatal(err)
	}
	ch := d.ChannelIDs()[1]
	start := time.Date(2024, 5, 1, 8, 0, 0, 0, time.Local)
	sn := r.nextSN()
	q := manscdp.NewRecordInfoQuery(sn, ch, start, start.Add(35*time.Minute), nil)
	if err := r.send(ctxTimeout(t), testNVR, q, manscdp.CharsetGB2312); err != nil {
		t.Fatal(err)
	}
	var items []manscdp.RecordItem
	msgs := r.waitMessages(t, "records", func(ms []rxMessage) bool {
		n := 0
		for _, m := range answers(ms, manscdp.CmdRecordInfo, sn) {
			var rr manscdp.RecordInfoResponse
			_ = m.Msg.Into(&rr)
			n += len(rr.RecordList.Items)
		}
		return n >= 4
	})
	parts := answers(msgs, manscdp.CmdRecordInfo, sn)
	for _, m := range parts {
		var rr manscdp.RecordInfoResponse
		if err := m.Msg.Into(&rr); err != nil {
			t.Fatal(err)
		}
		if rr.SumNum != 4 || rr.DeviceID != ch || rr.Name != "通道2" {
			t.Fatalf("record part %+v", rr)
		}
		items = append(items, rr.RecordList.Items...)
	}
	if len(parts) < 2 || len(items) != 4 {
		t.Fatalf("%d records in %d messages", len(items), len(parts))
	}
	if items[0].StartTime != "2024-05-01T08:00:00" || items[3].StartTime != "2024-05-01T08:30:00" ||
		items[3].EndTime != "2024-05-01T08:35:00" || items[0].Type != "time" {
		t.Fatalf("records %+v", items)
	}
}

// TestStopSilently: keepalives stop and no unregistration is sent.
func TestStopSilently(t *testing.T) {
	t.Parallel()
	r := newRegistrar(t, TransportUDP, false, constPassword)
	d := newTestDevice(t, r, nil)
	if err := d.Start(ctxTimeout(t)); err != nil {
		t.Fatal(err)
	}
	r.waitMessages(t, "a keepalive", func(ms []rxMessage) bool { return len(ms) > 0 })
	d.StopSilently()
	r.mu.Lock()
	nRegs, nMsgs := len(r.registers), len(r.messages)
	r.mu.Unlock()
	time.Sleep(300 * time.Millisecond)
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.registers) != nRegs || len(r.messages) != nMsgs {
		t.Fatalf("device sent %d REGISTERs and %d MESSAGEs after StopSilently",
			len(r.registers)-nRegs, len(r.messages)-nMsgs)
	}
}

// TestPauseAndRefusedKeepalive: paused keepalives are not sent; a
// keepalive the platform refuses (it forgot the device) makes the device
// register again.
func TestPauseAndRefusedKeepalive(t *testing.T) {
	t.Parallel()
	r := newRegistrar(t, TransportTCP, false, constPassword)
	d := newTestDevice(t, r, nil)
	if err := d.Start(ctxTimeout(t)); err != nil {
		t.Fatal(err)
	}
	r.waitMessages(t, "a keepalive", func(ms []rxMessage) bool { return len(ms) > 0 })
	d.PauseKeepalives(true)
	time.Sleep(150 * time.Millisecond) // let one in flight land
	r.mu.Lock()
	n := len(r.messages)
	r.mu.Unlock()
	time.Sleep(300 * time.Millisecond)
	r.mu.Lock()
	if len(r.messages) != n {
		t.Errorf("%d keepalives while paused", len(r.messages)-n)
	}
	nRegs := len(r.registers)
	r.mu.Unlock()

	r.setKeepaliveStatus(404)
	d.PauseKeepalives(false)
	r.waitRegisters(t, "re-registration", func(rs []regEvent) bool {
		return len(rs) >= nRegs+2 && rs[len(rs)-1].Authorized && rs[len(rs)-1].Expires > 0
	})
}

// TestFleet starts devices with per-device passwords, two at a time.
func TestFleet(t *testing.T) {
	t.Parallel()
	password := func(id string) string { return "pw-" + id[len(id)-4:] }
	r := newRegistrar(t, TransportUDP, true, password)
	f, err := NewFleet(FleetConfig{
		Base: Config{ServerID: testServerID, ServerDomain: testDomain, ServerAddr: r.addr,
			DeviceID: testIPC, KeepaliveInterval: time.Hour, Logger: testLogger()},
		Count: 4, Concurrency: 2,
		Password: func(id string) (string, error) { return password(id), nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Stop(false) })
	if err := f.Start(ctxTimeout(t)); err != nil {
		t.Fatal(err)
	}
	if s := f.Stats(); s != (FleetStats{Devices: 4, Started: 4, Registered: 4}) {
		t.Fatalf("stats %+v", s)
	}
	if got := f.Devices()[3].ID(); got != "34020000001320000004" {
		t.Fatalf("fourth device %s", got)
	}
	if err := f.Stop(true); err != nil {
		t.Fatal(err)
	}
	if s := f.Stats(); s.Registered != 0 {
		t.Fatalf("stats after stop %+v", s)
	}
}

// TestWrongPassword: Start fails and the device is closed.
func TestWrongPassword(t *testing.T) {
	t.Parallel()
	r := newRegistrar(t, TransportUDP, false, constPassword)
	d := newTestDevice(t, r, func(c *Config) { c.Password = "wrong" })
	err := d.Start(ctxTimeout(t))
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("Start: %v, want a 401 failure", err)
	}
	if d.Registered() {
		t.Fatal("registered with a wrong password")
	}
	if err := d.RaiseAlarm(1, 2, 1, "", ""); err != ErrNotRunning {
		t.Fatalf("RaiseAlarm on a failed device: %v", err)
	}
}

// TestDeviceConfig: a new heartbeat interval applies at once.
func TestDeviceConfig(t *testing.T) {
	t.Parallel()
	r := newRegistrar(t, TransportUDP, false, constPassword)
	d := newTestDevice(t, r, func(c *Config) { c.KeepaliveInterval = time.Hour })
	if err := d.Start(ctxTimeout(t)); err != nil {
		t.Fatal(err)
	}
	hb := 1
	sn := r.nextSN()
	if err := r.send(ctxTimeout(t), testNVR, manscdp.NewDeviceConfig(sn, testNVR, manscdp.BasicParam{Name: "后门", HeartBeatInterval: &hb}), manscdp.CharsetGB2312); err != nil {
		t.Fatal(err)
	}
	r.waitMessages(t, "config answer and a keepalive", func(ms []rxMessage) bool {
		return len(answers(ms, manscdp.CmdDeviceConfig, sn)) > 0 &&
			slices.ContainsFunc(ms, func(m rxMessage) bool { return m.Msg.CmdType == manscdp.CmdKeepalive })
	})
}

// TestSubscribe: a catalog subscription is accepted for the Expires asked
// for and logged.
func TestSubscribe(t *testing.T) {
	t.Parallel()
	r := newRegistrar(t, TransportTCP, false, constPassword)
	d := newTestDevice(t, r, nil)
	if err := d.Start(ctxTimeout(t)); err != nil {
		t.Fatal(err)
	}
	body, err := manscdp.Encode(manscdp.NewCatalogQuery(77, testNVR), manscdp.CharsetGB2312)
	if err != nil {
		t.Fatal(err)
	}
	exp := sip.ExpiresHeader(600)
	res, err := r.request(ctxTimeout(t), sip.SUBSCRIBE, testNVR, body, &exp, sip.NewHeader("Event", "Catalog;id=1"))
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != sip.StatusOK || res.GetHeader("Expires") == nil || res.GetHeader("Expires").Value() != "600" {
		t.Fatalf("SUBSCRIBE answered %s", res.String())
	}
	waitReceived(t, d, "SUBSCRIBE", func(rc Received) bool {
		return rc.Method == "SUBSCRIBE" && rc.CmdType == manscdp.CmdCatalog && rc.SN == 77
	})
}

func TestChannelIDsAndNthID(t *testing.T) {
	ids, err := ChannelIDs("34020000001180000042", 3)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"34020000001310042001", "34020000001310042002", "34020000001310042003"}
	if !slices.Equal(ids, want) {
		t.Fatalf("channels %v, want %v", ids, want)
	}
	if ids, _ := ChannelIDs(testIPC, 0); !slices.Equal(ids, []string{testIPC}) {
		t.Fatalf("IPC channels %v", ids)
	}
	if _, err := ChannelIDs("123", 1); err == nil {
		t.Fatal("short ID accepted")
	}
	if id, _ := NthID("34020000001329999999", 2); id != "34020000001330000001" {
		t.Fatalf("NthID carry: %s", id)
	}
	if _, err := NthID("99999999999999999999", 1); err == nil {
		t.Fatal("overflow accepted")
	}
}

func TestHead(t *testing.T) {
	var now atomic.Int64
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return base.Add(time.Duration(now.Load())) }
	tick := func(d time.Duration) { now.Add(int64(d)) }
	h := newHead(clock)
	apply := func(c manscdp.PTZCmd) {
		t.Helper()
		if err := h.apply(c.Decode(), ""); err != nil {
			t.Fatalf("%s: %v", c, err)
		}
	}

	apply(manscdp.Move(manscdp.DirUpRight, 255, 255, 0))
	tick(time.Second)
	if p := h.state().Position; p.Pan != 60 || p.Tilt != 60 {
		t.Fatalf("after 1s up-right at full speed: %+v", p)
	}
	tick(time.Second)
	apply(manscdp.Stop())
	if p := h.state().Position; p.Pan != 120 || p.Tilt != 90 {
		t.Fatalf("tilt must clamp at 90: %+v", p)
	}
	apply(manscdp.SetPreset(1))
	apply(manscdp.Zoom(true, 15))
	tick(2 * time.Second)
	apply(manscdp.Stop())
	if z := h.state().Position.Zoom; z < 6.9 || z > 7.1 {
		t.Fatalf("zoom %v after 2s at speed 15", z)
	}
	apply(manscdp.Move(manscdp.DirLeft, 255, 0, 0))
	tick(3 * time.Second)
	apply(manscdp.SetPreset(2))
	if p := h.state().Position; p.Pan != 300 {
		t.Fatalf("pan must wrap: %+v", p)
	}
	apply(manscdp.CallPreset(1))
	if p := h.state().Position; p.Pan != 120 || p.Zoom != 1 || h.state().Moving != 0 {
		t.Fatalf("after call preset 1: %+v", h.state())
	}
	if err := h.apply(manscdp.CallPreset(9).Decode(), ""); err == nil {
		t.Fatal("calling a missing preset succeeded")
	}

	// Cruise route 1 over presets 1 and 2, 3 s each.
	apply(manscdp.CruiseAddPoint(1, 1))
	apply(manscdp.CruiseAddPoint(1, 2))
	apply(manscdp.CruiseStay(1, 3))
	apply(manscdp.CruiseSpeed(1, 20))
	apply(manscdp.CruiseStart(1))
	tick(4 * time.Second)
	s := h.state()
	if s.Cruising != 1 || s.Position.Pan != 300 || len(s.Cruises) != 1 ||
		!slices.Equal(s.Cruises[0].Points, []CruisePoint{{1, 3, 20}, {2, 3, 20}}) {
		t.Fatalf("cruising: %+v", s)
	}
	apply(manscdp.Stop())
	apply(manscdp.CruiseDeletePoint(1, 0))
	apply(manscdp.DeletePreset(2))
	apply(manscdp.AuxOn(1))
	s = h.state()
	if s.Cruising != 0 || len(s.Cruises) != 0 || len(s.Presets) != 1 || !slices.Equal(s.AuxOn, []int{1}) {
		t.Fatalf("after cleanup: %+v", s)
	}
}

func TestSynthesizeRecords(t *testing.T) {
	start := time.Date(2024, 5, 1, 23, 55, 0, 0, time.UTC)
	recs := SynthesizeRecords("c", "n", start, start.Add(time.Hour), "", time.UTC)
	if len(recs) != 6 || recs[5].EndTime != "2024-05-02T00:55:00" || recs[0].FilePath == "" {
		t.Fatalf("records %+v", recs)
	}
	if len(SynthesizeRecords("c", "n", start, start.Add(time.Hour), "alarm", time.UTC)) != 0 {
		t.Fatal("alarm records synthesised")
	}
	if n := len(SynthesizeRecords("c", "n", start, start.Add(30*24*time.Hour), "all", time.UTC)); n != MaxRecords {
		t.Fatalf("%d records for a month, want the cap %d", n, MaxRecords)
	}
}

func TestConfigValidation(t *testing.T) {
	_, err := New(Config{ServerID: "1", ServerAddr: "nohost", DeviceID: "x", Transport: "sctp", Version: "2011", Charset: "Latin-1"})
	if err == nil {
		t.Fatal("bad config accepted")
	}
	for _, want := range []string{"device ID", "server ID", "domain", "server address", "transport", "version"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	_, err = New(Config{ServerID: testServerID, ServerDomain: testDomain, ServerAddr: "127.0.0.1:5060", DeviceID: testIPC, Charset: "Latin-1"})
	if err == nil || !strings.Contains(err.Error(), "charset") {
		t.Fatalf("bad charset: %v", err)
	}
}
