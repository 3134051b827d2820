package sdk

// Live view (4.5.1.1), thumbnails (4.4.1.8) and platform snapshots (4.4.1.12–14).

import (
	"context"
	"net/http"
)

// Endpoint paths of live view and pictures.
const (
	PathLiveURL      = "/cmiot/v2/api/device/live/url"      // 4.5.1.1 GET
	PathThumbnail    = "/cmiot/v2/device/thumbnail"         // 4.4.1.8 GET (the spec's path has no /api)
	PathSnapshot     = "/cmiot/v2/api/device/snapshot"      // 4.4.1.12 POST, 4.4.1.14 DELETE
	PathSnapshotList = "/cmiot/v2/api/device/snapshot/list" // 4.4.1.13 GET
)

// URL types of 4.5.1.1; URLTypeHTTPFLV is vionet's extension.
const (
	URLTypeRTMP    = 1
	URLTypeHLS     = 2
	URLTypeRTSP    = 3
	URLTypeHTTPFLV = 4
)

// URL network types (urlNetworkType).
const (
	NetworkIntranet = 1
	NetworkPublic   = 2
)

// LiveURLRequest is 4.5.1.1's request. VideoEncode "0" H264 / "1" H265 and AudioEncode "0" AAC
// / "1" G711A are checked against what the camera sends (no transcoding). StreamType (0 main,
// 1 sub) is vionet's extension.
type LiveURLRequest struct {
	DeviceSn       string `json:"deviceSn"`
	URLType        int    `json:"urlType"`
	URLNetworkType int    `json:"urlNetworkType,omitempty"`
	DataType       string `json:"dataType,omitempty"`
	VideoEncode    string `json:"videoEncode,omitempty"`
	AudioEncode    string `json:"audioEncode,omitempty"`
	EffectiveTime  int64  `json:"effectiveTime,omitempty"` // seconds, default 300
	ChannelID      *int   `json:"channelId,omitempty"`
	StreamType     int    `json:"streamType,omitempty"`
}

// LiveURL is 4.5.1.1's answer; ExpireTime is in milliseconds.
type LiveURL struct {
	URL        string `json:"url"`
	ExpireTime int64  `json:"expireTime"`
}

// GetLiveURL returns a signed, expiring URL of a camera's live stream (4.5.1.1 GET
// /cmiot/v2/api/device/live/url). vionet starts the stream when the first viewer asks.
func (c *Client) GetLiveURL(ctx context.Context, req LiveURLRequest) (*LiveURL, error) {
	var out LiveURL
	if _, err := c.Do(ctx, http.MethodGet, PathLiveURL, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ThumbnailRequest is 4.4.1.8's request (sizes are strings in the spec).
type ThumbnailRequest struct {
	DeviceSn       string `json:"deviceSn"`
	Timestamp      string `json:"timestamp,omitempty"`
	URLNetworkType int    `json:"urlNetworkType,omitempty"`
	SizeWidth      string `json:"sizeWidth,omitempty"`
	SizeHeight     string `json:"sizeHeight,omitempty"`
	EffectiveTime  int64  `json:"effectiveTime,omitempty"` // seconds, default 600
	ChannelID      *int   `json:"channelId,omitempty"`
	UseCache       *int   `json:"useCache,omitempty"` // 1: the latest thumbnail if there is one
}

// Thumbnail is 4.4.1.8's answer.
type Thumbnail struct {
	URL       string `json:"url"`
	DeviceSn  string `json:"deviceSn"`
	ChannelID *int   `json:"channelId,omitempty"`
}

// GetThumbnail returns the URL of a JPEG of the camera (4.4.1.8 GET /cmiot/v2/device/thumbnail).
func (c *Client) GetThumbnail(ctx context.Context, req ThumbnailRequest) (*Thumbnail, error) {
	var out Thumbnail
	if _, err := c.Do(ctx, http.MethodGet, PathThumbnail, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SnapshotRequest names the camera of 4.4.1.12 and 4.4.1.14.
type SnapshotRequest struct {
	DeviceSn  string `json:"deviceSn"`
	ChannelID *int   `json:"channelId,omitempty"`
	PictureID string `json:"pictureId,omitempty"` // 4.4.1.14 only
}

// SnapshotTaken is vionet's answer to 4.4.1.12 (the spec gives none).
type SnapshotTaken struct {
	PictureID string `json:"pictureId"`
	SnapTime  string `json:"snapTime"`
}

// TakeSnapshot makes vionet capture and keep a picture of the camera (4.4.1.12 POST
// /cmiot/v2/api/device/snapshot).
func (c *Client) TakeSnapshot(ctx context.Context, req SnapshotRequest) (*SnapshotTaken, error) {
	var out SnapshotTaken
	if _, err := c.Do(ctx, http.MethodPost, PathSnapshot, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SnapshotListRequest is 4.4.1.13's request; times are 13-digit milliseconds.
type SnapshotListRequest struct {
	DeviceSn       string `json:"deviceSn"`
	ChannelID      *int   `json:"channelId,omitempty"`
	URLNetworkType int    `json:"urlNetworkType,omitempty"`
	SnapType       int    `json:"snaptype,omitempty"`
	StartTime      int64  `json:"startTime,omitempty"`
	EndTime        int64  `json:"endTime,omitempty"`
	Page           int    `json:"page,omitempty"`
	PageSize       int    `json:"pageSize,omitempty"`
}

// Snapshot is one element of 4.4.1.13's answer; PictureSize is in KB. DeviceSn and ChannelSn
// are vionet's additions.
type Snapshot struct {
	PictureURL  string `json:"pictureUrl"`
	PictureID   string `json:"pictureId"`
	SnapTime    string `json:"snapTime"`
	SnapType    int    `json:"snaptype"`
	PictureSize int    `json:"pictureSize"`
	DeviceSn    string `json:"deviceSn"`
	ChannelSn   string `json:"channelSn"`
}

// ListSnapshots lists a device's platform snapshots, newest first (4.4.1.13 GET
// /cmiot/v2/api/device/snapshot/list).
func (c *Client) ListSnapshots(ctx context.Context, req SnapshotListRequest) ([]Snapshot, Page, error) {
	var out []Snapshot
	env, err := c.Do(ctx, http.MethodGet, PathSnapshotList, req, &out)
	if err != nil {
		return nil, Page{}, err
	}
	return out, env.Paging(), nil
}

// DeleteSnapshot deletes a platform snapshot (4.4.1.14 DELETE /cmiot/v2/api/device/snapshot).
func (c *Client) DeleteSnapshot(ctx context.Context, req SnapshotRequest) error {
	_, err := c.Do(ctx, http.MethodDelete, PathSnapshot, req, nil)
	return err
}
