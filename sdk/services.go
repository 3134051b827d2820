package sdk

// Chapter 4.6.1 服务管理: cloud services on cameras and the tenant's orders.

import (
	"context"
	"net/http"
)

// Endpoint paths of chapter 4.6.1.
const (
	PathServicePlan      = "/cmiot/v2/api/record/plan"       // 4.6.1.1 PUT
	PathDeviceServices   = "/cmiot/v2/api/device/service"    // 4.6.1.2 GET
	PathServicePlanBatch = "/cmiot/v2/api/record/plan/batch" // 4.6.1.3 PUT
	PathServiceOrders    = "/cmiot/v2/api/order/service"     // 4.6.1.4 GET
)

// Service attribute codes (appendix 5.1 服务属性清单, servCode).
const (
	ServCodeCloudDays     = "10002010001" // 云存储天数: days recordings are kept
	ServCodeType          = "10002010004" // 服务类型: one of the Service* values
	ServCodeFrameInterval = "10002010005" // 抽帧间隔 in seconds (picture cloud storage)
	ServCodeBitrate       = "10002010006" // 码流大小 in Mbit/s
)

// Service types (the servValue of ServCodeType).
const (
	ServiceFullDayRecording = "1" // 全天云存储
	ServicePictureStorage   = "3" // 图片云储存
	ServiceLiveLicence      = "4" // 实时视频接入许可
)

// Operation types (oprType) and package types (packageType) of 4.6.1.1 and 4.6.1.3.
const (
	OprOpen             = "01" // 开启
	OprClose            = "02" // 关闭
	PackageNormal       = "1"  // 普通存储套餐 (the default)
	PackageLargeGranule = "2"  // 大颗粒资费套餐
)

// ServiceInfo is one service attribute (servCode/servValue, appendix 5.1). Values are
// strings even when numeric.
type ServiceInfo struct {
	ServCode  string `json:"servCode"`
	ServValue string `json:"servValue"`
}

// ServiceInfoList is a list of service attributes.
type ServiceInfoList []ServiceInfo

// Value returns the servValue of code ("" when absent).
func (l ServiceInfoList) Value(code string) string {
	for _, s := range l {
		if s.ServCode == code {
			return s.ServValue
		}
	}
	return ""
}

// ServiceRequest is the request of 4.6.1.1 服务开通/关闭.
type ServiceRequest struct {
	// DeviceSn is the camera: a device, or a GB/T 28181 channel code.
	DeviceSn string `json:"deviceSn"`
	// OprType is OprOpen or OprClose.
	OprType string `json:"oprType"`
	// PackageType is PackageNormal (default) or PackageLargeGranule.
	PackageType string `json:"packageType,omitempty"`
	// ServiceInfos names the service type (ServCodeType) and, to open, its attributes:
	// ServCodeCloudDays for full-day recording, ServCodeFrameInterval for picture storage,
	// optionally ServCodeBitrate. Closing without it closes every service of the camera.
	ServiceInfos ServiceInfoList `json:"serviceInfos,omitempty"`
	ChannelID    *int            `json:"channelId,omitempty"`
}

// SetDeviceService opens or closes a service on a camera (4.6.1.1 PUT
// /cmiot/v2/api/record/plan).
func (c *Client) SetDeviceService(ctx context.Context, req ServiceRequest) error {
	_, err := c.Do(ctx, http.MethodPut, PathServicePlan, req, nil)
	return err
}

// ServiceTarget names a camera: a device, or a GB/T 28181 channel code in DeviceSn, with the
// channel number some protocols need.
type ServiceTarget struct {
	DeviceSn  string `json:"deviceSn"`
	ChannelID *int   `json:"channelId,omitempty"`
}

// DeviceService is one service open on a camera: its type (ServCodeType) and attributes.
type DeviceService struct {
	ServiceInfos ServiceInfoList `json:"serviceInfos"`
}

// GetDeviceServices lists the services open on a camera (4.6.1.2 GET
// /cmiot/v2/api/device/service).
func (c *Client) GetDeviceServices(ctx context.Context, t ServiceTarget) ([]DeviceService, error) {
	var out []DeviceService
	if _, err := c.Do(ctx, http.MethodGet, PathDeviceServices, t, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// ServiceOperation is one item of 4.6.1.3's oprList.
type ServiceOperation struct {
	DeviceSn     string          `json:"deviceSn"`
	ChannelID    *int            `json:"channelId,omitempty"`
	OprType      string          `json:"oprType"`
	ServiceInfos ServiceInfoList `json:"serviceInfos,omitempty"`
}

// SetDeviceServices opens or closes services on up to 100 cameras at once (4.6.1.3 PUT
// /cmiot/v2/api/record/plan/batch).
func (c *Client) SetDeviceServices(ctx context.Context, ops []ServiceOperation) error {
	req := struct {
		OprList []ServiceOperation `json:"oprList"`
	}{ops}
	_, err := c.Do(ctx, http.MethodPut, PathServicePlanBatch, req, nil)
	return err
}

// ServiceOrder is what the tenant may use of one service type (named in ServiceInfos).
type ServiceOrder struct {
	TotalNum     int64           `json:"totalNum"`
	UsedNum      int64           `json:"usedNum"`
	AvailableNum int64           `json:"availableNum"`
	ServiceInfos ServiceInfoList `json:"serviceInfos"`
}

// ServiceOrders is the response of 4.6.1.4 查询服务订购信息.
type ServiceOrders struct {
	AppID            string         `json:"appid"`
	ServiceOrderList []ServiceOrder `json:"serviceOrderList"`
}

// Order returns the order of a service type (a Service* value), nil if there is none.
func (o *ServiceOrders) Order(serviceType string) *ServiceOrder {
	for i := range o.ServiceOrderList {
		if o.ServiceOrderList[i].ServiceInfos.Value(ServCodeType) == serviceType {
			return &o.ServiceOrderList[i]
		}
	}
	return nil
}

// GetServiceOrders returns the tenant's service orders (4.6.1.4 GET
// /cmiot/v2/api/order/service).
func (c *Client) GetServiceOrders(ctx context.Context) (*ServiceOrders, error) {
	var out ServiceOrders
	if _, err := c.Do(ctx, http.MethodGet, PathServiceOrders, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
