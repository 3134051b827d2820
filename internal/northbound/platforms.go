package northbound

import "context"

// 4.4.5 platform resources.
func (s *Server) platformRoutes(m map[string]handlerFunc) {
	m["GET /cmiot/v2/api/fims/device/area/get/platform"] = s.platformsByArea
}

type support struct {
	SupportID   string `json:"supportId"`
	SupportName string `json:"supportName"`
}

type platformInfo struct {
	PlatformID     string    `json:"platformId"`
	PlatformName   string    `json:"platformName"`
	PlatformVendor string    `json:"platformVendor,omitempty"`
	SupportList    []support `json:"supportList"`
}

// supportGB is 4.4.5.1's supportId of GB/T 28181 (2; not the device protocol code 1).
var supportGB = support{SupportID: "2", SupportName: "国标协议"}

// 4.4.5.1
func (s *Server) platformsByArea(_ context.Context, c *Call) (any, error) {
	d := c.Params.Decode()
	area := d.String("areaCode", Required)
	if err := d.Err(); err != nil {
		return nil, err
	}
	ps, err := s.app.PlatformsByArea(area)
	if err != nil {
		return nil, err
	}
	out := make([]platformInfo, 0, len(ps))
	for _, p := range ps {
		out = append(out, platformInfo{PlatformID: p.ID, PlatformName: p.Name, PlatformVendor: p.Vendor, SupportList: []support{supportGB}})
	}
	return map[string]any{"platformInformations": out}, nil
}
