package northbound

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/vionet/vionet/internal/app"
	"github.com/vionet/vionet/internal/domain"
)

// 4.5.1.2/4.5.1.4 playback, 4.5.1.5 download, 4.5.1.6 delete, 4.5.1.7 unfreeze, 4.8 clips.
func (s *Server) playbackRoutes(m map[string]handlerFunc) {
	m["GET /cmiot/v2/api/device/playback/url"] = s.playbackByTime
	m["GET /cmiot/v2/api/device/record/address/id"] = s.playbackByID
	m["GET /cmiot/v2/api/device/alarm/url"] = s.downloadURL
	m["DELETE /cmiot/v2/api/device/video"] = s.deleteRecords
	m["POST /cmiot/v2/api/record/unfreeze"] = s.unfreeze
	m["POST /cmiot/v2/api/device/clip"] = s.clipCreate
	m["GET /cmiot/v2/api/device/clip"] = s.clipGet
	m["DELETE /cmiot/v2/api/device/clip"] = s.clipDelete
}

// 4.5.1.2 numbers stream types 1 rtsp, 2 rtmp, 3 HLS, 4 HTTP-FLV, 5 VNSP.
var playbackTypeCodes = map[string]int{"1": app.URLTypeRTSP, "2": app.URLTypeRTMP, "3": app.URLTypeHLS, "4": app.URLTypeHTTPFLV}

// 4.5.1.4 names them.
var playbackTypeNames = map[string]int{"RTSP": app.URLTypeRTSP, "RTMP": app.URLTypeRTMP, "HLS": app.URLTypeHLS, "HTTP-FLV": app.URLTypeHTTPFLV}

// speed reads 4.5.1.2's speed (a string such as "0.25"; 0 when absent).
func speed(d *Decoder) float64 {
	v := d.String("speed", Optional)
	if v == "" {
		return 0
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		d.Fail("speed", "must be a number, got %q", v)
	}
	return f
}

type playbackResponse struct {
	URL        string `json:"url"`
	ExpireTime string `json:"expireTime"`
}

// 4.5.1.2
func (s *Server) playbackByTime(ctx context.Context, c *Call) (any, error) {
	d := c.Params.Decode()
	in := app.PlaybackInput{
		ChannelRef: cameraRef(d), Storage: d.String("storageType", Required),
		Network: d.Int("urlNetworkType", Optional), TTL: seconds(d, "effectiveTime"), Speed: speed(d),
		VideoEncode: d.OptInt("videoEncode"), AudioEncode: d.OptInt("audioEncode"),
	}
	typ := d.String("type", Required)
	if t, ok := playbackTypeCodes[typ]; ok {
		in.URLType = t
	} else if typ != "" {
		d.Fail("type", "must be 1 (rtsp), 2 (rtmp), 3 (HLS) or 4 (HTTP-FLV); 5 (VNSP) is not offered, got %q", typ)
	}
	// beginTime/endTime are in seconds here (Long), unlike the other record endpoints.
	if b := d.OptInt("beginTime"); b != nil {
		in.From = time.Unix(int64(*b), 0)
	} else {
		d.Fail("beginTime", "is required")
	}
	if e := d.OptInt("endTime"); e != nil {
		in.To = time.Unix(int64(*e), 0)
	} else {
		d.Fail("endTime", "is required")
	}
	return s.playbackURL(ctx, c, d, in)
}

// 4.5.1.4
func (s *Server) playbackByID(ctx context.Context, c *Call) (any, error) {
	d := c.Params.Decode()
	in := app.PlaybackInput{
		ChannelRef: cameraRef(d), RecordID: d.String("recordId", Required),
		From: d.Millis("startTime", Optional), To: d.Millis("endTime", Optional),
		Network: d.Int("urlNetworkType", Optional), TTL: seconds(d, "effectiveTime"), Speed: speed(d),
		VideoEncode: d.OptInt("videoEncode"), AudioEncode: d.OptInt("audioEncode"), URLType: app.URLTypeRTSP,
	}
	if typ := d.String("type", Optional); typ != "" {
		t, ok := playbackTypeNames[strings.ToUpper(typ)]
		if !ok {
			d.Fail("type", "must be RTSP, RTMP, HLS or HTTP-FLV (VNSP is not offered), got %q", typ)
		}
		in.URLType = t
	}
	return s.playbackURL(ctx, c, d, in)
}

// playbackURL answers 4.5.1.2 and 4.5.1.4 once their own fields are decoded.
func (s *Server) playbackURL(ctx context.Context, c *Call, d *Decoder, in app.PlaybackInput) (any, error) {
	if err := d.Err(); err != nil {
		return nil, err
	}
	u, err := s.app.GetPlaybackURL(ctx, c.Tenant.AppID, in)
	if err != nil {
		return nil, err
	}
	return urlResponse(u), nil
}

func urlResponse(u app.LiveURL) playbackResponse {
	return playbackResponse{URL: u.URL, ExpireTime: domain.Millis(u.Expires)}
}

// 4.5.1.5
func (s *Server) downloadURL(ctx context.Context, c *Call) (any, error) {
	d := c.Params.Decode()
	in := app.DownloadInput{
		ChannelRef: cameraRef(d), RecordID: d.String("recordId", Required),
		Network: d.Int("urlNetworkType", Optional), TTL: seconds(d, "effectiveTime"),
	}
	if err := d.Err(); err != nil {
		return nil, err
	}
	u, err := s.app.GetDownloadURL(ctx, c.Tenant.AppID, in)
	if err != nil {
		return nil, err
	}
	return urlResponse(u), nil
}

// 4.5.1.6
func (s *Server) deleteRecords(ctx context.Context, c *Call) (any, error) {
	d := c.Params.Decode()
	in := app.DeleteRecordsInput{
		ChannelRef: cameraRef(d), RecordID: d.String("recordId", Optional),
		Start: d.Millis("startTime", Optional), End: d.Millis("endTime", Optional),
	}
	if err := d.Err(); err != nil {
		return nil, err
	}
	_, err := s.app.DeleteCloudRecords(ctx, c.Tenant.AppID, in)
	return nil, err
}

// 4.5.1.7
func (s *Server) unfreeze(ctx context.Context, c *Call) (any, error) {
	d := c.Params.Decode()
	in := app.UnfreezeInput{
		ChannelRef: cameraRef(d), Start: d.Millis("startTime", Optional), End: d.Millis("endTime", Optional),
		NextFreezeHour: d.Int("nextFreezeHour", Optional),
	}
	if err := d.Err(); err != nil {
		return nil, err
	}
	return nil, s.app.Unfreeze(ctx, c.Tenant.AppID, in)
}

type clipCreateResponse struct {
	TaskID string `json:"taskId"`
}

// 4.8.1
func (s *Server) clipCreate(ctx context.Context, c *Call) (any, error) {
	d := c.Params.Decode()
	in := app.ClipInput{
		ChannelRef: cameraRef(d), From: d.Millis("startTime", Required), To: d.Millis("endTime", Required),
		Storage: d.String("storageType", Required),
	}
	if err := d.Err(); err != nil {
		return nil, err
	}
	id, err := s.app.CreateClip(ctx, c.Tenant.AppID, in)
	if err != nil {
		return nil, err
	}
	return clipCreateResponse{TaskID: id}, nil
}

type clipFileView struct {
	FileID        string `json:"fileId"`
	FileAddr      string `json:"fileAddr"`
	FileThumbnail string `json:"fileThumbnail"`
	StartTime     string `json:"startTime"`
	EndTime       string `json:"endTime"`
	FileSize      int64  `json:"fileSize"`
}

type clipStatusResponse struct {
	Status     string         `json:"status"`
	Reason     string         `json:"reason,omitempty"`
	ExpireTime string         `json:"expireTime"`
	FileList   []clipFileView `json:"fileList,omitempty"`
}

// 4.8.2
func (s *Server) clipGet(ctx context.Context, c *Call) (any, error) {
	d := c.Params.Decode()
	sn := d.String("deviceSn", Required)
	task := d.String("taskId", Required)
	ttl := seconds(d, "effectiveTime")
	if err := d.Err(); err != nil {
		return nil, err
	}
	st, err := s.app.Clip(ctx, c.Tenant.AppID, sn, task, ttl)
	if err != nil {
		return nil, err
	}
	out := clipStatusResponse{Status: strconv.Itoa(st.Status), Reason: st.Reason, ExpireTime: domain.Millis(st.Expires)}
	for _, f := range st.Files {
		out.FileList = append(out.FileList, clipFileView{
			FileID: f.FileID, FileAddr: f.URL, FileThumbnail: f.ThumbnailURL,
			StartTime: domain.Millis(f.Start), EndTime: domain.Millis(f.End), FileSize: f.Size,
		})
	}
	return out, nil
}

// 4.8.3
func (s *Server) clipDelete(ctx context.Context, c *Call) (any, error) {
	d := c.Params.Decode()
	sn := d.String("deviceSn", Required)
	tasks := d.Strings("taskIdList")
	files := d.Strings("fileIdList")
	if err := d.Err(); err != nil {
		return nil, err
	}
	return nil, s.app.DeleteClips(ctx, c.Tenant.AppID, sn, tasks, files)
}

// Strings reads an optional list of strings (List<String>); numbers are accepted as their
// text.
func (d *Decoder) Strings(name string) []string {
	v := d.raw(name, false)
	if v == nil {
		return nil
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(v, &raw); err != nil {
		d.fail(name, "must be a list of strings")
		return nil
	}
	out := make([]string, 0, len(raw))
	for i, el := range raw {
		var s string
		if err := json.Unmarshal(el, &s); err != nil {
			var n json.Number
			if err := json.Unmarshal(el, &n); err != nil {
				d.fail(fmt.Sprintf("%s[%d]", name, i), "must be a string")
				return nil
			}
			s = n.String()
		}
		out = append(out, s)
	}
	return out
}
