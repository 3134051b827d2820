package northbound

import (
	"context"
	"strconv"

	"github.com/vionet/vionet/internal/app"
	"github.com/vionet/vionet/internal/domain"
)

// 4.6.1 服务管理: service plans on cameras and the tenant's orders.
func (s *Server) serviceRoutes(m map[string]handlerFunc) {
	m["PUT /cmiot/v2/api/record/plan"] = s.servicePlan
	m["GET /cmiot/v2/api/device/service"] = s.deviceServices
	m["PUT /cmiot/v2/api/record/plan/batch"] = s.servicePlanBatch
	m["GET /cmiot/v2/api/order/service"] = s.serviceOrders
}

// serviceInfo is one servCode/servValue pair (every servValue a string, appendix 5.1).
type serviceInfo struct {
	ServCode  string `json:"servCode"`
	ServValue string `json:"servValue"`
}

func serviceInfos(attrs []domain.ServiceAttr) []serviceInfo {
	out := make([]serviceInfo, len(attrs))
	for i, a := range attrs {
		out[i] = serviceInfo{ServCode: a.Code, ServValue: a.Value}
	}
	return out
}

// serviceOp reads one camera's operation: deviceSn, channelId, oprType and serviceInfos
// (servValue may come as a JSON number too).
func serviceOp(d *Decoder) app.ServiceInput {
	in := app.ServiceInput{ChannelRef: cameraRef(d), OprType: d.Int("oprType", Required)}
	objs := d.Objects("serviceInfos", Optional)
	if objs != nil {
		in.Infos = make([]domain.ServiceAttr, 0, len(objs))
	}
	for _, o := range objs {
		od := o.Decode()
		in.Infos = append(in.Infos, domain.ServiceAttr{Code: od.String("servCode", Required), Value: od.String("servValue", Required)})
		if err := od.Err(); err != nil && d.err == nil {
			d.err = err
		}
	}
	return in
}

// 4.6.1.1
func (s *Server) servicePlan(ctx context.Context, c *Call) (any, error) {
	d := c.Params.Decode()
	in := serviceOp(d)
	in.PackageType = d.Int("packageType", Optional)
	if err := d.Err(); err != nil {
		return nil, err
	}
	return nil, s.app.SetServices(ctx, c.Tenant.AppID, in)
}

type deviceServiceView struct {
	ServiceInfos []serviceInfo `json:"serviceInfos"`
}

// 4.6.1.2. The spec types data as Object[] whose only member is serviceInfos (Object[]):
// vionet returns one element per open service, its serviceInfos the service type first, then
// its attributes, as they are given to 4.6.1.1. No service open is an empty array.
func (s *Server) deviceServices(ctx context.Context, c *Call) (any, error) {
	d := c.Params.Decode()
	ref := cameraRef(d)
	if err := d.Err(); err != nil {
		return nil, err
	}
	list, err := s.app.DeviceServices(ctx, c.Tenant.AppID, ref)
	if err != nil {
		return nil, err
	}
	out := make([]deviceServiceView, len(list))
	for i, sv := range list {
		out[i] = deviceServiceView{ServiceInfos: serviceInfos(sv.Attrs)}
	}
	return out, nil
}

// 4.6.1.3
func (s *Server) servicePlanBatch(ctx context.Context, c *Call) (any, error) {
	d := c.Params.Decode()
	objs := d.Objects("oprList", Required)
	if len(objs) > app.MaxServiceOps { // before reading a huge list item by item
		d.fail("oprList", "at most %d operations per call, got %d", app.MaxServiceOps, len(objs))
	}
	if err := d.Err(); err != nil {
		return nil, err
	}
	ops := make([]app.ServiceInput, len(objs))
	for i, o := range objs {
		od := o.Decode()
		ops[i] = serviceOp(od)
		if err := od.Err(); err != nil {
			return nil, err
		}
	}
	return nil, s.app.SetServicesBatch(ctx, c.Tenant.AppID, ops)
}

type serviceOrderView struct {
	TotalNum     int64         `json:"totalNum"`
	UsedNum      int64         `json:"usedNum"`
	AvailableNum int64         `json:"availableNum"`
	ServiceInfos []serviceInfo `json:"serviceInfos"`
}

type serviceOrdersResponse struct {
	AppID            string             `json:"appid"`
	ServiceOrderList []serviceOrderView `json:"serviceOrderList"`
}

// 4.6.1.4: one element per service type the operator granted, named by its 10002010004.
func (s *Server) serviceOrders(ctx context.Context, c *Call) (any, error) {
	orders, err := s.app.ServiceOrders(ctx, c.Tenant.AppID)
	if err != nil {
		return nil, err
	}
	out := serviceOrdersResponse{AppID: c.Tenant.AppID, ServiceOrderList: make([]serviceOrderView, len(orders))}
	for i, o := range orders {
		out.ServiceOrderList[i] = serviceOrderView{
			TotalNum: int64(o.Total), UsedNum: int64(o.Used), AvailableNum: int64(o.Available()),
			ServiceInfos: []serviceInfo{{ServCode: domain.ServType, ServValue: strconv.Itoa(o.Type)}},
		}
	}
	return out, nil
}
