package manscdp

import (
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// gb encodes s in GB18030 (GB2312-compatible for the text used here).
func gb(t testing.TB, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatalf("gb encode: %v", err)
	}
	return b
}

// gbCatalog is a Hikvision-style catalog answer with Chinese channel names,
// to be GB-encoded.
const gbCatalog = `<?xml version="1.0" encoding="GB2312"?>
<Response>
<CmdType>Catalog</CmdType>
<SN>17430</SN>
<DeviceID>34020000001110000001</DeviceID>
<SumNum>3</SumNum>
<DeviceList Num="3">
<Item>
<DeviceID>34020000001320000001</DeviceID>
<Name>大门口</Name>
<Manufacturer>Hikvision</Manufacturer>
<Model>IP Camera</Model>
<Owner>Owner</Owner>
<CivilCode>3402000000</CivilCode>
<Address>北京市海淀区</Address>
<Parental>0</Parental>
<ParentID>34020000001110000001</ParentID>
<SafetyWay>0</SafetyWay>
<RegisterWay>1</RegisterWay>
<Secrecy>0</Secrecy>
<Status>ON</Status>
<Longitude>116.397428</Longitude>
<Latitude>39.90923</Latitude>
<Info><PTZType>1</PTZType></Info>
</Item>
<Item>
<DeviceID>34020000001320000002</DeviceID>
<Name>停车场 东侧</Name>
<Manufacturer>Hikvision</Manufacturer>
<Model>IP Camera</Model>
<Owner>Owner</Owner>
<CivilCode>3402000000</CivilCode>
<Address>Address</Address>
<Parental>0</Parental>
<ParentID>34020000001110000001</ParentID>
<RegisterWay>1</RegisterWay>
<Secrecy>0</Secrecy>
<Status>OFF</Status>
</Item>
<Item>
<DeviceID>34020000001320000003</DeviceID>
<Name>仓库（后门）</Name>
<Manufacturer>Hikvision</Manufacturer>
<Model>IP Camera</Model>
<Owner>Owner</Owner>
<CivilCode>3402000000</CivilCode>
<Address>Address</Address>
<Parental>0</Parental>
<ParentID>34020000001110000001</ParentID>
<RegisterWay>1</RegisterWay>
<Secrecy>0</Secrecy>
<Status>ONLINE</Status>
</Item>
</DeviceList>
</Response>
`

// seedBodies are real-world-shaped bodies for the fuzz seed corpus and for
// table tests. GB-declared ones are GB-encoded.
func seedBodies(t testing.TB) [][]byte {
	utf8Bodies := []string{
		`<?xml version="1.0" encoding="GB2312"?>
<Notify>
<CmdType>Keepalive</CmdType>
<SN>125</SN>
<DeviceID>34020000001110000001</DeviceID>
<Status>OK</Status>
<Info>
</Info>
</Notify>
`,
		`<?xml version="1.0" encoding="UTF-8"?>
<Response>
<CmdType>DeviceInfo</CmdType>
<SN>3</SN>
<DeviceID>34020000001180000002</DeviceID>
<DeviceName>NVR</DeviceName>
<Result>OK</Result>
<Manufacturer>Dahua</Manufacturer>
<Model>DH-NVR4216-4KS2</Model>
<Firmware>V4.001.0000000.2</Firmware>
<Channel>16</Channel>
</Response>
`,
		`<?xml version="1.0" encoding="GB2312"?>
<Response>
<CmdType>DeviceStatus</CmdType>
<SN>44</SN>
<DeviceID>34020000001320000001</DeviceID>
<Result>OK</Result>
<Online>ONLINE</Online>
<Status>OK</Status>
<Encode>ON</Encode>
<Record>OFF</Record>
<DeviceTime>2024-05-01T10:00:00</DeviceTime>
<Alarmstatus Num="1">
<Item><DeviceID>34020000001340000001</DeviceID><DutyStatus>OFFDUTY</DutyStatus></Item>
</Alarmstatus>
</Response>
`,
		`<?xml version="1.0" encoding="GB2312"?>
<Response>
<CmdType>RecordInfo</CmdType>
<SN>9</SN>
<DeviceID>34020000001320000001</DeviceID>
<Name>大门口</Name>
<SumNum>1</SumNum>
<RecordList Num="1">
<Item>
<DeviceID>34020000001320000001</DeviceID>
<Name>大门口</Name>
<FilePath>ch01_20240501</FilePath>
<Address>Address</Address>
<StartTime>2024-05-01T00:00:00</StartTime>
<EndTime>2024-05-01T01:00:00</EndTime>
<Secrecy>0</Secrecy>
<Type>time</Type>
<FileSize>1073741824</FileSize>
</Item>
</RecordList>
</Response>
`,
		`<?xml version="1.0" encoding="GB2312"?>
<Notify>
<CmdType>Alarm</CmdType>
<SN>7</SN>
<DeviceID>34020000001340000001</DeviceID>
<AlarmPriority>1</AlarmPriority>
<AlarmMethod>5</AlarmMethod>
<AlarmTime>2024-05-01T10:00:00</AlarmTime>
<AlarmDescription>移动侦测</AlarmDescription>
<Info><AlarmType>2</AlarmType><AlarmTypeParam><EventType>1</EventType></AlarmTypeParam></Info>
</Notify>
`,
		`<?xml version="1.0" encoding="GB2312"?>
<Control>
<CmdType>DeviceControl</CmdType>
<SN>11</SN>
<DeviceID>34020000001320000001</DeviceID>
<PTZCmd>A50F0100000000B5</PTZCmd>
<Info><ControlPriority>5</ControlPriority></Info>
</Control>
`,
		`<Query><CmdType>Catalog</CmdType><SN>1</SN><DeviceID>34020000001110000001</DeviceID></Query>`,
		`<?xml version="1.0"?>
<Response><CmdType>PresetQuery</CmdType><SN>2</SN><DeviceID>34020000001320000001</DeviceID><PresetList Num="2"><Item><PresetID>1</PresetID><PresetName>预置点1</PresetName></Item><Item><PresetID>2</PresetID><PresetName>门口</PresetName></Item></PresetList></Response>`,
		`<?xml version="1.0" encoding="UTF-8"?>
<Response><CmdType>PTZPosition</CmdType><SN>5</SN><DeviceID>34020000001320000001</DeviceID><Pan>180.25</Pan><Tilt>12.5</Tilt><Zoom>3</Zoom><HorizontalFieldAngle>31.2</HorizontalFieldAngle><VerticalFieldAngle>18</VerticalFieldAngle><MaxViewDistance>300</MaxViewDistance></Response>`,
		`<?xml version="1.0" encoding="UTF-8"?>
<Response><CmdType>CruiseTrackQuery</CmdType><SN>75</SN><DeviceID>34020000001320000001</DeviceID><Number>1</Number><Name>夜间</Name><SumNum>1</SumNum><CruisePointList Num="1"><CruisePoint><PresetIndex>3</PresetIndex><StayTime>5</StayTime><Speed>8</Speed></CruisePoint></CruisePointList></Response>`,
		"\ufeff  <notify><CmdType>MediaStatus</CmdType><SN>8</SN><DeviceID>34020000001320000001</DeviceID><NotifyType>121</NotifyType></notify>\x00\x00garbage",
		`<Response><CmdType>Catalog</CmdType><SN> 12 </SN><DeviceID>x</DeviceID><SumNum>1</SumNum><DeviceList Num=1><Item><DeviceID>a</DeviceID><Name>R&D lab &nbsp;</Name><Port>abc</Port><Longitude>null</Longitude><Status>ON</status></Item></DeviceList>`,
	}
	out := [][]byte{gb(t, gbCatalog)}
	for _, s := range utf8Bodies {
		if strings.Contains(strings.ToLower(s[:min(len(s), 60)]), `encoding="gb2312"`) {
			out = append(out, gb(t, s))
		} else {
			out = append(out, []byte(s))
		}
	}
	return out
}
