package app

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vionet/vionet/internal/domain"
)

// Storage types of 4.5.1.3/4.5.1.8.
const (
	StorageCloud  = "0"
	StorageDevice = "1"
)

// RecordListInput is 4.5.1.3's request after decoding.
type RecordListInput struct {
	DeviceSn    string
	ChannelID   *int
	StorageType string
	RecordType  int // 1 normal, 2 alarm
	AlarmType   *int
	Start, End  time.Time
	PageSize    int
	Descending  bool
	// For the thumbnail URLs of cloud recordings.
	Network                 int
	ThumbWidth, ThumbHeight int
	ThumbnailTTL            time.Duration
}

// RecordEntry is one element of 4.5.1.3's recordList.
type RecordEntry struct {
	RecordID    string
	ClusterID   string
	StorageType string
	RecordType  int
	Start, End  time.Time
	// Cloud recordings only.
	AlarmType     *int
	StoragePolicy int // 0 standard, 2 archive (needs 4.5.1.7 first)
	ThumbnailURL  string
	Expires       time.Time
}

// maxRecordRange bounds one listing's time range.
const maxRecordRange = 31 * 24 * time.Hour

// ListRecords lists recordings (4.5.1.3): cloud storage (storageType 0) from vionet's index,
// device storage (storageType 1) by asking the device (GB/T 28181 RecordInfo).
func (a *App) ListRecords(ctx context.Context, appID string, in RecordListInput) ([]RecordEntry, bool, error) {
	if in.RecordType != 1 && in.RecordType != 2 {
		return nil, false, domain.InvalidField("recordType", "must be 1 (normal) or 2 (alarm)")
	}
	if !in.End.After(in.Start) {
		return nil, false, domain.InvalidField("endTime", "must be after startTime")
	}
	if in.End.Sub(in.Start) > maxRecordRange {
		return nil, false, domain.InvalidField("endTime", "range longer than %d days", int(maxRecordRange.Hours()/24))
	}
	if in.StorageType == StorageCloud {
		out, err := a.listCloud(ctx, appID, in)
		if err != nil {
			return nil, false, err
		}
		hasMore := len(out) > in.PageSize
		if hasMore {
			out = out[:in.PageSize]
		}
		return out, hasMore, nil
	}
	recs, err := a.deviceRecords(ctx, appID, in.DeviceSn, in.StorageType, domain.RecordQuery{
		Start: in.Start, End: in.End, AlarmOnly: in.RecordType == 2,
	})
	if err != nil {
		return nil, false, err
	}
	sort.Slice(recs, func(i, j int) bool {
		if in.Descending {
			return recs[i].Start.After(recs[j].Start)
		}
		return recs[i].Start.Before(recs[j].Start)
	})
	hasMore := len(recs) > in.PageSize
	if hasMore {
		recs = recs[:in.PageSize]
	}
	out := make([]RecordEntry, len(recs))
	for i, r := range recs {
		out[i] = RecordEntry{
			RecordID: DeviceRecordID(r), ClusterID: a.platform.ID, StorageType: StorageDevice,
			RecordType: 1, Start: r.Start, End: r.End,
		}
		if r.Alarm {
			out[i].RecordType = 2
		}
	}
	return out, hasMore, nil
}

// DayRecord is one element of 4.5.1.8's answer.
type DayRecord struct {
	Date      string // yyyy-MM-dd
	HasRecord bool
}

// maxRecordDays bounds 4.5.1.8's date range.
const maxRecordDays = 31

// RecordDays tells, day by day, whether recordings exist (4.5.1.8). Dates are in the
// server's time zone.
func (a *App) RecordDays(ctx context.Context, appID, deviceSn string, channelID *int, recordType int, from, to time.Time, storageType string) ([]DayRecord, error) {
	if recordType != 1 && recordType != 2 {
		return nil, domain.InvalidField("recordType", "must be 1 (normal) or 2 (alarm)")
	}
	if to.Before(from) {
		return nil, domain.InvalidField("endDate", "must not be before startDate")
	}
	days := int(to.Sub(from).Hours()/24) + 1
	if days > maxRecordDays {
		return nil, domain.InvalidField("endDate", "at most %d days per query", maxRecordDays)
	}
	var recs []domain.DeviceRecord
	if storageType == StorageCloud {
		cloud, err := a.cloudDays(ctx, appID, deviceSn, channelID, recordType, from, from.AddDate(0, 0, days))
		if err != nil {
			return nil, err
		}
		for _, r := range cloud {
			recs = append(recs, domain.DeviceRecord{Start: r.Start, End: r.End})
		}
	} else {
		var err error
		recs, err = a.deviceRecords(ctx, appID, deviceSn, storageType, domain.RecordQuery{
			Start: from, End: from.AddDate(0, 0, days), AlarmOnly: recordType == 2,
		})
		if err != nil {
			return nil, err
		}
	}
	out := make([]DayRecord, days)
	for i := range out {
		dayStart := from.AddDate(0, 0, i)
		dayEnd := dayStart.AddDate(0, 0, 1)
		out[i].Date = dayStart.Format(time.DateOnly)
		for _, r := range recs {
			if r.Start.Before(dayEnd) && r.End.After(dayStart) {
				out[i].HasRecord = true
				break
			}
		}
	}
	return out, nil
}

// deviceRecords resolves the target, checks storage and status, and asks the device.
func (a *App) deviceRecords(ctx context.Context, appID, sn, storageType string, q domain.RecordQuery) ([]domain.DeviceRecord, error) {
	d, ch, err := a.Target(ctx, appID, sn)
	if err != nil {
		return nil, err
	}
	switch storageType {
	case StorageDevice:
	default:
		return nil, domain.InvalidField("storageType", "must be 0 (cloud) or 1 (device)")
	}
	if d.Protocol != domain.ProtocolGB28181 || a.gb == nil {
		return nil, domain.InvalidField("deviceSn", "device storage is not supported for protocol %d", d.Protocol)
	}
	if err := online(d); err != nil {
		return nil, err
	}
	switch {
	case ch != nil:
		q.Target = ch.ChannelSn
	case len(d.Channels) == 1: // an IPC that reports its lens as a channel
		q.Target = d.Channels[0].ChannelSn
	case d.Type == domain.DeviceNVR:
		return nil, domain.InvalidField("deviceSn", "%s is an NVR: list the recordings of one of its channels", sn)
	}
	recs, err := a.gb.QueryRecords(ctx, d.DeviceSn, q)
	if err != nil {
		return nil, deviceErr(d.DeviceSn, err)
	}
	return recs, nil
}

// DeviceRecordID names a recording kept on a device: its source and time range, which is
// all a playback request needs (GB/T 28181 Playback INVITE by time).
func DeviceRecordID(r domain.DeviceRecord) string {
	return fmt.Sprintf("dev_%s_%d_%d", r.ChannelSn, r.Start.UnixMilli(), r.End.UnixMilli())
}

// ParseDeviceRecordID reverses DeviceRecordID.
func ParseDeviceRecordID(id string) (source string, start, end time.Time, ok bool) {
	parts := strings.Split(id, "_")
	if len(parts) != 4 || parts[0] != "dev" {
		return "", time.Time{}, time.Time{}, false
	}
	s, err1 := strconv.ParseInt(parts[2], 10, 64)
	e, err2 := strconv.ParseInt(parts[3], 10, 64)
	if err1 != nil || err2 != nil {
		return "", time.Time{}, time.Time{}, false
	}
	return parts[1], time.UnixMilli(s), time.UnixMilli(e), true
}
