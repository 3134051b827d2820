package manscdp

import (
	"errors"
	"strings"
)

// CmdType values.
const (
	CmdKeepalive            = "Keepalive"            // Notify (2016 A.2.5.2)
	CmdCatalog              = "Catalog"              // Query, Response, Notify
	CmdDeviceInfo           = "DeviceInfo"           // Query, Response
	CmdDeviceStatus         = "DeviceStatus"         // Query, Response
	CmdRecordInfo           = "RecordInfo"           // Query, Response
	CmdPresetQuery          = "PresetQuery"          // Query, Response
	CmdConfigDownload       = "ConfigDownload"       // Query, Response (no typed struct here)
	CmdDeviceControl        = "DeviceControl"        // Control, Response
	CmdDeviceConfig         = "DeviceConfig"         // Control, Response
	CmdAlarm                = "Alarm"                // Notify, Response
	CmdMediaStatus          = "MediaStatus"          // Notify
	CmdMobilePosition       = "MobilePosition"       // Notify
	CmdBroadcast            = "Broadcast"            // Notify, Response (no typed struct here)
	CmdPTZPosition          = "PTZPosition"          // Query, Response (2022 A.2.4.13/A.2.6.15)
	CmdHomePositionQuery    = "HomePositionQuery"    // Query, Response (2022 A.2.4.10/A.2.6.12)
	CmdCruiseTrackListQuery = "CruiseTrackListQuery" // Query, Response (2022 A.2.4.11/A.2.6.13)
	CmdCruiseTrackQuery     = "CruiseTrackQuery"     // Query, Response (2022 A.2.4.12/A.2.6.14)
	CmdSDCardStatus         = "SDCardStatus"         // Query, Response (2022; no typed struct here)
)

// ErrUnknownMessage is wrapped by Message.Typed when no typed struct
// exists for the message's root and CmdType.
var ErrUnknownMessage = errors.New("manscdp: no typed struct for message")

// canonicalCmdType trims s and returns the standard spelling of a known
// CmdType that matches it case-insensitively, or the trimmed s.
func canonicalCmdType(s string) string {
	s = strings.TrimSpace(s)
	return canonicalName(s,
		CmdKeepalive, CmdCatalog, CmdDeviceInfo, CmdDeviceStatus, CmdRecordInfo,
		CmdPresetQuery, CmdConfigDownload, CmdDeviceControl, CmdDeviceConfig,
		CmdAlarm, CmdMediaStatus, CmdMobilePosition, CmdBroadcast, CmdPTZPosition,
		CmdHomePositionQuery, CmdCruiseTrackListQuery, CmdCruiseTrackQuery, CmdSDCardStatus)
}

// TypeFor returns a pointer to a new zero value of the typed struct for a
// root element and CmdType (canonical spellings, as in Message), or nil
// when this package has none.
func TypeFor(root, cmdType string) any {
	switch root {
	case RootQuery:
		switch cmdType {
		case CmdCatalog:
			return &CatalogQuery{}
		case CmdDeviceInfo:
			return &DeviceInfoQuery{}
		case CmdDeviceStatus:
			return &DeviceStatusQuery{}
		case CmdRecordInfo:
			return &RecordInfoQuery{}
		case CmdPresetQuery:
			return &PresetQuery{}
		case CmdPTZPosition:
			return &PTZPositionQuery{}
		case CmdHomePositionQuery:
			return &HomePositionQuery{}
		case CmdCruiseTrackListQuery:
			return &CruiseTrackListQuery{}
		case CmdCruiseTrackQuery:
			return &CruiseTrackQuery{}
		}
	case RootResponse:
		switch cmdType {
		case CmdCatalog:
			return &CatalogResponse{}
		case CmdDeviceInfo:
			return &DeviceInfoResponse{}
		case CmdDeviceStatus:
			return &DeviceStatusResponse{}
		case CmdRecordInfo:
			return &RecordInfoResponse{}
		case CmdPresetQuery:
			return &PresetQueryResponse{}
		case CmdPTZPosition:
			return &PTZPositionResponse{}
		case CmdHomePositionQuery:
			return &HomePositionResponse{}
		case CmdCruiseTrackListQuery:
			return &CruiseTrackListResponse{}
		case CmdCruiseTrackQuery:
			return &CruiseTrackResponse{}
		case CmdDeviceControl, CmdDeviceConfig, CmdAlarm:
			return &ResultResponse{}
		}
	case RootNotify:
		switch cmdType {
		case CmdKeepalive:
			return &KeepaliveNotify{}
		case CmdCatalog:
			return &CatalogNotify{}
		case CmdAlarm:
			return &AlarmNotify{}
		case CmdMediaStatus:
			return &MediaStatusNotify{}
		case CmdMobilePosition:
			return &MobilePositionNotify{}
		}
	case RootControl:
		switch cmdType {
		case CmdDeviceControl:
			return &DeviceControl{}
		case CmdDeviceConfig:
			return &DeviceConfig{}
		}
	}
	return nil
}
