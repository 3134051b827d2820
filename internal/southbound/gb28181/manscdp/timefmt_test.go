package manscdp

import (
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	want := time.Date(2024, 5, 1, 10, 20, 30, 0, cst)
	for _, s := range []string{
		"2024-05-01T10:20:30",
		" 2024-05-01T10:20:30\r\n",
		"2024-05-01 10:20:30",
		"2024-05-01  10:20:30",
		"2024-05-01T02:20:30Z",
		"2024-05-01T10:20:30+08:00",
	} {
		got, err := ParseTime(s, cst)
		if err != nil || !got.Equal(want) || got.Location() != cst {
			t.Errorf("ParseTime(%q) = %v, %v", s, got, err)
		}
	}
	if got, err := ParseTime("2024-05-01T10:20:30.123", cst); err != nil || !got.Equal(want.Add(123*time.Millisecond)) {
		t.Errorf("fractional: %v %v", got, err)
	}
	if got, err := ParseTime("2024-05-01 10:20:30.5", cst); err != nil || !got.Equal(want.Add(500*time.Millisecond)) {
		t.Errorf("space + fractional: %v %v", got, err)
	}
	if got, err := ParseTime("2024-05-01T10:20", cst); err != nil || !got.Equal(want.Add(-30*time.Second)) {
		t.Errorf("no seconds: %v %v", got, err)
	}
	if got, err := ParseTime("2024-05-01T10:20:30", nil); err != nil || got.Location() != time.Local {
		t.Errorf("nil loc: %v %v", got, err)
	}
	for _, bad := range []string{"", "yesterday", "2024-13-01T00:00:00", "2024-05-01", "1714558830"} {
		if _, err := ParseTime(bad, cst); err == nil {
			t.Errorf("ParseTime(%q) succeeded", bad)
		}
	}
}

func TestFormatTime(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	ts := time.Date(2024, 5, 1, 2, 20, 30, 999_000_000, time.UTC)
	if got := FormatTime(ts, cst); got != "2024-05-01T10:20:30" {
		t.Errorf("FormatTime = %q", got)
	}
	if got := FormatTime(time.Time{}, cst); got != "" {
		t.Errorf("zero = %q", got)
	}
	if got := FormatTime(ts, nil); got != ts.In(time.Local).Format(TimeLayout) {
		t.Errorf("nil loc = %q", got)
	}
	back, err := ParseTime(FormatTime(ts, cst), cst)
	if err != nil || !back.Equal(ts.Truncate(time.Second)) {
		t.Errorf("round trip %v %v", back, err)
	}
}

func TestRecordItemTimes(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	r := RecordItem{StartTime: "2024-05-01T00:00:00", EndTime: "2024-05-01 01:00:00"}
	s, e, err := r.Times(cst)
	if err != nil || e.Sub(s) != time.Hour {
		t.Errorf("Times = %v %v %v", s, e, err)
	}
	if _, _, err := (RecordItem{StartTime: "x"}).Times(cst); err == nil {
		t.Error("bad start accepted")
	}
}
