package manscdp

import (
	"encoding/xml"
	"strings"
)

// Common result, status and event values.
const (
	ResultOK    = "OK"
	ResultError = "ERROR"

	StatusOn      = "ON"      // Catalog item status (2016 statusType)
	StatusOff     = "OFF"     // Catalog item status
	StatusOnline  = "ONLINE"  // DeviceStatus Online; also sent in Catalog by some devices
	StatusOffline = "OFFLINE" // DeviceStatus Online
)

// Catalog item events, sent in Notify Catalog (2016 A.2.5, 2022 A.2.5.6).
const (
	EventOn     = "ON"
	EventOff    = "OFF"
	EventVLost  = "VLOST"
	EventDefect = "DEFECT"
	EventAdd    = "ADD"
	EventDel    = "DEL"
	EventUpdate = "UPDATE"
)

// CatalogQuery asks a device for its catalog (2016 A.2.4.2). StartTime and
// EndTime optionally restrict it to items added or changed in that range.
type CatalogQuery struct {
	XMLName   xml.Name `xml:"Query"`
	CmdType   string   `xml:"CmdType"`
	SN        int      `xml:"SN"`
	DeviceID  string   `xml:"DeviceID"`
	StartTime string   `xml:"StartTime,omitempty"`
	EndTime   string   `xml:"EndTime,omitempty"`
}

// NewCatalogQuery returns a Catalog query.
func NewCatalogQuery(sn int, deviceID string) *CatalogQuery {
	return &CatalogQuery{CmdType: CmdCatalog, SN: sn, DeviceID: deviceID}
}

// CatalogResponse is one message of a device's answer to a Catalog query
// (2016 A.2.6.4). Devices split large catalogs over several messages with
// the same SN: SumNum is the total, DeviceList.Num the count in this one.
type CatalogResponse struct {
	XMLName    xml.Name   `xml:"Response"`
	CmdType    string     `xml:"CmdType"`
	SN         int        `xml:"SN"`
	DeviceID   string     `xml:"DeviceID"`
	SumNum     int        `xml:"SumNum"`
	DeviceList DeviceList `xml:"DeviceList"`
}

// NewCatalogResponse returns a Catalog response carrying items out of
// sumNum in total; DeviceList.Num is set to len(items).
func NewCatalogResponse(sn int, deviceID string, sumNum int, items []CatalogItem) *CatalogResponse {
	return &CatalogResponse{CmdType: CmdCatalog, SN: sn, DeviceID: deviceID, SumNum: sumNum,
		DeviceList: DeviceList{Num: len(items), Items: items}}
}

// CatalogNotify is a catalog change notification (2016 9.6.3, NOTIFY or
// MESSAGE): the items that changed, each with its Event.
type CatalogNotify struct {
	XMLName    xml.Name   `xml:"Notify"`
	CmdType    string     `xml:"CmdType"`
	SN         int        `xml:"SN"`
	DeviceID   string     `xml:"DeviceID"`
	SumNum     int        `xml:"SumNum"`
	DeviceList DeviceList `xml:"DeviceList"`
}

// NewCatalogNotify returns a Catalog notification carrying items.
func NewCatalogNotify(sn int, deviceID string, items []CatalogItem) *CatalogNotify {
	return &CatalogNotify{CmdType: CmdCatalog, SN: sn, DeviceID: deviceID, SumNum: len(items),
		DeviceList: DeviceList{Num: len(items), Items: items}}
}

// DeviceList is the item list of a Catalog response or notification.
type DeviceList struct {
	Num   int           `xml:"Num,attr"`
	Items []CatalogItem `xml:"Item"`
}

// CatalogItem is one catalog entry: a device, channel, region, system,
// business group or virtual organisation (2016 itemType; 2022 additions
// marked).
type CatalogItem struct {
	DeviceID     string `xml:"DeviceID"`
	Name         string `xml:"Name"`
	Manufacturer string `xml:"Manufacturer"`
	Model        string `xml:"Model"`
	Owner        string `xml:"Owner"`
	CivilCode    string `xml:"CivilCode"`
	Block        string `xml:"Block,omitempty"`
	Address      string `xml:"Address"`
	// Parental is 1 when the item has children.
	Parental int `xml:"Parental"`
	// ParentID may hold several IDs separated by "/" (2022).
	ParentID    string `xml:"ParentID,omitempty"`
	SafetyWay   int    `xml:"SafetyWay,omitempty"`
	RegisterWay int    `xml:"RegisterWay"`
	CertNum     string `xml:"CertNum,omitempty"`
	Certifiable int    `xml:"Certifiable,omitempty"`
	ErrCode     int    `xml:"ErrCode,omitempty"`
	EndTime     string `xml:"EndTime,omitempty"`
	Secrecy     int    `xml:"Secrecy"`
	IPAddress   string `xml:"IPAddress,omitempty"`
	Port        int    `xml:"Port,omitempty"`
	Password    string `xml:"Password,omitempty"`
	// Status is ON/OFF (2016), sometimes ONLINE/OFFLINE; see Online.
	Status    string  `xml:"Status"`
	Longitude float64 `xml:"Longitude,omitempty"`
	Latitude  float64 `xml:"Latitude,omitempty"`
	// SecurityLevelCode is the GB 35114 level A/B/C (2022).
	SecurityLevelCode string `xml:"SecurityLevelCode,omitempty"`
	// BusinessGroupID is the business group of a virtual organisation
	// (2016 puts it under Info, 2022 on the item).
	BusinessGroupID string           `xml:"BusinessGroupID,omitempty"`
	Info            *CatalogItemInfo `xml:"Info,omitempty"`
	// Event is set in catalog notifications: ON, OFF, VLOST, DEFECT, ADD,
	// DEL or UPDATE.
	Event string `xml:"Event,omitempty"`
}

// Online reports whether Status says the item is online (ON or ONLINE,
// any case, surrounding space ignored).
func (i CatalogItem) Online() bool {
	s := strings.TrimSpace(i.Status)
	return strings.EqualFold(s, StatusOn) || strings.EqualFold(s, StatusOnline)
}

// CatalogItemInfo is a catalog item's optional Info block (2016 fields
// first, then the 2022 additions).
type CatalogItemInfo struct {
	// PTZType: 1 dome, 2 half-dome, 3 fixed bullet, 4 PTZ bullet (2022 adds
	// 5 PTZ half-dome, 6 multi-lens panorama, 7 multi-lens split).
	PTZType             int    `xml:"PTZType,omitempty"`
	PositionType        int    `xml:"PositionType,omitempty"`
	RoomType            int    `xml:"RoomType,omitempty"`
	UseType             int    `xml:"UseType,omitempty"`
	SupplyLightType     int    `xml:"SupplyLightType,omitempty"`
	DirectionType       int    `xml:"DirectionType,omitempty"`
	Resolution          string `xml:"Resolution,omitempty"`
	BusinessGroupID     string `xml:"BusinessGroupID,omitempty"`
	DownloadSpeed       string `xml:"DownloadSpeed,omitempty"`
	SVCSpaceSupportMode int    `xml:"SVCSpaceSupportMode,omitempty"`
	SVCTimeSupportMode  int    `xml:"SVCTimeSupportMode,omitempty"`

	// GB/T 28181-2022.
	PhotoelectricImagingType string  `xml:"PhotoelectricImagingType,omitempty"`
	CapturePositionType      string  `xml:"CapturePositionType,omitempty"`
	StreamNumberList         string  `xml:"StreamNumberList,omitempty"`
	SSVCRatioSupportList     string  `xml:"SSVCRatioSupportList,omitempty"`
	MobileDeviceType         int     `xml:"MobileDeviceType,omitempty"`
	HorizontalFieldAngle     float64 `xml:"HorizontalFieldAngle,omitempty"`
	VerticalFieldAngle       float64 `xml:"VerticalFieldAngle,omitempty"`
	MaxViewDistance          float64 `xml:"MaxViewDistance,omitempty"`
	GrassrootsCode           string  `xml:"GrassrootsCode,omitempty"`
	PointType                int     `xml:"PointType,omitempty"`
	PointCommonName          string  `xml:"PointCommonName,omitempty"`
	MAC                      string  `xml:"MAC,omitempty"`
	FunctionType             string  `xml:"FunctionType,omitempty"`
	EncodeType               string  `xml:"EncodeType,omitempty"`
	InstallTime              string  `xml:"InstallTime,omitempty"`
	ManagementUnit           string  `xml:"ManagementUnit,omitempty"`
	ContactInfo              string  `xml:"ContactInfo,omitempty"`
	RecordSaveDays           int     `xml:"RecordSaveDays,omitempty"`
	IndustrialClassification string  `xml:"IndustrialClassification,omitempty"`
}
