package sdk

// Chapter 4.4.5 平台资源 (platform resources).

import (
	"context"
	"net/http"
)

// Endpoint paths of chapter 4.4.5.
const (
	PathPlatformsByArea = "/cmiot/v2/api/fims/device/area/get/platform" // 4.4.5.1 GET
)

// Platform is an element of the platformInformations of 4.4.5.1: a platform devices of an
// area can be added to (see AddDeviceRequest.PlatformID).
type Platform struct {
	PlatformID     string              `json:"platformId"`
	PlatformName   string              `json:"platformName"`
	PlatformVendor string              `json:"platformVendor,omitempty"`
	SupportList    []SupportedProtocol `json:"supportList,omitempty"`
}

// SupportedProtocol is a protocol a [Platform] supports. Its codes differ from the device
// protocol codes: 1 千里眼私有协议, 2 国标协议, 3 大华协议, 4 海康协议, 5 海康ehome, 6 海康ISUP.
type SupportedProtocol struct {
	SupportID   string `json:"supportId"`
	SupportName string `json:"supportName"`
}

// PlatformsByArea returns the device-access platforms of an area (4.4.5.1 GET
// /cmiot/v2/api/fims/device/area/get/platform).
func (c *Client) PlatformsByArea(ctx context.Context, areaCode string) ([]Platform, error) {
	params := struct {
		AreaCode string `json:"areaCode"`
	}{areaCode}
	var out struct {
		PlatformInformations []Platform `json:"platformInformations"`
	}
	if _, err := c.Do(ctx, http.MethodGet, PathPlatformsByArea, params, &out); err != nil {
		return nil, err
	}
	return out.PlatformInformations, nil
}
