package northbound

import (
	"context"
	"strconv"
	"time"

	"github.com/vionet/vionet/internal/app"
	"github.com/vionet/vionet/internal/domain"
)

// 4.5.1 recordings: listings here, playback, download, delete and unfreeze in playback.go.
func (s *Server) recordRoutes(m map[string]handlerFunc) {
	m["GET /cmiot/v2/device/record/list"] = s.listRecords
	m["GET /cmiot/v2/api/device/record/exist"] = s.recordDays
	s.playbackRoutes(m)
}

type recordView struct {
	RecordID      string `json:"recordId"`
	ClusterID     string `json:"clusterId"`
	StorageType   string `json:"storageType"`
	RecordType    int    `json:"recordType"`
	StartTime     string `json:"startTime"`
	EndTime       string `json:"endTime"`
	AlarmType     *int   `json:"alarmType,omitempty"`
	StoragePolicy int    `json:"storagePolicy"`
	URL           string `json:"url,omitempty"`        // thumbnail (cloud recordings)
	ExpireTime    string `json:"expireTime,omitempty"` // of url
}

type recordListResponse struct {
	RecordList []recordView `json:"recordList"`
	HasMore    int          `json:"hasMore"`
}

// 4.5.1.3
func (s *Server) listRecords(ctx context.Context, c *Call) (any, error) {
	d := c.Params.Decode()
	in := app.RecordListInput{
		DeviceSn:    d.String("deviceSn", Required),
		ChannelID:   d.OptInt("channelId"),
		StorageType: d.String("storageType", Required),
		RecordType:  d.Int("recordType", Required),
		AlarmType:   d.OptInt("alarmType"),
		Start:       d.Millis("startTime", Required),
		End:         d.Millis("endTime", Required),
		PageSize:    100,
		Descending:  true,
	}
	d.Int("streamType", Required)
	in.Network = d.Int("urlNetworkType", Optional)
	in.ThumbWidth, in.ThumbHeight = d.Int("sizeWidth", Optional), d.Int("sizeHeight", Optional)
	if in.ThumbWidth < 0 || in.ThumbWidth > app.MaxPictureSide || in.ThumbHeight < 0 || in.ThumbHeight > app.MaxPictureSide {
		d.Fail("sizeWidth", "sizes must be 0-%d", app.MaxPictureSide)
	}
	if in.ThumbWidth == 0 && in.ThumbHeight == 0 {
		in.ThumbWidth = app.DefaultThumbnailWidth
	}
	in.ThumbnailTTL = seconds(d, "effectiveTime")
	if n := d.OptInt("pageSize"); n != nil {
		if *n < 1 || *n > 100 {
			d.Fail("pageSize", "must be 1-100")
		}
		in.PageSize = *n
	}
	switch d.String("sort", Optional) {
	case "", "1":
	case "2":
		in.Descending = false
	default:
		d.Fail("sort", "must be 1 (descending) or 2 (ascending)")
	}
	if err := d.Err(); err != nil {
		return nil, err
	}
	recs, more, err := s.app.ListRecords(ctx, c.Tenant.AppID, in)
	if err != nil {
		return nil, err
	}
	out := recordListResponse{RecordList: make([]recordView, len(recs))}
	if more {
		out.HasMore = 1
	}
	for i, r := range recs {
		out.RecordList[i] = recordView{
			RecordID: r.RecordID, ClusterID: r.ClusterID, StorageType: r.StorageType, RecordType: r.RecordType,
			StartTime: domain.Millis(r.Start), EndTime: domain.Millis(r.End),
			AlarmType: r.AlarmType, StoragePolicy: r.StoragePolicy, URL: r.ThumbnailURL,
		}
		if r.ThumbnailURL != "" {
			out.RecordList[i].ExpireTime = domain.Millis(r.Expires)
		}
	}
	return out, nil
}

type dayView struct {
	Date      string `json:"date"`
	HasRecord string `json:"hasRecord"`
}

// 4.5.1.8
func (s *Server) recordDays(ctx context.Context, c *Call) (any, error) {
	d := c.Params.Decode()
	sn := d.String("deviceSn", Required)
	channelID := d.OptInt("channelId")
	recordType := d.Int("recordType", Required)
	from := d.Date("startDate")
	to := d.Date("endDate")
	storage := d.String("storageType", Optional)
	if err := d.Err(); err != nil {
		return nil, err
	}
	if storage == "" {
		storage = app.StorageCloud
	}
	days, err := s.app.RecordDays(ctx, c.Tenant.AppID, sn, channelID, recordType, from, to, storage)
	if err != nil {
		return nil, err
	}
	out := make([]dayView, len(days))
	for i, day := range days {
		out[i] = dayView{Date: day.Date, HasRecord: strconv.Itoa(b2i(day.HasRecord))}
	}
	return out, nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Millis reads a 13-digit millisecond timestamp (string or number).
func (d *Decoder) Millis(name string, required bool) time.Time {
	v := d.String(name, required)
	if v == "" {
		return time.Time{}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || len(v) > 13 {
		d.Fail(name, "must be a 13-digit millisecond timestamp")
		return time.Time{}
	}
	return time.UnixMilli(n)
}

// Date reads a yyyy-MM-dd date in the server's time zone; empty means today.
func (d *Decoder) Date(name string) time.Time {
	v := d.String(name, Optional)
	now := time.Now()
	if v == "" {
		return time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.Local)
	}
	t, err := time.ParseInLocation(time.DateOnly, v, time.Local)
	if err != nil {
		d.Fail(name, "must be a date yyyy-MM-dd")
	}
	return t
}
