package refdevice

import (
	"fmt"
	"strings"
	"time"

	"github.com/vionet/vionet/internal/southbound/gb28181/manscdp"
)

// RecordSpan is the length of each synthesised recording.
const RecordSpan = 10 * time.Minute

// SynthesizeRecords returns the recordings the device reports for
// channelID between start and end: one "time" recording every RecordSpan
// from start, each RecordSpan long (the last one cut at end), at most
// MaxRecords. A query for another type (alarm, manual) finds none; "" and
// "all" find the time recordings. Times are formatted in loc (nil:
// time.Local).
func SynthesizeRecords(channelID, name string, start, end time.Time, recordType string, loc *time.Location) []manscdp.RecordItem {
	switch strings.ToLower(strings.TrimSpace(recordType)) {
	case "", manscdp.RecordTypeAll, manscdp.RecordTypeTime:
	default:
		return nil
	}
	if !end.After(start) {
		return nil
	}
	var items []manscdp.RecordItem
	for t := start; t.Before(end) && len(items) < MaxRecords; t = t.Add(RecordSpan) {
		e := t.Add(RecordSpan)
		if e.After(end) {
			e = end
		}
		items = append(items, manscdp.RecordItem{
			DeviceID:   channelID,
			Name:       name,
			FilePath:   fmt.Sprintf("/record/%s/%s.mp4", channelID, t.In(locOrLocal(loc)).Format("20060102150405")),
			Address:    "local",
			StartTime:  manscdp.FormatTime(t, loc),
			EndTime:    manscdp.FormatTime(e, loc),
			Secrecy:    0,
			Type:       manscdp.RecordTypeTime,
			RecorderID: channelID,
			FileSize:   int64(e.Sub(t).Seconds()) * 256 * 1024, // 2 Mbit/s
		})
	}
	return items
}

func locOrLocal(loc *time.Location) *time.Location {
	if loc == nil {
		return time.Local
	}
	return loc
}
