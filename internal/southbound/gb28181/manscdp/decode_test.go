package manscdp

import (
	"bytes"
	"encoding/xml"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestDecodeGB2312CatalogWithChineseNames(t *testing.T) {
	body := gb(t, gbCatalog)
	if utf8.Valid(body) {
		t.Fatal("test body should not be valid UTF-8")
	}
	m, err := Decode(body)
	if err != nil {
		t.Fatal(err)
	}
	if m.Root != RootResponse || m.CmdType != CmdCatalog || m.SN != 17430 || m.DeviceID != "34020000001110000001" {
		t.Fatalf("header = %+v", m)
	}
	if m.Charset != CharsetGB2312 || m.Partial {
		t.Fatalf("Charset %q Partial %v", m.Charset, m.Partial)
	}
	if !utf8.Valid(m.Raw) || !bytes.Contains(m.Raw, []byte("大门口")) {
		t.Fatalf("Raw is not the decoded UTF-8 document:\n%s", m.Raw)
	}
	var resp CatalogResponse
	if err := m.Into(&resp); err != nil {
		t.Fatal(err)
	}
	if resp.SumNum != 3 || resp.DeviceList.Num != 3 || len(resp.DeviceList.Items) != 3 {
		t.Fatalf("counts: SumNum %d Num %d items %d", resp.SumNum, resp.DeviceList.Num, len(resp.DeviceList.Items))
	}
	wantNames := []string{"大门口", "停车场 东侧", "仓库（后门）"}
	wantOnline := []bool{true, false, true}
	for i, it := range resp.DeviceList.Items {
		if it.Name != wantNames[i] {
			t.Errorf("item %d Name = %q, want %q", i, it.Name, wantNames[i])
		}
		if it.Online() != wantOnline[i] {
			t.Errorf("item %d Online() = %v for Status %q", i, it.Online(), it.Status)
		}
	}
	first := resp.DeviceList.Items[0]
	if first.Address != "北京市海淀区" || first.Longitude != 116.397428 || first.Latitude != 39.90923 ||
		first.RegisterWay != 1 || first.ParentID != "34020000001110000001" || first.Info == nil || first.Info.PTZType != 1 {
		t.Errorf("first item = %+v (info %+v)", first, first.Info)
	}
	v, err := m.Typed()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := v.(*CatalogResponse); !ok {
		t.Fatalf("Typed() = %T", v)
	}
}

func TestDecodeCharsetPolicy(t *testing.T) {
	const name = "大门口"
	doc := func(decl string) string {
		return decl + `<Notify><CmdType>Catalog</CmdType><SN>1</SN><DeviceID>d</DeviceID><SumNum>1</SumNum>` +
			`<DeviceList Num="1"><Item><DeviceID>c</DeviceID><Name>` + name + `</Name><Event>ADD</Event></Item></DeviceList></Notify>`
	}
	const gbDecl = `<?xml version="1.0" encoding="GB2312"?>`
	cases := []struct {
		label       string
		body        []byte
		force       string
		wantCharset string
		wantName    bool // the name decodes correctly
	}{
		{"declared GB2312, GB bytes", gb(t, doc(gbDecl)), "", CharsetGB2312, true},
		{"declared gbk (lowercase, single quotes)", gb(t, doc(`<?xml version='1.0' encoding='gbk'?>`)), "", CharsetGBK, true},
		{"declared GB18030", gb(t, doc(`<?xml version="1.0" encoding="GB18030"?>`)), "", CharsetGB18030, true},
		{"declared UTF-8, UTF-8 bytes", []byte(doc(`<?xml version="1.0" encoding="UTF-8"?>`)), "", CharsetUTF8, true},
		{"undeclared UTF-8", []byte(doc("")), "", CharsetUTF8, true},
		{"undeclared GB bytes", gb(t, doc("")), "", CharsetGB2312, true},
		{"declared UTF-8 but GB bytes", gb(t, doc(`<?xml version="1.0" encoding="UTF-8"?>`)), "", CharsetGB2312, true},
		{"unknown label, GB bytes", gb(t, doc(`<?xml version="1.0" encoding="ISO-8859-1"?>`)), "", CharsetGB2312, true},
		{"BOM wins over a GB declaration", append([]byte(utf8BOM), doc(gbDecl)...), "", CharsetUTF8, true},
		// The documented choice: a GB declaration is trusted even over
		// valid UTF-8 bytes, so a mislabelling device needs DecodeAs.
		{"declared GB2312 but UTF-8 bytes", []byte(doc(gbDecl)), "", CharsetGB2312, false},
		{"DecodeAs UTF-8 for that device", []byte(doc(gbDecl)), "utf8", CharsetUTF8, true},
		{"DecodeAs GBK over undeclared", gb(t, doc("")), "GBK", CharsetGBK, true},
	}
	for _, c := range cases {
		t.Run(c.label, func(t *testing.T) {
			m, err := DecodeAs(c.body, c.force)
			if err != nil {
				t.Fatal(err)
			}
			if m.Charset != c.wantCharset {
				t.Errorf("Charset = %q, want %q", m.Charset, c.wantCharset)
			}
			var n CatalogNotify
			if err := m.Into(&n); err != nil {
				t.Fatal(err)
			}
			if len(n.DeviceList.Items) != 1 || n.DeviceList.Items[0].Event != EventAdd {
				t.Fatalf("items = %+v", n.DeviceList.Items)
			}
			if got := n.DeviceList.Items[0].Name == name; got != c.wantName {
				t.Errorf("name %q decoded correctly = %v, want %v", n.DeviceList.Items[0].Name, got, c.wantName)
			}
		})
	}
	if _, err := DecodeAs([]byte(doc("")), "big5"); !errors.Is(err, ErrUnsupportedCharset) {
		t.Errorf("DecodeAs big5: %v", err)
	}
}

func TestDecodeLenient(t *testing.T) {
	cases := []struct {
		label string
		body  string
		check func(t *testing.T, m *Message)
	}{
		{"bare ampersand and unknown entity", `<Response><CmdType>Catalog</CmdType><SN>1</SN><DeviceID>d</DeviceID><SumNum>1</SumNum>` +
			`<DeviceList Num="1"><Item><DeviceID>c</DeviceID><Name>R&D &amp; QA &nbsp;&#20013;&#x56FD;</Name></Item></DeviceList></Response>`,
			func(t *testing.T, m *Message) {
				var r CatalogResponse
				mustInto(t, m, &r)
				if got := r.DeviceList.Items[0].Name; got != "R&D & QA &nbsp;中国" {
					t.Errorf("Name = %q", got)
				}
			}},
		{"CDATA keeps its ampersand", `<Notify><CmdType>Alarm</CmdType><SN>1</SN><DeviceID>d</DeviceID><AlarmDescription><![CDATA[a & b <x>]]> & c</AlarmDescription></Notify>`,
			func(t *testing.T, m *Message) {
				var a AlarmNotify
				mustInto(t, m, &a)
				if a.AlarmDescription != "a & b <x> & c" {
					t.Errorf("AlarmDescription = %q", a.AlarmDescription)
				}
			}},
		{"repeated header fields: first wins", `<Query><CmdType>Catalog</CmdType><SN>1</SN><sn>2</sn><CmdType/><DeviceID>a</DeviceID><DeviceID><x>b</x></DeviceID></Query>`,
			func(t *testing.T, m *Message) {
				var q CatalogQuery
				mustInto(t, m, &q)
				if q.CmdType != CmdCatalog || q.SN != 1 || q.DeviceID != "a" || m.SN != 1 || m.DeviceID != "a" {
					t.Errorf("query %+v message %+v", q, m)
				}
			}},
		{"trailing garbage", "<Query><CmdType>DeviceInfo</CmdType><SN>5</SN><DeviceID>d</DeviceID></Query>\x00\x00\r\n</Query>junk<<<",
			func(t *testing.T, m *Message) {
				var q DeviceInfoQuery
				mustInto(t, m, &q)
				if q.SN != 5 || m.Partial {
					t.Errorf("SN %d Partial %v", q.SN, m.Partial)
				}
			}},
		{"no declaration, lowercase root, BOM and blank lines", "\ufeff\r\n\r\n  <response><CmdType>DeviceControl</CmdType><SN>3</SN><DeviceID>d</DeviceID><Result>OK</Result></response>",
			func(t *testing.T, m *Message) {
				if m.Root != RootResponse {
					t.Errorf("Root = %q", m.Root)
				}
				var r ResultResponse
				mustInto(t, m, &r)
				if !r.OK() {
					t.Errorf("Result = %q", r.Result)
				}
			}},
		{"upper-case root and header elements, CmdType case and space", `<NOTIFY><cmdtype> keepalive </cmdtype><sn>9</sn><deviceid> d1 </deviceid><Status>OK</Status></NOTIFY>`,
			func(t *testing.T, m *Message) {
				if m.Root != RootNotify || m.CmdType != CmdKeepalive || m.SN != 9 || m.DeviceID != "d1" {
					t.Errorf("header = %+v", m)
				}
				var k KeepaliveNotify
				mustInto(t, m, &k)
				if k.Status != "OK" || k.SN != 9 || k.CmdType != CmdKeepalive || k.DeviceID != "d1" {
					t.Errorf("keepalive = %+v", k)
				}
			}},
		{"numbers with whitespace, unquoted attribute, comments, end tag case", `<?xml version="1.0"?><!-- hi --><!DOCTYPE x><Response>
<CmdType>RecordInfo</CmdType><SN>
 42 </SN><DeviceID>d</DeviceID><Name>n</Name><SumNum> 2 </SumNum>
<RecordList Num= 2 ><Item><DeviceID>a</DeviceID><FileSize> 10 </FileSize><Secrecy>
0</Secrecy></item><Item><DeviceID>b</DeviceID></ITEM></RecordList></Response>`,
			func(t *testing.T, m *Message) {
				var r RecordInfoResponse
				mustInto(t, m, &r)
				if m.SN != 42 || r.SN != 42 || r.SumNum != 2 || r.RecordList.Num != 2 || len(r.RecordList.Items) != 2 ||
					r.RecordList.Items[0].FileSize != 10 || r.RecordList.Items[1].DeviceID != "b" {
					t.Errorf("record info = %+v", r)
				}
			}},
		{"control characters dropped", "<Notify><CmdType>Alarm</CmdType><SN>1</SN><DeviceID>d</DeviceID><AlarmDescription>a\x01b\x1fc\x00</AlarmDescription></Notify>",
			func(t *testing.T, m *Message) {
				var a AlarmNotify
				mustInto(t, m, &a)
				if a.AlarmDescription != "abc" {
					t.Errorf("AlarmDescription = %q", a.AlarmDescription)
				}
			}},
		{"end tag closing several elements", `<Response><CmdType>PresetQuery</CmdType><SN>1</SN><DeviceID>d</DeviceID><PresetList Num="1"><Item><PresetID>4</PresetID><PresetName>x</PresetList></Response>`,
			func(t *testing.T, m *Message) {
				var r PresetQueryResponse
				mustInto(t, m, &r)
				if len(r.PresetList.Items) != 1 || r.PresetList.Items[0].PresetID != 4 || r.PresetList.Items[0].PresetName != "x" {
					t.Errorf("presets = %+v", r.PresetList)
				}
			}},
		{"truncated body", `<Response><CmdType>Catalog</CmdType><SN>2</SN><DeviceID>d</DeviceID><SumNum>300</SumNum><DeviceList Num="2"><Item><DeviceID>a</DeviceID><Name>A</Name></Item><Item><DeviceID>b</Devi`,
			func(t *testing.T, m *Message) {
				if !m.Partial {
					t.Error("Partial not set")
				}
				var r CatalogResponse
				mustInto(t, m, &r)
				if len(r.DeviceList.Items) < 1 || r.DeviceList.Items[0].Name != "A" {
					t.Errorf("items = %+v", r.DeviceList.Items)
				}
			}},
		{"namespaces stripped", `<Response xmlns="urn:x" xmlns:y="urn:y"><CmdType>DeviceInfo</CmdType><SN>1</SN><DeviceID>d</DeviceID><y:Result>OK</y:Result></Response>`,
			func(t *testing.T, m *Message) {
				var r DeviceInfoResponse
				mustInto(t, m, &r)
				if r.Result != "OK" {
					t.Errorf("Result = %q", r.Result)
				}
			}},
		{"unknown elements and root", `<Foo><CmdType>Bar</CmdType><SN>x</SN><Extra><A>1</A></Extra></Foo>`,
			func(t *testing.T, m *Message) {
				if m.Root != "Foo" || m.CmdType != "Bar" || m.SN != 0 {
					t.Errorf("header = %+v", m)
				}
				if _, err := m.Typed(); !errors.Is(err, ErrUnknownMessage) {
					t.Errorf("Typed: %v", err)
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.label, func(t *testing.T) {
			m, err := Decode([]byte(c.body))
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, m)
		})
	}
}

func mustInto(t *testing.T, m *Message, v any) {
	t.Helper()
	if err := m.Into(v); err != nil {
		t.Fatalf("Into: %v\nRaw: %s", err, m.Raw)
	}
}

func TestDecodeErrors(t *testing.T) {
	for _, c := range []struct {
		body string
		want error
	}{
		{"", ErrNoRoot},
		{"   \r\n", ErrNoRoot},
		{"just text", ErrNoRoot},
		{`<?xml version="1.0" encoding="GB2312"?>`, ErrNoRoot},
		{"<<<", ErrNoRoot},
		{"<Response></Response>", ErrNoCmdType},
		{"<Response><CmdType> </CmdType></Response>", ErrNoCmdType},
		{"<Response><Item><CmdType>Catalog</CmdType></Item></Response>", ErrNoCmdType},
		{"<Response><SN>1</SN>", ErrNoCmdType},
	} {
		_, err := Decode([]byte(c.body))
		if !errors.Is(err, c.want) {
			t.Errorf("Decode(%q) error = %v, want %v", c.body, err, c.want)
		}
	}
}

func TestIntoLenientNumbers(t *testing.T) {
	body := `<Response><CmdType>Catalog</CmdType><SN>1</SN><DeviceID>d</DeviceID><SumNum>two</SumNum>` +
		`<DeviceList Num="x"><Item><DeviceID>a</DeviceID><Parental>1.0</Parental><Port>abc</Port>` +
		`<Longitude>null</Longitude><Latitude> 39.5 </Latitude><Secrecy>1e400</Secrecy><Status>ON</Status></Item></DeviceList></Response>`
	m, err := Decode([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	var r CatalogResponse
	mustInto(t, m, &r)
	it := r.DeviceList.Items[0]
	if r.SumNum != 0 || r.DeviceList.Num != 0 || it.Parental != 1 || it.Port != 0 || it.Longitude != 0 ||
		it.Latitude != 39.5 || it.Secrecy != 0 || it.Status != "ON" {
		t.Errorf("response = %+v item %+v", r, it)
	}

	// A plain struct with pointers, uints and chardata numbers.
	type inner struct {
		U   uint8   `xml:"U"`
		Val float32 `xml:",chardata"`
	}
	type custom struct {
		XMLName xml.Name `xml:"Notify"`
		N       *int     `xml:"A>B"`
		In      []inner  `xml:"In"`
	}
	m2, err := Decode([]byte(`<Notify><CmdType>X</CmdType><A><B>-3.7</B></A><In>zz<U>300</U></In><In>1.5<U>-0</U></In></Notify>`))
	if err != nil {
		t.Fatal(err)
	}
	var c custom
	mustInto(t, m2, &c)
	if c.N == nil || *c.N != -3 || len(c.In) != 2 || c.In[0].U != 0 || c.In[0].Val != 0 || c.In[1].Val != 1.5 || c.In[1].U != 0 {
		t.Errorf("custom = %+v", c)
	}

	// Non-numeric failures are not retried.
	var wrongRoot DeviceInfoQuery
	if err := m.Into(&wrongRoot); err == nil || !strings.Contains(err.Error(), "Query") {
		t.Errorf("Into wrong root: %v", err)
	}
}

func TestDecodeDeepNestingIsCut(t *testing.T) {
	body := "<Response><CmdType>Catalog</CmdType>" + strings.Repeat("<a>", 20000) + strings.Repeat("</b>", 20000)
	m, err := Decode([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if !m.Partial || m.CmdType != CmdCatalog || bytes.Count(m.Raw, []byte("<a>")) != maxDepth-1 {
		t.Errorf("Partial %v CmdType %q, %d levels kept", m.Partial, m.CmdType, bytes.Count(m.Raw, []byte("<a>")))
	}
}
