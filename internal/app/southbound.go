package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vionet/vionet/internal/domain"
)

// This file holds what device protocols report to the platform: registrations, liveness,
// catalogs, device information and alarms. The southbound drivers call these methods; each
// writes its change and the pushes it causes in one transaction.

// GB28181 is the port of the GB/T 28181 driver that use cases call.
type GB28181 interface {
	// QueryCatalog asks the device for its channels and waits until every part arrived (the
	// driver applies them through ApplyCatalog before returning).
	QueryCatalog(ctx context.Context, deviceSn string) error
	// QueryRecords lists the recordings a device keeps (RecordInfo).
	QueryRecords(ctx context.Context, deviceSn string, q domain.RecordQuery) ([]domain.DeviceRecord, error)
	PTZDriver // PTZ (4.5.2), see ptz.go
}

// SetGB28181 wires the GB/T 28181 driver (it also needs the App, so it is set after New).
func (a *App) SetGB28181(d GB28181) { a.gb = d }

// SIPPassword returns the SIP password issued for a GB/T 28181 device (4.4.1.1 loginPwd).
func (a *App) SIPPassword(ctx context.Context, deviceSn string) (string, error) {
	d, err := a.store.Device(ctx, deviceSn)
	if errors.Is(err, domain.ErrNotFound) || (err == nil && d.Protocol != domain.ProtocolGB28181) {
		return "", domain.ErrNotFound
	}
	if err != nil {
		return "", err
	}
	return d.LoginPwd, nil
}

// Registrations lists the unexpired GB/T 28181 registrations, for a driver restoring its
// sessions after a restart.
func (a *App) Registrations(ctx context.Context) ([]domain.Registration, error) {
	return a.store.Registrations(ctx, a.now())
}

// DeviceOffline marks a device and its channels offline, pushing msgType 2 for each that
// was online. reason is logged.
func (a *App) DeviceOffline(ctx context.Context, deviceSn, reason string) error {
	a.registrations.flushMu.Lock()
	defer a.registrations.flushMu.Unlock()
	a.registrations.forgetPendingOnline(deviceSn)
	err := a.store.UpdateDevice(ctx, deviceSn, func(d *domain.Device) ([]domain.Event, error) {
		var events []domain.Event
		if d.Online != domain.Offline {
			d.Online = domain.Offline
			events = append(events, a.onlineEvent(d, nil, domain.Offline))
		}
		for i := range d.Channels {
			if ch := &d.Channels[i]; ch.Online != domain.Offline {
				ch.Online = domain.Offline
				events = append(events, a.onlineEvent(d, ch, domain.Offline))
			}
		}
		return events, nil
	})
	if err == nil {
		a.log.Info("device offline", "deviceSn", deviceSn, "reason", reason)
	}
	return a.southErr(err)
}

// ApplyCatalog updates a device's channels from its catalog: names and online states of
// known channels, new channels added. Each status change pushes msgType 2 and each
// addition or rename msgType 8.
func (a *App) ApplyCatalog(ctx context.Context, deviceSn string, items []domain.CatalogChannel) error {
	err := a.store.UpdateDevice(ctx, deviceSn, func(d *domain.Device) ([]domain.Event, error) {
		index := make(map[string]int, len(d.Channels))
		for i, c := range d.Channels {
			index[c.ChannelSn] = i
		}
		var events []domain.Event
		for _, it := range items {
			if it.ChannelSn == d.DeviceSn {
				continue // an IPC lists itself: its status is the device's
			}
			status := domain.Offline
			if it.Online {
				status = domain.Online
			}
			i, known := index[it.ChannelSn]
			if !known {
				if !domain.ValidGBCode(it.ChannelSn) {
					continue
				}
				next := 0
				for _, c := range d.Channels {
					next = max(next, c.ChannelID+1)
				}
				d.Channels = append(d.Channels, domain.Channel{ChannelSn: it.ChannelSn, ChannelID: next, Name: channelName(it.Name, next)})
				i = len(d.Channels) - 1
				index[it.ChannelSn] = i
				events = append(events, a.channelEvent(d, &d.Channels[i], "add"))
			} else if it.Name != "" && it.Name != d.Channels[i].Name {
				d.Channels[i].Name = it.Name
				events = append(events, a.channelEvent(d, &d.Channels[i], "update"))
			}
			if ch := &d.Channels[i]; ch.Online != status {
				ch.Online = status
				events = append(events, a.onlineEvent(d, ch, status))
			}
		}
		return events, nil
	})
	return a.southErr(err)
}

func channelName(name string, index int) string {
	if name == "" {
		return fmt.Sprintf("Channel %d", index+1)
	}
	return name
}

// ApplyDeviceInfo stores what a device says about itself (4.4.1.3 firmwareVersion etc.).
func (a *App) ApplyDeviceInfo(ctx context.Context, deviceSn string, info domain.DeviceInfo) error {
	err := a.store.UpdateDevice(ctx, deviceSn, func(d *domain.Device) ([]domain.Event, error) {
		d.Manufacturer, d.Model, d.Firmware = info.Manufacturer, info.Model, info.Firmware
		return nil, nil
	})
	return a.southErr(err)
}

// DeviceAlarm pushes a device alarm as msgType 1 (5.4.3).
func (a *App) DeviceAlarm(ctx context.Context, al domain.Alarm) error {
	d, err := a.store.Device(ctx, al.DeviceSn)
	if err != nil {
		return a.southErr(err)
	}
	msg := domain.AlarmMsg{
		AlarmType: fmt.Sprint(al.AlarmType), DetectTime: domain.Millis(al.Time), DeviceSn: d.DeviceSn,
		AlarmMsgContent: al.Description, AlarmAction: al.Action, AlarmID: al.AlarmID,
	}
	for _, c := range d.Channels {
		if c.ChannelSn != "" && c.ChannelSn == al.ChannelSn {
			id := c.ChannelID
			msg.ChannelID, msg.ChannelSn = &id, c.ChannelSn
		}
	}
	if err := a.store.Publish(ctx, domain.Event{AppID: d.AppID, MsgType: domain.MsgAlarm, Data: msg}); err != nil {
		return err
	}
	a.pushed()
	// Cloud recordings around the alarm become alarm recordings (recordType 2).
	target := al.ChannelSn
	if target == "" || target == d.DeviceSn {
		target = d.DeviceSn
		if len(d.Channels) == 1 && d.Type != domain.DeviceNVR {
			target = d.Channels[0].ChannelSn
		}
	}
	at := al.Time
	if at.IsZero() {
		at = a.now()
	}
	if err := a.store.MarkAlarm(ctx, target, at, al.AlarmType); err != nil {
		a.log.Warn("alarm not marked on recordings", "camera", target, "err", err)
	}
	return nil
}

func (a *App) onlineEvent(d *domain.Device, ch *domain.Channel, status domain.OnlineStatus) domain.Event {
	msg := domain.OnlineMsg{OnlineType: 0, DetectTime: domain.Millis(a.now()), DeviceSn: d.DeviceSn}
	if status == domain.Online {
		msg.OnlineType = 1
	}
	if ch != nil {
		id := ch.ChannelID
		msg.ChannelID, msg.ChannelSn = &id, ch.ChannelSn
	}
	return domain.Event{AppID: d.AppID, MsgType: domain.MsgOnline, Data: msg}
}

func (a *App) channelEvent(d *domain.Device, ch *domain.Channel, change string) domain.Event {
	return domain.Event{AppID: d.AppID, MsgType: domain.MsgChannelChange, Data: domain.ChannelChangeMsg{
		ChangeType: change, DetectTime: domain.Millis(a.now()), DeviceSn: d.DeviceSn,
		ChannelSn: ch.ChannelSn, ChannelID: ch.ChannelID, ChannelName: ch.Name,
	}}
}

// southErr wakes the push dispatcher after a change; drivers see domain.ErrNotFound for
// devices vionet does not know.
func (a *App) southErr(err error) error {
	if err == nil {
		a.pushed()
	}
	return err
}

// RetrieveChannels asks a device for its channels now (4.4.1.15) and returns them.
func (a *App) RetrieveChannels(ctx context.Context, appID, deviceSn string) ([]domain.Channel, error) {
	d, err := a.Device(ctx, appID, deviceSn)
	if err != nil {
		return nil, err
	}
	if d.Protocol != domain.ProtocolGB28181 || a.gb == nil {
		return nil, domain.InvalidField("deviceSn", "channel retrieval is not supported for protocol %d", d.Protocol)
	}
	if err := online(d); err != nil {
		return nil, err
	}
	qctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := a.gb.QueryCatalog(qctx, deviceSn); err != nil {
		return nil, domain.Errorf(domain.CodeUnavailable, "device %s did not answer the catalog query: %v", deviceSn, err)
	}
	d, err = a.Device(ctx, appID, deviceSn)
	if err != nil {
		return nil, err
	}
	return d.Channels, nil
}

// online refuses, with 000008 at once, a request that must reach an offline device.
func online(d *domain.Device) error {
	if d.Online != domain.Online {
		return domain.Errorf(domain.CodeValidation, "device %s is offline", d.DeviceSn)
	}
	return nil
}

// deviceErr turns a driver failure into the coded error a tenant sees: coded errors pass
// through, anything else (no answer, transport failure) is 000009 naming the device.
func deviceErr(sn string, err error) error {
	if err == nil {
		return nil
	}
	var coded *domain.Error
	if errors.As(err, &coded) {
		return err
	}
	return domain.Errorf(domain.CodeUnavailable, "device %s: %v", sn, err)
}
