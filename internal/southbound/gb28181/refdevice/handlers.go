package refdevice

import (
	"context"
	"encoding/xml"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/vionet/vionet/internal/southbound/gb28181/manscdp"
)

// configDownloadResponse answers a ConfigDownload query with BasicParam
// (2016 A.2.6.9); manscdp has no typed struct for it.
type configDownloadResponse struct {
	XMLName    xml.Name            `xml:"Response"`
	CmdType    string              `xml:"CmdType"`
	SN         int                 `xml:"SN"`
	DeviceID   string              `xml:"DeviceID"`
	Result     string              `xml:"Result"`
	BasicParam *manscdp.BasicParam `xml:"BasicParam,omitempty"`
}

func (d *Device) respond(req *sip.Request, tx sip.ServerTransaction, code int, reason string, hdrs ...sip.Header) {
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	for _, h := range hdrs {
		res.AppendHeader(h)
	}
	if err := tx.Respond(res); err != nil {
		d.log.Warn("respond failed", "method", req.Method, "status", code, "error", err)
	}
}

// onMessage answers a platform MESSAGE with 200 at once and then handles
// its MANSCDP body in the background (answers go out as new MESSAGEs).
func (d *Device) onMessage(req *sip.Request, tx sip.ServerTransaction) {
	body := append([]byte(nil), req.Body()...)
	d.stats.messagesReceived.Add(1)
	msg, err := manscdp.Decode(body)
	r := Received{At: time.Now(), Method: string(req.Method), Raw: string(body)}
	if err != nil {
		d.logReceived(r)
		d.log.Warn("undecodable MESSAGE", "error", err)
		d.respond(req, tx, sip.StatusBadRequest, "Bad Request")
		return
	}
	r.Root, r.CmdType, r.SN, r.DeviceID = msg.Root, msg.CmdType, msg.SN, msg.DeviceID
	if msg.Root == manscdp.RootControl && msg.CmdType == manscdp.CmdDeviceControl {
		var c manscdp.DeviceControl
		if msg.Into(&c) == nil {
			r.PTZCmd = c.PTZCmd
		}
	}
	d.logReceived(r)
	d.log.Debug("received", "root", msg.Root, "cmd", msg.CmdType, "sn", msg.SN, "target", msg.DeviceID)
	// Apply the message and build its answer before the 200, so that a
	// platform that has its 200 sees the effect in what it asks next.
	answer, err := d.handle(msg)
	if err != nil {
		d.log.Warn("message not handled", "root", msg.Root, "cmd", msg.CmdType, "sn", msg.SN, "error", err)
	}
	d.respond(req, tx, sip.StatusOK, "OK")
	if answer == nil {
		return
	}
	d.mu.Lock()
	if d.closing {
		d.mu.Unlock()
		return
	}
	d.handlers.Add(1)
	d.mu.Unlock()
	go func() {
		defer d.handlers.Done()
		if err := answer(d.ctx); err != nil && d.ctx.Err() == nil {
			d.log.Warn("answer failed", "root", msg.Root, "cmd", msg.CmdType, "sn", msg.SN, "error", err)
		}
	}()
}

// answerFunc sends the answer to a message, prepared when it arrived.
type answerFunc func(ctx context.Context) error

func (d *Device) sendFunc(v any) answerFunc {
	return func(ctx context.Context) error { return d.send(ctx, v) }
}

func pagedFunc[T any](d *Device, items []T, pageSize int, build func(page []T) any) answerFunc {
	return func(ctx context.Context) error { return sendPaged(ctx, d, items, pageSize, build) }
}

// onSubscribe accepts any subscription (Catalog, Alarm, MobilePosition)
// for the Expires asked for; no NOTIFYs follow.
func (d *Device) onSubscribe(req *sip.Request, tx sip.ServerTransaction) {
	body := append([]byte(nil), req.Body()...)
	d.stats.messagesReceived.Add(1)
	r := Received{At: time.Now(), Method: string(req.Method), Raw: string(body)}
	if msg, err := manscdp.Decode(body); err == nil {
		r.Root, r.CmdType, r.SN, r.DeviceID = msg.Root, msg.CmdType, msg.SN, msg.DeviceID
	}
	d.logReceived(r)
	expires := sip.ExpiresHeader(3600)
	if h := req.GetHeader("Expires"); h != nil {
		if n, err := strconv.Atoi(strings.TrimSpace(h.Value())); err == nil && n >= 0 {
			expires = sip.ExpiresHeader(n)
		}
	}
	host, port, _ := sip.ParseAddr(d.LocalAddr())
	contact := &sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: d.cfg.DeviceID, Host: host, Port: port}}
	d.respond(req, tx, sip.StatusOK, "OK", &expires, contact)
}

// handle applies one decoded MESSAGE from the platform and returns how to
// answer it (nil: the SIP 200 is the whole answer).
func (d *Device) handle(msg *manscdp.Message) (answerFunc, error) {
	switch msg.Root {
	case manscdp.RootQuery:
		return d.handleQuery(msg)
	case manscdp.RootControl:
		switch msg.CmdType {
		case manscdp.CmdDeviceControl:
			return d.handleControl(msg)
		case manscdp.CmdDeviceConfig:
			return d.handleConfig(msg)
		}
	}
	// Responses (e.g. Response Alarm) and notifications need no answer.
	return nil, nil
}

// is2022Query reports whether a query type exists only in GB/T 28181-2022.
func is2022Query(cmd string) bool {
	switch cmd {
	case manscdp.CmdPTZPosition, manscdp.CmdHomePositionQuery,
		manscdp.CmdCruiseTrackListQuery, manscdp.CmdCruiseTrackQuery:
		return true
	}
	return false
}

func (d *Device) channelName(id string) string {
	d.mu.Lock()
	name := d.name
	d.mu.Unlock()
	if d.cfg.Channels == 0 {
		return name
	}
	for i, c := range d.channels {
		if c == id {
			return "通道" + strconv.Itoa(i+1)
		}
	}
	return name
}

func (d *Device) handleQuery(msg *manscdp.Message) (answerFunc, error) {
	if is2022Query(msg.CmdType) && d.cfg.Version != Version2022 {
		d.log.Debug("2022 query ignored by a 2016 device", "cmd", msg.CmdType)
		return nil, nil
	}
	sn, target := msg.SN, msg.DeviceID
	switch msg.CmdType {
	case manscdp.CmdCatalog:
		items := d.catalogItems()
		return pagedFunc(d, items, d.cfg.CatalogPageSize, func(page []manscdp.CatalogItem) any {
			return manscdp.NewCatalogResponse(sn, d.cfg.DeviceID, len(items), page)
		}), nil
	case manscdp.CmdDeviceInfo:
		d.mu.Lock()
		name := d.name
		d.mu.Unlock()
		return d.sendFunc(&manscdp.DeviceInfoResponse{
			CmdType: manscdp.CmdDeviceInfo, SN: sn, DeviceID: d.cfg.DeviceID,
			DeviceName: name, Result: manscdp.ResultOK,
			Manufacturer: d.cfg.Manufacturer, Model: d.cfg.Model, Firmware: d.cfg.Firmware,
			Channel: len(d.channels),
		}), nil
	case manscdp.CmdDeviceStatus:
		d.mu.Lock()
		rec := onOff(d.recording)
		d.mu.Unlock()
		return d.sendFunc(&manscdp.DeviceStatusResponse{
			CmdType: manscdp.CmdDeviceStatus, SN: sn, DeviceID: target,
			Result: manscdp.ResultOK, Online: manscdp.StatusOnline, Status: manscdp.ResultOK,
			Encode: "ON", Record: rec, DeviceTime: manscdp.FormatTime(time.Now(), nil),
		}), nil
	case manscdp.CmdRecordInfo:
		var q manscdp.RecordInfoQuery
		if err := msg.Into(&q); err != nil {
			return nil, err
		}
		name := d.channelName(q.DeviceID)
		var items []manscdp.RecordItem
		start, err1 := manscdp.ParseTime(q.StartTime, nil)
		end, err2 := manscdp.ParseTime(q.EndTime, nil)
		if err1 == nil && err2 == nil && d.known(q.DeviceID) {
			items = SynthesizeRecords(q.DeviceID, name, start, end, q.Type, nil)
		}
		return pagedFunc(d, items, d.cfg.RecordPageSize, func(page []manscdp.RecordItem) any {
			return &manscdp.RecordInfoResponse{CmdType: manscdp.CmdRecordInfo, SN: sn, DeviceID: q.DeviceID,
				Name: name, SumNum: len(items), RecordList: manscdp.RecordList{Num: len(page), Items: page}}
		}), nil
	case manscdp.CmdPresetQuery:
		var items []manscdp.PresetItem
		if h := d.heads[target]; h != nil {
			for _, p := range h.state().Presets {
				items = append(items, manscdp.PresetItem{PresetID: p.ID, PresetName: p.Name})
			}
		}
		return pagedFunc(d, items, d.cfg.RecordPageSize, func(page []manscdp.PresetItem) any {
			r := manscdp.NewPresetQueryResponse(sn, target, page)
			r.SumNum = len(items)
			return r
		}), nil
	case manscdp.CmdConfigDownload:
		d.mu.Lock()
		exp, hb, hbc := int(d.expires/time.Second), int(d.kaInterval/time.Second), d.kaMisses
		name := d.name
		d.mu.Unlock()
		return d.sendFunc(&configDownloadResponse{CmdType: manscdp.CmdConfigDownload, SN: sn, DeviceID: target,
			Result: manscdp.ResultOK, BasicParam: &manscdp.BasicParam{Name: name, Expiration: &exp,
				HeartBeatInterval: &hb, HeartBeatCount: &hbc}}), nil
	case manscdp.CmdPTZPosition:
		h := d.heads[target]
		if h == nil {
			return d.sendFunc(&manscdp.PTZPositionResponse{CmdType: manscdp.CmdPTZPosition, SN: sn, DeviceID: target}), nil
		}
		p := h.state().Position
		r := &manscdp.PTZPositionResponse{CmdType: manscdp.CmdPTZPosition, SN: sn, DeviceID: target,
			Pan: round1(p.Pan), Tilt: round1(p.Tilt), Zoom: round1(p.Zoom),
			HorizontalFieldAngle: round1(60 / p.Zoom), VerticalFieldAngle: round1(34 / p.Zoom),
			MaxViewDistance: round1(100 * p.Zoom)}
		return d.sendFunc(r), nil
	case manscdp.CmdHomePositionQuery:
		r := &manscdp.HomePositionResponse{CmdType: manscdp.CmdHomePositionQuery, SN: sn, DeviceID: target}
		if h := d.heads[target]; h != nil {
			home := h.state().Home
			en := 0
			if home.Enabled {
				en = 1
			}
			rt, pi := home.ResetTime, home.PresetIndex
			r.HomePosition = &manscdp.HomePosition{Enabled: en, ResetTime: &rt, PresetIndex: &pi}
		}
		return d.sendFunc(r), nil
	case manscdp.CmdCruiseTrackListQuery:
		var tracks []manscdp.CruiseTrack
		if h := d.heads[target]; h != nil {
			for _, c := range h.state().Cruises {
				tracks = append(tracks, manscdp.CruiseTrack{Number: c.Number, Name: c.Name})
			}
		}
		return pagedFunc(d, tracks, d.cfg.RecordPageSize, func(page []manscdp.CruiseTrack) any {
			return &manscdp.CruiseTrackListResponse{CmdType: manscdp.CmdCruiseTrackListQuery, SN: sn, DeviceID: target,
				SumNum: len(tracks), CruiseTrackList: manscdp.CruiseTrackList{Num: len(page), Tracks: page}}
		}), nil
	case manscdp.CmdCruiseTrackQuery:
		var q manscdp.CruiseTrackQuery
		if err := msg.Into(&q); err != nil {
			return nil, err
		}
		var points []manscdp.CruisePoint
		name := ""
		if h := d.heads[target]; h != nil {
			for _, c := range h.state().Cruises {
				if c.Number == q.Number {
					name = c.Name
					for _, p := range c.Points {
						points = append(points, manscdp.CruisePoint{PresetIndex: p.Preset, StayTime: p.Stay, Speed: p.Speed})
					}
				}
			}
		}
		return pagedFunc(d, points, d.cfg.RecordPageSize, func(page []manscdp.CruisePoint) any {
			return &manscdp.CruiseTrackResponse{CmdType: manscdp.CmdCruiseTrackQuery, SN: sn, DeviceID: target,
				Number: q.Number, Name: name, SumNum: len(points),
				CruisePointList: manscdp.CruisePointList{Num: len(page), Points: page}}
		}), nil
	}
	d.log.Debug("query not answered", "cmd", msg.CmdType)
	return nil, nil
}

func round1(v float64) *float64 {
	r := math.Round(v*10) / 10
	return &r
}

func onOff(b bool) string {
	if b {
		return "ON"
	}
	return "OFF"
}

func (d *Device) known(id string) bool {
	if id == d.cfg.DeviceID {
		return true
	}
	_, ok := d.heads[id]
	return ok
}

func (d *Device) catalogItems() []manscdp.CatalogItem {
	items := make([]manscdp.CatalogItem, 0, len(d.channels))
	for _, id := range d.channels {
		items = append(items, manscdp.CatalogItem{
			DeviceID:     id,
			Name:         d.channelName(id),
			Manufacturer: d.cfg.Manufacturer,
			Model:        d.cfg.Model,
			Owner:        "Owner",
			CivilCode:    d.cfg.DeviceID[:6],
			Address:      "一号楼",
			Parental:     0,
			ParentID:     d.cfg.DeviceID,
			RegisterWay:  1,
			Secrecy:      0,
			Status:       manscdp.StatusOn,
		})
	}
	return items
}

// handleControl executes a DeviceControl. PTZCmd, TeleBoot, IFameCmd and
// DragZoom are answered only with the SIP 200 (2016 9.3.2); RecordCmd,
// GuardCmd, AlarmCmd, HomePosition and PTZPreciseCtrl also get a Response
// DeviceControl.
func (d *Device) handleControl(msg *manscdp.Message) (answerFunc, error) {
	var c manscdp.DeviceControl
	if err := msg.Into(&c); err != nil {
		return nil, err
	}
	h := d.heads[c.DeviceID]
	answer, ok := false, d.known(c.DeviceID)
	if c.PTZCmd != "" {
		cmd, err := c.PTZ()
		switch {
		case err != nil:
			d.log.Warn("bad PTZCmd", "ptzcmd", c.PTZCmd, "error", err)
		case h == nil:
			d.log.Warn("PTZCmd for a channel without a head", "target", c.DeviceID)
		default:
			name := ""
			if c.PTZCmdParams != nil {
				name = c.PTZCmdParams.PresetName
			}
			dc := cmd.Decode()
			if err := h.apply(dc, name); err != nil {
				d.log.Info("PTZCmd not applied", "ptzcmd", c.PTZCmd, "kind", dc.Kind.String(), "error", err)
			} else {
				d.log.Debug("PTZCmd applied", "ptzcmd", c.PTZCmd, "kind", dc.Kind.String())
			}
		}
	}
	if c.DragZoomIn != nil && h != nil {
		h.dragZoom(true)
	}
	if c.DragZoomOut != nil && h != nil {
		h.dragZoom(false)
	}
	if c.PTZPreciseCtrl != nil {
		answer = true
		if h != nil {
			h.setPrecise(c.PTZPreciseCtrl)
		} else {
			ok = false
		}
	}
	if c.HomePosition != nil {
		answer = true
		if h != nil {
			h.setHome(c.HomePosition)
		} else {
			ok = false
		}
	}
	if c.RecordCmd != "" {
		answer = true
		d.mu.Lock()
		switch c.RecordCmd {
		case manscdp.RecordCmdRecord:
			d.recording = true
		case manscdp.RecordCmdStop:
			d.recording = false
		default:
			ok = false
		}
		d.mu.Unlock()
	}
	if c.GuardCmd != "" {
		answer = true
		d.mu.Lock()
		switch c.GuardCmd {
		case manscdp.GuardCmdSet:
			d.guard = true
		case manscdp.GuardCmdReset:
			d.guard = false
		default:
			ok = false
		}
		d.mu.Unlock()
	}
	if c.AlarmCmd != "" {
		answer = true
	}
	if c.TeleBoot != "" {
		select {
		case d.reboot <- struct{}{}:
		default:
		}
	}
	if !answer {
		return nil, nil
	}
	return d.sendFunc(manscdp.NewDeviceControlResponse(c.SN, c.DeviceID, ok)), nil
}

// handleConfig applies a DeviceConfig BasicParam: the name, the
// registration period (used from the next REGISTER) and the keepalive
// interval and miss count (used at once).
func (d *Device) handleConfig(msg *manscdp.Message) (answerFunc, error) {
	var c manscdp.DeviceConfig
	if err := msg.Into(&c); err != nil {
		return nil, err
	}
	ok := c.BasicParam != nil
	if p := c.BasicParam; p != nil {
		d.mu.Lock()
		if p.Name != "" {
			d.name = p.Name
		}
		if p.Expiration != nil && *p.Expiration > 0 {
			d.expires = time.Duration(*p.Expiration) * time.Second
		}
		changed := false
		if p.HeartBeatInterval != nil && *p.HeartBeatInterval > 0 {
			d.kaInterval = time.Duration(*p.HeartBeatInterval) * time.Second
			changed = true
		}
		if p.HeartBeatCount != nil && *p.HeartBeatCount > 0 {
			d.kaMisses = *p.HeartBeatCount
		}
		d.mu.Unlock()
		if changed {
			select {
			case d.kaChange <- struct{}{}:
			default:
			}
		}
	}
	return d.sendFunc(manscdp.NewDeviceConfigResponse(c.SN, c.DeviceID, ok)), nil
}
