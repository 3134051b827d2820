package manscdp

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// allTyped returns one zero value of every typed struct.
func allTyped() []any {
	return []any{
		&CatalogQuery{}, &CatalogResponse{}, &CatalogNotify{}, &DeviceInfoQuery{}, &DeviceInfoResponse{},
		&DeviceStatusQuery{}, &DeviceStatusResponse{}, &RecordInfoQuery{}, &RecordInfoResponse{},
		&PresetQuery{}, &PresetQueryResponse{}, &PTZPositionQuery{}, &PTZPositionResponse{},
		&HomePositionQuery{}, &HomePositionResponse{}, &CruiseTrackListQuery{}, &CruiseTrackListResponse{},
		&CruiseTrackQuery{}, &CruiseTrackResponse{}, &DeviceControl{}, &DeviceConfig{}, &ResultResponse{},
		&KeepaliveNotify{}, &AlarmNotify{}, &MediaStatusNotify{}, &MobilePositionNotify{}, &Query{},
	}
}

func FuzzDecode(f *testing.F) {
	for _, b := range seedBodies(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := Decode(body)
		if err != nil {
			if !errors.Is(err, ErrNoRoot) && !errors.Is(err, ErrNoCmdType) {
				t.Fatalf("Decode error %v is neither ErrNoRoot nor ErrNoCmdType", err)
			}
			return
		}
		if m.Root == "" || m.CmdType == "" || m.CmdType != strings.TrimSpace(m.CmdType) {
			t.Fatalf("bad header %+v", m)
		}
		if _, ok := canonicalCharset(m.Charset); !ok {
			t.Fatalf("Charset %q", m.Charset)
		}
		if !utf8.Valid(m.Raw) {
			t.Fatalf("Raw not UTF-8: %q", m.Raw)
		}
		checkWellFormed(t, m.Raw)

		// Raw is a fixed point of Decode.
		m2, err := Decode(m.Raw)
		if err != nil {
			t.Fatalf("Decode(Raw): %v\n%s", err, m.Raw)
		}
		if m2.Root != m.Root || m2.CmdType != m.CmdType || m2.SN != m.SN || m2.DeviceID != m.DeviceID ||
			m2.Partial || !bytes.Equal(m2.Raw, m.Raw) {
			t.Fatalf("Decode(Raw) differs:\n%+v\n%+v", m, m2)
		}

		// Into must not panic for any typed struct.
		for _, v := range allTyped() {
			_ = m.Into(v)
		}
		v, err := m.Typed()
		if err != nil {
			return
		}
		// A typed message re-encodes and decodes to the same struct.
		out, err := Encode(v, m.Charset)
		if err != nil {
			t.Fatalf("Encode %T: %v", v, err)
		}
		m3, err := Decode(out)
		if err != nil {
			t.Fatalf("Decode(Encode): %v\n%s", err, out)
		}
		v3, err := m3.Typed()
		if err != nil {
			t.Fatalf("Typed after re-encode: %v\n%s", err, out)
		}
		out3, err := Encode(v3, m.Charset)
		if err != nil || !bytes.Equal(out, out3) {
			t.Fatalf("re-encode differs (%v):\n%s\n%s", err, out, out3)
		}
	})
}

func checkWellFormed(t *testing.T, raw []byte) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(raw))
	depth, roots := 0, 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Raw not well-formed: %v\n%s", err, raw)
		}
		switch tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
			}
			depth++
		case xml.EndElement:
			depth--
		}
	}
	if roots != 1 {
		t.Fatalf("Raw has %d root elements:\n%s", roots, raw)
	}
}

func FuzzParsePTZCmd(f *testing.F) {
	for _, c := range []PTZCmd{Stop(), SetPreset(1), Move(DirUpLeft|DirZoomOut, 36, 252, 15), Focus(true, 1),
		Iris(false, 2), CruiseSpeed(3, 300), ScanSetRight(1), AuxOff(2), Stop().WithAddress(0xFFF)} {
		f.Add(c.String())
	}
	f.Add("a5 0f 01 81 00 01 00 37")
	f.Add("A50F01000000ZZB5")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParsePTZCmd(s)
		if err != nil {
			if !errors.Is(err, ErrBadPTZCmd) {
				t.Fatalf("error %v does not wrap ErrBadPTZCmd", err)
			}
			return
		}
		if !c.Valid() {
			t.Fatalf("%q parsed to invalid %s", s, c)
		}
		str := c.String()
		if want := strings.ToUpper(strings.Join(strings.Fields(s), "")); str != want {
			t.Fatalf("String() = %s, want %s", str, want)
		}
		back, err := ParsePTZCmd(str)
		if err != nil || back != c {
			t.Fatalf("round trip %s: %s %v", str, back, err)
		}
		d := c.Decode()
		if d.Code != c[3] || d.Address != c.Address() {
			t.Fatalf("Decode(%s) = %+v", str, d)
		}
		if rebuilt, ok := rebuild(d); ok && rebuilt.WithAddress(d.Address) != c {
			t.Fatalf("Decode(%s) = %+v rebuilds as %s", str, d, rebuilt)
		}
	})
}

// rebuild constructs the command a decoded Command describes, for kinds
// whose unused bytes are zero in c (reported by ok only when it should
// match exactly).
func rebuild(d Command) (PTZCmd, bool) {
	switch d.Kind {
	case KindSetPreset:
		return SetPreset(d.Preset), true
	case KindCallPreset:
		return CallPreset(d.Preset), true
	case KindDeletePreset:
		return DeletePreset(d.Preset), true
	case KindCruiseAddPoint:
		return CruiseAddPoint(d.Group, d.Preset), true
	case KindCruiseDeletePoint:
		return CruiseDeletePoint(d.Group, d.Preset), true
	case KindCruiseSpeed:
		return CruiseSpeed(d.Group, d.Value), true
	case KindCruiseStay:
		return CruiseStay(d.Group, d.Value), true
	case KindScanSpeed:
		return ScanSpeed(d.Group, d.Value), true
	}
	return PTZCmd{}, false
}

// TestWriteFuzzSeeds regenerates the committed seed corpora under
// testdata/fuzz when MANSCDP_WRITE_SEEDS=1.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("MANSCDP_WRITE_SEEDS") != "1" {
		t.Skip("set MANSCDP_WRITE_SEEDS=1 to regenerate testdata/fuzz seeds")
	}
	write := func(target, name string, value string) {
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		content := "go test fuzz v1\n" + value + "\n"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i, b := range seedBodies(t) {
		write("FuzzDecode", fmt.Sprintf("seed-%02d", i), "[]byte("+strconv.Quote(string(b))+")")
	}
	for i, s := range []string{Stop().String(), SetPreset(1).String(), CruiseStay(2, 4095).String(),
		"a5 0f 01 44 00 40 00 39", "A50F0100000000B6"} {
		write("FuzzParsePTZCmd", fmt.Sprintf("seed-%02d", i), "string("+strconv.Quote(s)+")")
	}
}
