package northbound

// Endpoint is one operation of the spec (endpoints.md), whether implemented yet or not.
type Endpoint struct {
	Section   string // e.g. "4.4.1.3"
	Method    string
	Path      string
	Title     string
	NotOnline bool // marked 未上线 in the spec
}

// Pattern is the net/http ServeMux pattern of the endpoint.
func (e Endpoint) Pattern() string { return e.Method + " " + e.Path }

// Catalog lists every endpoint of the spec, in spec order. Generated from
// shared/spec/endpoints.json; the server answers every one of them, with 000009 "not
// available yet" for those whose issue has not landed.
var Catalog = []Endpoint{
	{"4.4.1.1", "POST", "/cmiot/v2/api/device", "Add device", false},
	{"4.4.1.2", "DELETE", "/cmiot/v2/api/device", "Delete device", false},
	{"4.4.1.3", "GET", "/cmiot/v2/api/device", "Get device details", false},
	{"4.4.1.4", "GET", "/cmiot/v2/api/device/list", "List devices (paged)", false},
	{"4.4.1.5", "POST", "/cmiot/v2/api/1400/device", "Add GA/T 1400 device", false},
	{"4.4.1.6", "GET", "/cmiot/v2/api/1400/info", "Get GA/T 1400 device access info", false},
	{"4.4.1.7", "GET", "/cmiot/v2/api/device/token", "Get device token", false},
	{"4.4.1.8", "GET", "/cmiot/v2/device/thumbnail", "Get device thumbnail", false},
	{"4.4.1.9", "GET", "/cmiot/v2/api/device/ip", "Get device IP address", false},
	{"4.4.1.10", "GET", "/cmiot/v2/api/device/dgw/info", "Get device's access-node info", false},
	{"4.4.1.11", "POST", "/cmiot/v2/api/device/channel", "Add channels to device", false},
	{"4.4.1.12", "POST", "/cmiot/v2/api/device/snapshot", "Platform snapshot (not yet online)", true},
	{"4.4.1.13", "GET", "/cmiot/v2/api/device/snapshot/list", "List platform snapshots (not yet online)", true},
	{"4.4.1.14", "DELETE", "/cmiot/v2/api/device/snapshot", "Delete platform snapshot picture (not yet online)", true},
	{"4.4.1.15", "POST", "/cmiot/v2/api/device/channel/retrieval", "Retrieve device channels", false},
	{"4.4.2.1", "GET", "/cmiot/v2/api/device/setting", "Get device settings", false},
	{"4.4.2.2", "PUT", "/cmiot/v2/api/device/setting", "Modify device setting", false},
	{"4.4.2.3", "GET", "/cmiot/v2/api/device/ability", "Get device capability set", false},
	{"4.4.2.4", "POST", "/cmiot/v2/api/device/restart", "Reboot device", false},
	{"4.4.2.5", "POST", "/cmiot/v2/api/sdcard/format", "Format device SD card", false},
	{"4.4.2.6", "POST", "/cmiot/v2/api/cloud/broadcast/batch", "Batch cloud broadcast", false},
	{"4.4.2.7", "GET", "/cmiot/v2/api/device/audio/param", "Get device audio parameters", false},
	{"4.4.2.8", "GET", "/cmiot/v2/api/wifi/list", "Get Wi-Fi list", false},
	{"4.4.2.9", "POST", "/cmiot/v2/api/wifi", "Change device Wi-Fi", false},
	{"4.4.2.10", "GET", "/cmiot/v2/api/wifi/strength", "Get current Wi-Fi signal strength", false},
	{"4.4.2.11", "GET", "/cmiot/v2/api/network/strength", "Get cellular signal strength", false},
	{"4.4.2.12", "GET", "/cmiot/v2/api/device/microchip", "Get device chip info", false},
	{"4.4.2.13", "GET", "/cmiot/v2/api/device/resolution", "Get device resolution", false},
	{"4.4.2.14", "GET", "/cmiot/v2/api/battery", "Get battery level", false},
	{"4.4.2.15", "GET", "/cmiot/v2/api/device/low/waken", "Wake up low-power device", false},
	{"4.4.2.16", "GET", "/cmiot/v2/api/device/sdcard/info", "Get SD card info", false},
	{"4.4.2.17", "POST", "/cmiot/v2/equipment/upgrade", "Firmware upgrade", false},
	{"4.4.2.18", "GET", "/cmiot/v2/api/dmp/upgrade/info", "Check firmware update availability", false},
	{"4.4.2.19", "PUT", "/cmiot/v2/api/device/info/name", "Rename device", false},
	{"4.4.2.20", "POST", "/cmiot/v2/api/device/dahua/check", "Verify Dahua device credentials", false},
	{"4.4.2.21", "GET", "/cmiot/v2/api/picture/select", "Query cloud-stored picture URLs", false},
	{"4.4.3.1", "POST", "/cmiot/v2/api/level/add", "Add subordinate domain", false},
	{"4.4.3.2", "DELETE", "/cmiot/v2/api/level/delete", "Delete subordinate domain", false},
	{"4.4.3.3", "POST", "/cmiot/v2/api/level/edit", "Modify subordinate domain", false},
	{"4.4.3.4", "POST", "/cmiot/v2/api/resource/retrieval", "Trigger resource retrieval on subordinate platform", false},
	{"4.4.3.5", "POST", "/cmiot/v2/api/subordinate/subscribe", "Subscribe/unsubscribe subordinate domain push", false},
	{"4.4.3.6", "GET", "/cmiot/v2/api/grandparent", "Query ancestor nodes of device in subordinate domain", false},
	{"4.4.4.1", "GET", "/cmiot/v2/api/share/task/list", "[Sharer] List device-share tasks", false},
	{"4.4.4.2", "POST", "/cmiot/v2/api/device/share", "[Sharer] Create device-share task", false},
	{"4.4.4.3", "PUT", "/cmiot/v2/api/device/task/cancel", "[Sharer] Cancel device-share task", false},
	{"4.4.4.4", "POST", "/cmiot/v2/api/device/task/edit", "[Sharer] Modify device-share task", false},
	{"4.4.4.5", "POST", "/cmiot/v2/api/device/share/status", "[Sharee] Accept/cancel device-share task", false},
	{"4.4.4.6", "GET", "/cmiot/v2/api/be/share/task/list", "[Sharee] List device-share tasks shared with me", false},
	{"4.4.5.1", "GET", "/cmiot/v2/api/fims/device/area/get/platform", "List device-access platforms by area", false},
	{"4.4.6.1", "POST", "/cmiot/v2/api/dmp/add/inspection/newtask", "Create/edit inspection task", false},
	{"4.4.6.2", "DELETE", "/cmiot/v2/api/dmp/del/inspection/newtask", "Delete inspection task", false},
	{"4.4.6.3", "GET", "/cmiot/v2/api/dmp/inspection/taskId", "Get inspection task info", false},
	{"4.4.6.4", "POST", "/cmiot/v2/api/patrol/check", "Re-check inspection (run immediately)", false},
	{"4.4.6.5", "GET", "/cmiot/v2/api/video/diagnosis/picture", "Get video-quality diagnosis picture", false},
	{"4.5.1.1", "GET", "/cmiot/v2/api/device/live/url", "Get live stream URL", false},
	{"4.5.1.2", "GET", "/cmiot/v2/api/device/playback/url", "Get playback URL by time range", false},
	{"4.5.1.3", "GET", "/cmiot/v2/device/record/list", "List recording files", false},
	{"4.5.1.4", "GET", "/cmiot/v2/api/device/record/address/id", "Get playback URL by record id", false},
	{"4.5.1.5", "GET", "/cmiot/v2/api/device/alarm/url", "Get recording download URL", false},
	{"4.5.1.6", "DELETE", "/cmiot/v2/api/device/video", "Delete recordings", false},
	{"4.5.1.7", "POST", "/cmiot/v2/api/record/unfreeze", "Unfreeze archived recordings", false},
	{"4.5.1.8", "GET", "/cmiot/v2/api/device/record/exist", "Per-day recording/alarm existence in date range", false},
	{"4.5.2.1", "POST", "/cmiot/v2/api/device/ptz/control", "PTZ control", false},
	{"4.5.2.2", "GET", "/cmiot/v2/api/preset/list", "List presets", false},
	{"4.5.2.3", "POST", "/cmiot/v2/api/preset", "Add preset", false},
	{"4.5.2.4", "PUT", "/cmiot/v2/api/preset", "Update preset", false},
	{"4.5.2.5", "DELETE", "/cmiot/v2/api/preset", "Delete preset", false},
	{"4.5.2.6", "POST", "/cmiot/v2/api/preset/jump", "Go to preset", false},
	{"4.5.2.7", "POST", "/cmiot/v2/api/cruise", "Add cruise route", false},
	{"4.5.2.8", "PUT", "/cmiot/v2/api/cruise", "Update cruise route", false},
	{"4.5.2.9", "DELETE", "/cmiot/v2/api/cruise", "Delete cruise route", false},
	{"4.5.2.10", "POST", "/cmiot/v2/api/cruise/play", "Start/stop cruise", false},
	{"4.5.2.11", "GET", "/cmiot/v2/api/cruise", "List cruise routes", false},
	{"4.5.2.12", "GET", "/cmiot/v2/api/cruise/detail", "Get cruise route details (not yet online)", true},
	{"4.5.2.13", "GET", "/cmiot/v2/api/device/ptz/coordinate", "Get current PTZ position", false},
	{"4.5.2.14", "POST", "/cmiot/v2/api/ptz/guard", "Set PTZ guard (home) position (not yet online)", true},
	{"4.5.2.15", "DELETE", "/cmiot/v2/api/ptz/guard", "Delete PTZ guard position (not yet online)", true},
	{"4.5.2.16", "GET", "/cmiot/v2/api/ptz/guard", "Get PTZ guard position (not yet online)", true},
	{"4.5.2.17", "PUT", "/cmiot/v2/api/device/ptz/config", "Set device PTZ parameters (not yet online)", true},
	{"4.5.3.1", "GET", "/cmiot/v2/api/device/wss/address", "Get device long-connection (WSS) address", false},
	{"4.5.3.2", "GET", "/cmiot/v2/api/talk/address", "Get device voice-intercom (RTSP) address", false},
	{"4.6.1.1", "PUT", "/cmiot/v2/api/record/plan", "Enable/disable device service", false},
	{"4.6.1.2", "GET", "/cmiot/v2/api/device/service", "Get device services", false},
	{"4.6.1.3", "PUT", "/cmiot/v2/api/record/plan/batch", "Batch enable/disable services", false},
	{"4.6.1.4", "GET", "/cmiot/v2/api/order/service", "Get tenant service order info", false},
	{"4.7.1.1", "POST", "/cmiot/v2/api/msg/subscribe", "Subscribe to push messages", false},
	{"4.7.1.2", "POST", "/cmiot/v2/api/msg/unsubscribe", "Unsubscribe from push messages", false},
	{"4.8.1", "POST", "/cmiot/v2/api/device/clip", "Create video clip task", false},
	{"4.8.2", "GET", "/cmiot/v2/api/device/clip", "Get clip task info", false},
	{"4.8.3", "DELETE", "/cmiot/v2/api/device/clip", "Delete clip tasks/files", false},
}

// pathAliases are the spellings the spec writes without "/api" (4.4.1.8, 4.4.2.17, 4.5.1.3);
// the server answers both.
var pathAliases = map[string]string{
	"/cmiot/v2/device/thumbnail":   "/cmiot/v2/api/device/thumbnail",
	"/cmiot/v2/equipment/upgrade":  "/cmiot/v2/api/equipment/upgrade",
	"/cmiot/v2/device/record/list": "/cmiot/v2/api/device/record/list",
}
