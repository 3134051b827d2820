package sdk

// Chapter 4.5.1 直播回看 (live and playback): recording listings, and 4.4.1.15 channel retrieval.

import (
	"context"
	"net/http"
)

// Endpoint paths of the recording listings and channel retrieval.
const (
	PathRecordList       = "/cmiot/v2/device/record/list"           // 4.5.1.3 GET (the spec's path has no /api)
	PathRecordExist      = "/cmiot/v2/api/device/record/exist"      // 4.5.1.8 GET
	PathChannelRetrieval = "/cmiot/v2/api/device/channel/retrieval" // 4.4.1.15 POST
)

// Storage types of 4.5.1.3/4.5.1.8.
const (
	StorageCloud  = "0"
	StorageDevice = "1"
)

// RecordListRequest is 4.5.1.3's request. StartTime and EndTime are 13-digit millisecond
// timestamps.
type RecordListRequest struct {
	DeviceSn       string `json:"deviceSn"`
	StorageType    string `json:"storageType"`
	StreamType     int    `json:"streamType"` // 1 main, 2 sub 1, 3 sub 2
	RecordType     int    `json:"recordType"` // 1 normal, 2 alarm
	AlarmType      *int   `json:"alarmType,omitempty"`
	StartTime      string `json:"startTime"`
	EndTime        string `json:"endTime"`
	PageSize       int    `json:"pageSize,omitempty"` // default and max 100
	URLNetworkType int    `json:"urlNetworkType,omitempty"`
	Sort           string `json:"sort,omitempty"` // "1" descending (default), "2" ascending
	SizeWidth      string `json:"sizeWidth,omitempty"`
	SizeHeight     string `json:"sizeHeight,omitempty"`
	EffectiveTime  int64  `json:"effectiveTime,omitempty"`
	ChannelID      *int   `json:"channelId,omitempty"`
}

// Record is one element of 4.5.1.3's recordList.
type Record struct {
	RecordID      string `json:"recordId"`
	ClusterID     string `json:"clusterId"`
	StorageType   string `json:"storageType"`
	RecordType    int    `json:"recordType"`
	StartTime     string `json:"startTime"`
	EndTime       string `json:"endTime"`
	AlarmType     *int   `json:"alarmType,omitempty"`
	StoragePolicy int    `json:"storagePolicy"`
	URL           string `json:"url,omitempty"`
	ExpireTime    string `json:"expireTime,omitempty"`
}

// RecordList is 4.5.1.3's answer; HasMore is 1 when the range holds more than one page
// (query again from the last record's time).
type RecordList struct {
	RecordList []Record `json:"recordList"`
	HasMore    int      `json:"hasMore"`
}

// ListRecords lists recordings (4.5.1.3 GET /cmiot/v2/device/record/list).
func (c *Client) ListRecords(ctx context.Context, req RecordListRequest) (*RecordList, error) {
	var out RecordList
	if _, err := c.Do(ctx, http.MethodGet, PathRecordList, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RecordExistRequest is 4.5.1.8's request; dates are yyyy-MM-dd (empty: today).
type RecordExistRequest struct {
	DeviceSn    string `json:"deviceSn"`
	RecordType  int    `json:"recordType"`
	StartDate   string `json:"startDate,omitempty"`
	EndDate     string `json:"endDate,omitempty"`
	ChannelID   *int   `json:"channelId,omitempty"`
	StorageType string `json:"storageType,omitempty"`
}

// RecordDay is one element of 4.5.1.8's answer; HasRecord is "1" or "0".
type RecordDay struct {
	Date      string `json:"date"`
	HasRecord string `json:"hasRecord"`
}

// RecordExist tells day by day whether recordings exist (4.5.1.8 GET
// /cmiot/v2/api/device/record/exist).
func (c *Client) RecordExist(ctx context.Context, req RecordExistRequest) ([]RecordDay, error) {
	var out []RecordDay
	if _, err := c.Do(ctx, http.MethodGet, PathRecordExist, req, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// RetrievedChannel is an element of 4.4.1.15's channelList; ChannelSn is vionet's extension
// for GB/T 28181 channels.
type RetrievedChannel struct {
	ChannelID   int    `json:"channelId"`
	ChannelName string `json:"channelName,omitempty"`
	ChannelSn   string `json:"channelSn,omitempty"`
}

// RetrieveChannels asks the device for its channels now (4.4.1.15 POST
// /cmiot/v2/api/device/channel/retrieval).
func (c *Client) RetrieveChannels(ctx context.Context, deviceSn string) ([]RetrievedChannel, error) {
	var out struct {
		ChannelList []RetrievedChannel `json:"channelList"`
	}
	if _, err := c.Do(ctx, http.MethodPost, PathChannelRetrieval, deviceSnParams{deviceSn}, &out); err != nil {
		return nil, err
	}
	return out.ChannelList, nil
}
