package manscdp

import (
	"fmt"
	"strings"
	"time"
)

// TimeLayout is the GB/T 28181 date-time format: local time, no zone.
const TimeLayout = "2006-01-02T15:04:05"

// ParseTime parses a GB date-time in loc (nil: time.Local). It tolerates
// surrounding space, a space instead of the "T", fractional seconds,
// missing seconds, and an explicit zone ("Z" or "+08:00"), which then
// wins over loc (the result is still expressed in loc).
func ParseTime(s string, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.Local
	}
	v := strings.TrimSpace(s)
	if len(v) > 10 && v[10] == ' ' {
		v = v[:10] + "T" + strings.TrimLeft(v[11:], " ")
	}
	for _, layout := range []string{TimeLayout, time.RFC3339Nano, "2006-01-02T15:04", "2006-01-02T15:04Z07:00"} {
		var (
			t   time.Time
			err error
		)
		if strings.Contains(layout, "Z07") {
			t, err = time.Parse(layout, v)
			if err == nil {
				return t.In(loc), nil
			}
			continue
		}
		if t, err = time.ParseInLocation(layout, v, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("manscdp: bad time %q", s)
}

// FormatTime formats t in loc (nil: time.Local) as TimeLayout, dropping
// fractions of a second. The zero time formats as "".
func FormatTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return ""
	}
	if loc == nil {
		loc = time.Local
	}
	return t.In(loc).Format(TimeLayout)
}
