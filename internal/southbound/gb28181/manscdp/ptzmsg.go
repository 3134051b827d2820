package manscdp

import "encoding/xml"

// PresetQuery asks for a channel's presets (2016 A.2.4.8).
type PresetQuery Query

// NewPresetQuery returns a PresetQuery query.
func NewPresetQuery(sn int, deviceID string) *PresetQuery {
	return (*PresetQuery)(NewQuery(CmdPresetQuery, sn, deviceID))
}

// PresetQueryResponse answers a PresetQuery (2016 A.2.6.10). SumNum is
// not in the 2016 schema but is sent by some devices and stacks.
type PresetQueryResponse struct {
	XMLName    xml.Name   `xml:"Response"`
	CmdType    string     `xml:"CmdType"`
	SN         int        `xml:"SN"`
	DeviceID   string     `xml:"DeviceID"`
	SumNum     int        `xml:"SumNum,omitempty"`
	PresetList PresetList `xml:"PresetList"`
}

// NewPresetQueryResponse returns a PresetQuery response listing items.
func NewPresetQueryResponse(sn int, deviceID string, items []PresetItem) *PresetQueryResponse {
	return &PresetQueryResponse{CmdType: CmdPresetQuery, SN: sn, DeviceID: deviceID,
		PresetList: PresetList{Num: len(items), Items: items}}
}

// PresetList is the Num-counted preset list.
type PresetList struct {
	Num   int          `xml:"Num,attr"`
	Items []PresetItem `xml:"Item"`
}

// PresetItem is one preset.
type PresetItem struct {
	PresetID   int    `xml:"PresetID"`
	PresetName string `xml:"PresetName"`
}

// PTZPositionQuery asks for the precise PTZ position (2022 A.2.4.13).
type PTZPositionQuery Query

// NewPTZPositionQuery returns a PTZPosition query.
func NewPTZPositionQuery(sn int, deviceID string) *PTZPositionQuery {
	return (*PTZPositionQuery)(NewQuery(CmdPTZPosition, sn, deviceID))
}

// PTZPositionResponse answers a PTZPosition query (2022 A.2.6.15): Pan
// and Tilt in degrees, Zoom as the zoom ratio, the field angles in degrees
// and MaxViewDistance in metres. The elements sit directly under the root.
type PTZPositionResponse struct {
	XMLName              xml.Name `xml:"Response"`
	CmdType              string   `xml:"CmdType"`
	SN                   int      `xml:"SN"`
	DeviceID             string   `xml:"DeviceID"`
	Pan                  *float64 `xml:"Pan,omitempty"`
	Tilt                 *float64 `xml:"Tilt,omitempty"`
	Zoom                 *float64 `xml:"Zoom,omitempty"`
	HorizontalFieldAngle *float64 `xml:"HorizontalFieldAngle,omitempty"`
	VerticalFieldAngle   *float64 `xml:"VerticalFieldAngle,omitempty"`
	MaxViewDistance      *float64 `xml:"MaxViewDistance,omitempty"`
}

// HomePositionQuery asks for the home (guard) position settings (2022
// A.2.4.10).
type HomePositionQuery Query

// NewHomePositionQuery returns a HomePositionQuery query.
func NewHomePositionQuery(sn int, deviceID string) *HomePositionQuery {
	return (*HomePositionQuery)(NewQuery(CmdHomePositionQuery, sn, deviceID))
}

// HomePositionResponse answers a HomePositionQuery (2022 A.2.6.12).
type HomePositionResponse struct {
	XMLName      xml.Name      `xml:"Response"`
	CmdType      string        `xml:"CmdType"`
	SN           int           `xml:"SN"`
	DeviceID     string        `xml:"DeviceID"`
	HomePosition *HomePosition `xml:"HomePosition,omitempty"`
}

// HomePosition is the home (guard) position, used both in DeviceControl
// (2016 A.2.3.1.10) and in the 2022 query answer: Enabled 1 turns the
// automatic return on, after ResetTime seconds idle, to preset PresetIndex.
type HomePosition struct {
	Enabled     int  `xml:"Enabled"`
	ResetTime   *int `xml:"ResetTime,omitempty"`
	PresetIndex *int `xml:"PresetIndex,omitempty"`
}

// CruiseTrackListQuery asks for the list of cruise tracks (2022 A.2.4.11).
type CruiseTrackListQuery Query

// NewCruiseTrackListQuery returns a CruiseTrackListQuery query.
func NewCruiseTrackListQuery(sn int, deviceID string) *CruiseTrackListQuery {
	return (*CruiseTrackListQuery)(NewQuery(CmdCruiseTrackListQuery, sn, deviceID))
}

// CruiseTrackListResponse answers a CruiseTrackListQuery (2022 A.2.6.13).
type CruiseTrackListResponse struct {
	XMLName         xml.Name        `xml:"Response"`
	CmdType         string          `xml:"CmdType"`
	SN              int             `xml:"SN"`
	DeviceID        string          `xml:"DeviceID"`
	SumNum          int             `xml:"SumNum"`
	CruiseTrackList CruiseTrackList `xml:"CruiseTrackList"`
}

// CruiseTrackList is the Num-counted cruise track list.
type CruiseTrackList struct {
	Num    int           `xml:"Num,attr"`
	Tracks []CruiseTrack `xml:"CruiseTrack"`
}

// CruiseTrack names one cruise track; Number is the track (cruise group)
// number used by the PTZ cruise commands.
type CruiseTrack struct {
	Number int    `xml:"Number"`
	Name   string `xml:"Name,omitempty"`
}

// CruiseTrackQuery asks for the points of one cruise track (2022
// A.2.4.12).
type CruiseTrackQuery struct {
	XMLName  xml.Name `xml:"Query"`
	CmdType  string   `xml:"CmdType"`
	SN       int      `xml:"SN"`
	DeviceID string   `xml:"DeviceID"`
	Number   int      `xml:"Number"`
}

// NewCruiseTrackQuery returns a CruiseTrackQuery for track number.
func NewCruiseTrackQuery(sn int, deviceID string, number int) *CruiseTrackQuery {
	return &CruiseTrackQuery{CmdType: CmdCruiseTrackQuery, SN: sn, DeviceID: deviceID, Number: number}
}

// CruiseTrackResponse answers a CruiseTrackQuery (2022 A.2.6.14).
type CruiseTrackResponse struct {
	XMLName         xml.Name        `xml:"Response"`
	CmdType         string          `xml:"CmdType"`
	SN              int             `xml:"SN"`
	DeviceID        string          `xml:"DeviceID"`
	Number          int             `xml:"Number"`
	Name            string          `xml:"Name,omitempty"`
	SumNum          int             `xml:"SumNum"`
	CruisePointList CruisePointList `xml:"CruisePointList"`
}

// CruisePointList is the Num-counted list of a track's points.
type CruisePointList struct {
	Num    int           `xml:"Num,attr"`
	Points []CruisePoint `xml:"CruisePoint"`
}

// CruisePoint is one point of a cruise track: a preset, the stay time in
// seconds and the speed.
type CruisePoint struct {
	PresetIndex int `xml:"PresetIndex"`
	StayTime    int `xml:"StayTime"`
	Speed       int `xml:"Speed"`
}
