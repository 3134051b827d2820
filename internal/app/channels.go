package app

import (
	"context"

	"github.com/vionet/vionet/internal/domain"
)

// ChannelRef is how requests that act on one camera name it: deviceSn (a device or channel
// code) and, for multi-channel devices, an optional channelId (number from 0).
type ChannelRef struct {
	DeviceSn  string
	ChannelID *int
}

// resolveChannel finds the camera a request means and the GB/T 28181 code that addresses it:
// a channel code in deviceSn is that channel; an NVR needs a channel (its code, or
// channelId); an IPC is its own camera, or its only channel when it reports its lens as one.
// feature names the capability in the error for devices whose protocol lacks it.
func (a *App) resolveChannel(ctx context.Context, appID string, ref ChannelRef, feature string) (*domain.Device, string, error) {
	d, ch, err := a.Target(ctx, appID, ref.DeviceSn)
	if err != nil {
		return nil, "", err
	}
	if d.Protocol != domain.ProtocolGB28181 || a.gb == nil {
		return nil, "", domain.InvalidField("deviceSn", "%s is not supported for protocol %d", feature, d.Protocol)
	}
	if ch == nil && ref.ChannelID != nil && d.Type == domain.DeviceNVR {
		for i := range d.Channels {
			if d.Channels[i].ChannelID == *ref.ChannelID {
				ch = &d.Channels[i]
			}
		}
		if ch == nil {
			return nil, "", domain.InvalidField("channelId", "device %s has no channel %d", d.DeviceSn, *ref.ChannelID)
		}
	}
	switch {
	case ch != nil:
		return d, ch.ChannelSn, nil
	case d.Type == domain.DeviceNVR:
		return nil, "", domain.InvalidField("deviceSn", "%s is an NVR: give the code of one of its channels (or channelId)", d.DeviceSn)
	case len(d.Channels) == 1: // an IPC that reports its lens as a channel
		return d, d.Channels[0].ChannelSn, nil
	}
	return d, d.DeviceSn, nil
}
