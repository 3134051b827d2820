package manscdp

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func ptr[T any](v T) *T { return &v }

func TestEncodeGB2312RoundTrip(t *testing.T) {
	items := []CatalogItem{
		{DeviceID: "34020000001320000001", Name: "大门口", Manufacturer: "海康威视", Model: "DS-2CD", Owner: "Owner",
			CivilCode: "3402000000", Address: "北京市", ParentID: "34020000001110000001", RegisterWay: 1, Status: StatusOn,
			Longitude: 116.4, Latitude: 39.9, Info: &CatalogItemInfo{PTZType: 1}},
		{DeviceID: "34020000001320000002", Name: "𠮷野家 & <后门>", Status: StatusOff, RegisterWay: 1},
	}
	out, err := Encode(NewCatalogResponse(7, "34020000001110000001", 2, items), "gb2312")
	if err != nil {
		t.Fatal(err)
	}
	const decl = `<?xml version="1.0" encoding="GB2312"?>`
	if !bytes.HasPrefix(out, []byte(decl+"\n<Response>")) {
		t.Fatalf("prefix:\n%s", out)
	}
	if utf8.Valid(out) || !bytes.Contains(out, gb(t, "<Name>大门口</Name>")) {
		t.Fatal("body is not GB-encoded")
	}
	m, err := Decode(out)
	if err != nil {
		t.Fatal(err)
	}
	if m.Charset != CharsetGB2312 || m.Root != RootResponse || m.CmdType != CmdCatalog || m.SN != 7 {
		t.Fatalf("header = %+v", m)
	}
	var back CatalogResponse
	mustInto(t, m, &back)
	back.XMLName.Local = ""
	want := NewCatalogResponse(7, "34020000001110000001", 2, items)
	if !reflect.DeepEqual(&back, want) {
		t.Errorf("round trip:\n got %+v\nwant %+v", back, *want)
	}
}

func TestEncodeCharsets(t *testing.T) {
	k := NewKeepalive(1, "34020000001110000001")
	for _, c := range []struct{ in, decl string }{
		{"", "UTF-8"}, {"utf-8", "UTF-8"}, {"UTF8", "UTF-8"}, {"GBK", "GBK"}, {"cp936", "GBK"}, {"gb18030", "GB18030"},
	} {
		out, err := Encode(k, c.in)
		if err != nil {
			t.Fatal(err)
		}
		want := `<?xml version="1.0" encoding="` + c.decl + `"?>
<Notify>
  <CmdType>Keepalive</CmdType>
  <SN>1</SN>
  <DeviceID>34020000001110000001</DeviceID>
  <Status>OK</Status>
</Notify>
`
		if string(out) != want {
			t.Errorf("Encode(%q) =\n%s\nwant\n%s", c.in, out, want)
		}
	}
	if _, err := Encode(k, "latin1"); !errors.Is(err, ErrUnsupportedCharset) {
		t.Errorf("latin1: %v", err)
	}
	if _, err := Encode(make(chan int), ""); err == nil {
		t.Error("Encode(chan) succeeded")
	}
}

func TestEncodeDeviceControlOnlySetFields(t *testing.T) {
	out, err := Encode(NewPTZControl(12, "34020000001320000001", SetPreset(1)), "GB2312")
	if err != nil {
		t.Fatal(err)
	}
	want := `<?xml version="1.0" encoding="GB2312"?>
<Control>
  <CmdType>DeviceControl</CmdType>
  <SN>12</SN>
  <DeviceID>34020000001320000001</DeviceID>
  <PTZCmd>A50F018100010037</PTZCmd>
  <Info>
    <ControlPriority>5</ControlPriority>
  </Info>
</Control>
`
	if string(out) != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	m, err := Decode(out)
	if err != nil {
		t.Fatal(err)
	}
	var dc DeviceControl
	mustInto(t, m, &dc)
	cmd, err := dc.PTZ()
	if err != nil || cmd != SetPreset(1) {
		t.Errorf("PTZ() = %v, %v", cmd, err)
	}
	if _, err := NewDeviceControl(1, "d").PTZ(); !errors.Is(err, ErrNoPTZCmd) {
		t.Errorf("PTZ() without command: %v", err)
	}

	home := NewDeviceControl(13, "d")
	home.HomePosition = &HomePosition{Enabled: 1, ResetTime: ptr(30), PresetIndex: ptr(2)}
	out, err = Encode(home, "")
	if err != nil {
		t.Fatal(err)
	}
	s := string(out)
	for _, w := range []string{"<HomePosition>", "<Enabled>1</Enabled>", "<ResetTime>30</ResetTime>", "<PresetIndex>2</PresetIndex>"} {
		if !strings.Contains(s, w) {
			t.Errorf("missing %s in\n%s", w, s)
		}
	}
	for _, unwanted := range []string{"PTZCmd", "TeleBoot", "RecordCmd", "GuardCmd", "AlarmCmd", "IFameCmd", "DragZoom", "PTZPreciseCtrl", "Info"} {
		if strings.Contains(s, unwanted) {
			t.Errorf("unset %s marshalled:\n%s", unwanted, s)
		}
	}
}

// TestTypedRoundTrip encodes one value of every typed struct, decodes it
// and checks Typed picks the same type and re-encodes identically.
func TestTypedRoundTrip(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	start := time.Date(2024, 5, 1, 0, 0, 0, 0, loc)
	dc := NewDeviceControl(30, "c")
	dc.TeleBoot = TeleBootBoot
	dc.RecordCmd, dc.StreamNumber = RecordCmdRecord, ptr(1)
	dc.GuardCmd, dc.AlarmCmd = GuardCmdSet, AlarmCmdReset
	dc.IFameCmd, dc.IFrameCmd = IFrameCmdSend, IFrameCmdSend
	dc.DragZoomIn = &DragZoom{Length: 1920, Width: 1080, MidPointX: 100, MidPointY: 200, LengthX: 50, LengthY: 40}
	dc.DragZoomOut = &DragZoom{Length: 1920, Width: 1080}
	dc.PTZPreciseCtrl = &PTZPreciseCtrl{Pan: ptr(180.5), Tilt: ptr(-10.25), Zoom: ptr(2.0)}
	dc.PTZCmdParams = &PTZCmdParams{PresetName: "门口"}
	dc.Info = &ControlInfo{AlarmMethod: "2", AlarmType: "1"}

	values := []any{
		NewCatalogQuery(1, "d"),
		NewCatalogResponse(2, "d", 1, []CatalogItem{{DeviceID: "c", Name: "名", Status: "ON", Info: &CatalogItemInfo{
			PTZType: 1, Resolution: "6/4", GrassrootsCode: "000000", HorizontalFieldAngle: 90.5, RecordSaveDays: 30}}}),
		NewCatalogNotify(3, "d", []CatalogItem{{DeviceID: "c", Event: EventDel}}),
		NewDeviceInfoQuery(4, "d"),
		&DeviceInfoResponse{CmdType: CmdDeviceInfo, SN: 5, DeviceID: "d", DeviceName: "IPC", Result: ResultOK,
			Manufacturer: "Hikvision", Model: "DS", Firmware: "V5", Channel: 1, MaxCamera: 1, MaxAlarm: 2},
		NewDeviceStatusQuery(6, "d"),
		&DeviceStatusResponse{CmdType: CmdDeviceStatus, SN: 7, DeviceID: "d", Result: ResultOK, Online: StatusOnline,
			Status: ResultOK, Encode: "ON", Record: "OFF", DeviceTime: "2024-05-01T10:00:00",
			Alarmstatus: &AlarmStatusList{Num: 1, Items: []AlarmStatusItem{{DeviceID: "a", DutyStatus: "ONDUTY"}}}},
		NewRecordInfoQuery(8, "d", start, start.Add(time.Hour), loc),
		&RecordInfoResponse{CmdType: CmdRecordInfo, SN: 9, DeviceID: "d", Name: "n", SumNum: 1, RecordList: RecordList{Num: 1,
			Items: []RecordItem{{DeviceID: "d", Name: "n", StartTime: "2024-05-01T00:00:00", EndTime: "2024-05-01T01:00:00",
				Type: RecordTypeTime, FileSize: 1 << 33, StreamNumber: 1}}}},
		NewPresetQuery(10, "d"),
		NewPresetQueryResponse(11, "d", []PresetItem{{PresetID: 1, PresetName: "一"}}),
		NewPTZPositionQuery(12, "d"),
		&PTZPositionResponse{CmdType: CmdPTZPosition, SN: 13, DeviceID: "d", Pan: ptr(1.5), Tilt: ptr(0.0), Zoom: ptr(4.0),
			HorizontalFieldAngle: ptr(60.0), VerticalFieldAngle: ptr(34.0), MaxViewDistance: ptr(500.0)},
		NewHomePositionQuery(14, "d"),
		&HomePositionResponse{CmdType: CmdHomePositionQuery, SN: 15, DeviceID: "d", HomePosition: &HomePosition{Enabled: 1, ResetTime: ptr(60), PresetIndex: ptr(1)}},
		NewCruiseTrackListQuery(16, "d"),
		&CruiseTrackListResponse{CmdType: CmdCruiseTrackListQuery, SN: 17, DeviceID: "d", SumNum: 2,
			CruiseTrackList: CruiseTrackList{Num: 2, Tracks: []CruiseTrack{{Number: 0, Name: "白天"}, {Number: 1}}}},
		NewCruiseTrackQuery(18, "d", 1),
		&CruiseTrackResponse{CmdType: CmdCruiseTrackQuery, SN: 19, DeviceID: "d", Number: 1, Name: "夜间", SumNum: 1,
			CruisePointList: CruisePointList{Num: 1, Points: []CruisePoint{{PresetIndex: 3, StayTime: 5, Speed: 8}}}},
		dc,
		NewDeviceConfig(31, "d", BasicParam{Name: "cam", Expiration: ptr(3600), HeartBeatInterval: ptr(60), HeartBeatCount: ptr(3)}),
		NewDeviceControlResponse(32, "d", true),
		NewDeviceConfigResponse(33, "d", false),
		NewAlarmResponse(34, "d"),
		NewKeepalive(35, "d"),
		&KeepaliveNotify{CmdType: CmdKeepalive, SN: 36, DeviceID: "d", Status: ResultOK, Info: &KeepaliveInfo{DeviceIDs: []string{"x", "y"}}},
		&AlarmNotify{CmdType: CmdAlarm, SN: 37, DeviceID: "d", AlarmPriority: "1", AlarmMethod: AlarmMethodVideo,
			AlarmTime: "2024-05-01T10:00:00", AlarmDescription: "越界", Longitude: ptr(116.1), Latitude: ptr(39.1),
			Info: &AlarmInfo{AlarmType: 2, AlarmTypeParam: &AlarmTypeParam{EventType: 1}}},
		NewMediaStatusEndOfFile(38, "d"),
		&MobilePositionNotify{CmdType: CmdMobilePosition, SN: 39, DeviceID: "d", Time: "2024-05-01T10:00:00",
			Longitude: 116.1, Latitude: 39.1, Speed: ptr(0.0), Direction: ptr(90.0), Altitude: ptr(50.0)},
	}
	for _, charset := range []string{CharsetUTF8, CharsetGB2312} {
		for _, v := range values {
			out, err := Encode(v, charset)
			if err != nil {
				t.Fatalf("Encode %T: %v", v, err)
			}
			m, err := Decode(out)
			if err != nil {
				t.Fatalf("Decode %T: %v\n%s", v, err, out)
			}
			if m.Charset != charset {
				t.Errorf("%T: Charset %q", v, m.Charset)
			}
			got, err := m.Typed()
			if err != nil {
				t.Fatalf("Typed %T: %v", v, err)
			}
			if reflect.TypeOf(got) != reflect.TypeOf(v) {
				t.Errorf("Typed() = %T, want %T", got, v)
				continue
			}
			again, err := Encode(got, charset)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, again) {
				t.Errorf("%T re-encodes differently:\n%s\n%s", v, out, again)
			}
		}
	}
}

func TestBuildersFillCmdType(t *testing.T) {
	q := NewRecordInfoQuery(1, "d", time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC), time.Date(2024, 5, 1, 9, 30, 0, 0, time.UTC), time.FixedZone("CST", 8*3600))
	if q.CmdType != CmdRecordInfo || q.StartTime != "2024-05-01T16:00:00" || q.EndTime != "2024-05-01T17:30:00" || q.Type != RecordTypeAll {
		t.Errorf("record query = %+v", q)
	}
	for _, c := range []struct{ got, want string }{
		{NewQuery("ConfigDownload", 1, "d").CmdType, CmdConfigDownload},
		{NewDeviceInfoQuery(1, "d").CmdType, CmdDeviceInfo},
		{NewDeviceStatusQuery(1, "d").CmdType, CmdDeviceStatus},
		{NewPresetQuery(1, "d").CmdType, CmdPresetQuery},
		{NewPTZPositionQuery(1, "d").CmdType, CmdPTZPosition},
		{NewHomePositionQuery(1, "d").CmdType, CmdHomePositionQuery},
		{NewCruiseTrackListQuery(1, "d").CmdType, CmdCruiseTrackListQuery},
		{NewAlarmResponse(1, "d").CmdType, CmdAlarm},
		{NewMediaStatusEndOfFile(1, "d").NotifyType, NotifyTypeEndOfFile},
		{NewDeviceConfigResponse(1, "d", true).Result, ResultOK},
	} {
		if c.got != c.want {
			t.Errorf("got %q want %q", c.got, c.want)
		}
	}
	if !NewAlarmResponse(1, "d").OK() || NewDeviceControlResponse(1, "d", false).OK() {
		t.Error("ResultResponse.OK")
	}
}

func TestEncodeNil(t *testing.T) {
	if _, err := Encode(nil, ""); err == nil {
		t.Error("Encode(nil) succeeded")
	}
}
