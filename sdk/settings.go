package sdk

// Chapter 4.4.2 设备参数设置 (device settings).

import (
	"context"
	"net/http"
)

// Endpoint paths of chapter 4.4.2.
const (
	PathDeviceName = "/cmiot/v2/api/device/info/name" // 4.4.2.19 PUT
)

// RenameDeviceRequest is the request of 4.4.2.19 修改设备名称.
type RenameDeviceRequest struct {
	DeviceSn   string `json:"deviceSn"`
	DeviceName string `json:"deviceName"`
	// ChannelID is required to rename a channel of a Dahua device.
	ChannelID *int `json:"channelId,omitempty"`
}

// RenameDevice renames a device or a Dahua channel (4.4.2.19 PUT /cmiot/v2/api/device/info/name).
func (c *Client) RenameDevice(ctx context.Context, req RenameDeviceRequest) error {
	_, err := c.Do(ctx, http.MethodPut, PathDeviceName, req, nil)
	return err
}
