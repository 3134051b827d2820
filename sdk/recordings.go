package sdk

// Cloud recordings: playback (4.5.1.2, 4.5.1.4), download (4.5.1.5), delete (4.5.1.6),
// unfreeze (4.5.1.7) and clips (4.8).

import (
	"context"
	"net/http"
)

// Endpoint paths of playback, downloads and clips.
const (
	PathPlaybackURL   = "/cmiot/v2/api/device/playback/url"      // 4.5.1.2 GET
	PathPlaybackByID  = "/cmiot/v2/api/device/record/address/id" // 4.5.1.4 GET
	PathDownloadURL   = "/cmiot/v2/api/device/alarm/url"         // 4.5.1.5 GET
	PathDeleteRecords = "/cmiot/v2/api/device/video"             // 4.5.1.6 DELETE
	PathUnfreeze      = "/cmiot/v2/api/record/unfreeze"          // 4.5.1.7 POST
	PathClip          = "/cmiot/v2/api/device/clip"              // 4.8.1 POST, 4.8.2 GET, 4.8.3 DELETE
)

// PlaybackRequest is 4.5.1.2's request: Type "1" rtsp, "2" rtmp, "3" HLS, "4" HTTP-FLV;
// BeginTime and EndTime in seconds; Speed "0.25"…"32".
type PlaybackRequest struct {
	DeviceSn       string `json:"deviceSn"`
	Type           string `json:"type"`
	BeginTime      int64  `json:"beginTime"`
	EndTime        int64  `json:"endTime"`
	StorageType    string `json:"storageType"`
	URLNetworkType int    `json:"urlNetworkType,omitempty"`
	VideoEncode    string `json:"videoEncode,omitempty"`
	AudioEncode    string `json:"audioEncode,omitempty"`
	EffectiveTime  int64  `json:"effectiveTime,omitempty"`
	Speed          string `json:"speed,omitempty"`
	ChannelID      *int   `json:"channelId,omitempty"`
}

// PlaybackURL is the answer of 4.5.1.2, 4.5.1.4 and 4.5.1.5 (ExpireTime in ms).
type PlaybackURL struct {
	URL        string `json:"url"`
	ExpireTime string `json:"expireTime"`
}

// GetPlaybackURL returns a URL playing recordings of a time range (4.5.1.2).
func (c *Client) GetPlaybackURL(ctx context.Context, req PlaybackRequest) (*PlaybackURL, error) {
	var out PlaybackURL
	if _, err := c.Do(ctx, http.MethodGet, PathPlaybackURL, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// PlaybackByIDRequest is 4.5.1.4's request: Type "RTSP" (default), "RTMP", "HLS", "HTTP-FLV".
type PlaybackByIDRequest struct {
	DeviceSn       string `json:"deviceSn"`
	RecordID       string `json:"recordId"`
	StartTime      string `json:"startTime,omitempty"`
	EndTime        string `json:"endTime,omitempty"`
	Type           string `json:"type,omitempty"`
	Speed          string `json:"speed,omitempty"`
	EffectiveTime  string `json:"effectiveTime,omitempty"`
	URLNetworkType int    `json:"urlNetworkType,omitempty"`
	ChannelID      *int   `json:"channelId,omitempty"`
}

// GetPlaybackURLByID returns a URL playing one recording (4.5.1.4).
func (c *Client) GetPlaybackURLByID(ctx context.Context, req PlaybackByIDRequest) (*PlaybackURL, error) {
	var out PlaybackURL
	if _, err := c.Do(ctx, http.MethodGet, PathPlaybackByID, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DownloadRequest is 4.5.1.5's request.
type DownloadRequest struct {
	DeviceSn       string `json:"deviceSn"`
	RecordID       string `json:"recordId"`
	EffectiveTime  int64  `json:"effectiveTime,omitempty"`
	URLNetworkType int    `json:"urlNetworkType,omitempty"`
	ChannelID      *int   `json:"channelId,omitempty"`
}

// GetDownloadURL returns the URL of an MP4 of a recording (4.5.1.5).
func (c *Client) GetDownloadURL(ctx context.Context, req DownloadRequest) (*PlaybackURL, error) {
	var out PlaybackURL
	if _, err := c.Do(ctx, http.MethodGet, PathDownloadURL, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteRecordsRequest is 4.5.1.6's request: a recordId, or StartTime and EndTime (ms).
type DeleteRecordsRequest struct {
	DeviceSn  string `json:"deviceSn"`
	RecordID  string `json:"recordId,omitempty"`
	StartTime string `json:"startTime,omitempty"`
	EndTime   string `json:"endTime,omitempty"`
	ChannelID *int   `json:"channelId,omitempty"`
}

// DeleteRecords deletes cloud recordings (4.5.1.6).
func (c *Client) DeleteRecords(ctx context.Context, req DeleteRecordsRequest) error {
	_, err := c.Do(ctx, http.MethodDelete, PathDeleteRecords, req, nil)
	return err
}

// UnfreezeRequest is 4.5.1.7's request.
type UnfreezeRequest struct {
	DeviceSn       string `json:"deviceSn"`
	StartTime      string `json:"startTime,omitempty"`
	EndTime        string `json:"endTime,omitempty"`
	NextFreezeHour int    `json:"nextFreezeHour,omitempty"`
	ChannelID      *int   `json:"channelId,omitempty"`
}

// Unfreeze makes archived recordings readable; msgType 6 reports when they are (4.5.1.7).
func (c *Client) Unfreeze(ctx context.Context, req UnfreezeRequest) error {
	_, err := c.Do(ctx, http.MethodPost, PathUnfreeze, req, nil)
	return err
}

// ClipRequest is 4.8.1's request (times in ms, StorageType "0" cloud).
type ClipRequest struct {
	DeviceSn    string `json:"deviceSn"`
	StartTime   string `json:"startTime"`
	EndTime     string `json:"endTime"`
	StorageType string `json:"storageType"`
	ChannelID   *int   `json:"channelId,omitempty"`
}

// CreateClip starts a clip task and returns its taskId (4.8.1).
func (c *Client) CreateClip(ctx context.Context, req ClipRequest) (string, error) {
	var out struct {
		TaskID string `json:"taskId"`
	}
	if _, err := c.Do(ctx, http.MethodPost, PathClip, req, &out); err != nil {
		return "", err
	}
	return out.TaskID, nil
}

// ClipFile is one file of a finished clip.
type ClipFile struct {
	FileID        string `json:"fileId"`
	FileAddr      string `json:"fileAddr"`
	FileThumbnail string `json:"fileThumbnail"`
	StartTime     string `json:"startTime"`
	EndTime       string `json:"endTime"`
	FileSize      int64  `json:"fileSize"`
}

// ClipStatus is 4.8.2's answer: Status "2" running, "1" done, "0" failed (Reason says why,
// vionet's addition).
type ClipStatus struct {
	Status     string     `json:"status"`
	Reason     string     `json:"reason,omitempty"`
	ExpireTime string     `json:"expireTime"`
	FileList   []ClipFile `json:"fileList,omitempty"`
}

// GetClip reports a clip task (4.8.2).
func (c *Client) GetClip(ctx context.Context, deviceSn, taskID string, effectiveTime int) (*ClipStatus, error) {
	req := struct {
		DeviceSn      string `json:"deviceSn"`
		TaskID        string `json:"taskId"`
		EffectiveTime int    `json:"effectiveTime,omitempty"`
	}{deviceSn, taskID, effectiveTime}
	var out ClipStatus
	if _, err := c.Do(ctx, http.MethodGet, PathClip, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteClips deletes clip tasks or files (4.8.3): give taskIDs or fileIDs.
func (c *Client) DeleteClips(ctx context.Context, deviceSn string, taskIDs, fileIDs []string) error {
	req := struct {
		DeviceSn   string   `json:"deviceSn"`
		TaskIDList []string `json:"taskIdList,omitempty"`
		FileIDList []string `json:"fileIdList,omitempty"`
	}{deviceSn, taskIDs, fileIDs}
	_, err := c.Do(ctx, http.MethodDelete, PathClip, req, nil)
	return err
}

// ThawMsg is the body of msgType 6 (归档云存储解冻状态消息) as vionet sends it (5.4 defines
// none): archived recordings of the range are readable until NextFreezeTime (ms).
type ThawMsg struct {
	DeviceSn       string `json:"deviceSn"`
	ChannelSn      string `json:"channelSn"`
	StartTime      string `json:"startTime"`
	EndTime        string `json:"endTime"`
	Status         int    `json:"status"`
	FileCount      int    `json:"fileCount"`
	NextFreezeTime string `json:"nextFreezeTime"`
}
