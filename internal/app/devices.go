package app

import (
	"context"
	"errors"
	"fmt"
	"unicode"
	"unicode/utf8"

	"github.com/vionet/vionet/internal/domain"
)

// AddDeviceInput is 4.4.1.1's request, already type-checked by the northbound decoder.
type AddDeviceInput struct {
	Protocol     int
	Name         string
	Type         int // 1 IPC, 2 NVR; required for protocol 1
	ChannelCount int // required for NVRs
	IsIntranet   bool
	SupportsV6   bool
	PlatformID   string
	Mac          string
}

// maxChannelsPerNVR bounds channelCount (the largest NVRs on the market have 256 inputs).
const maxChannelsPerNVR = 256

// AddDevice registers a device for a tenant (4.4.1.1). For GB/T 28181 it issues the device
// code, channel codes, SIP login name and a strong password.
func (a *App) AddDevice(ctx context.Context, appID string, in AddDeviceInput) (*domain.Device, error) {
	if domain.Protocol(in.Protocol) != domain.ProtocolGB28181 {
		return nil, domain.InvalidField("protocol", "protocol %d not supported yet", in.Protocol)
	}
	name, err := deviceName("deviceName", in.Name)
	if err != nil {
		return nil, err
	}
	if in.PlatformID != "" && in.PlatformID != a.platform.ID {
		return nil, domain.InvalidField("platformId", "unknown platform %q (this node is %q)", in.PlatformID, a.platform.ID)
	}
	d := &domain.Device{
		AppID: appID, Protocol: domain.ProtocolGB28181, Name: name, Type: domain.DeviceType(in.Type),
		IsIntranet: in.IsIntranet, SupportsV6: in.SupportsV6, PlatformID: a.platform.ID, Mac: in.Mac,
		LoginPwd: strongPassword(), Token: randomHex(16),
	}
	typeDigits := domain.GBTypeIPC
	switch d.Type {
	case domain.DeviceIPC:
	case domain.DeviceNVR:
		typeDigits = domain.GBTypeNVR
		if in.ChannelCount < 1 || in.ChannelCount > maxChannelsPerNVR {
			return nil, domain.InvalidField("channelCount", "must be 1-%d for an NVR (deviceType=2)", maxChannelsPerNVR)
		}
		d.ChannelCount = in.ChannelCount
	case 0:
		return nil, domain.InvalidField("deviceType", "is required for protocol=1 (1 IPC, 2 NVR)")
	default:
		return nil, domain.InvalidField("deviceType", "must be 1 (IPC) or 2 (NVR), got %d", in.Type)
	}
	// Codes are random within the domain; retry the rare collision with an existing code.
	for attempt := 0; ; attempt++ {
		if d.DeviceSn, err = domain.NewGBCode(a.platform.SIPDomain, typeDigits); err != nil {
			return nil, err
		}
		d.LoginName = d.DeviceSn
		if d.Channels, err = a.newGBChannels(d.ChannelCount, 0); err != nil {
			return nil, err
		}
		err = a.store.CreateDevice(ctx, d, a.bindEvent(d, domain.Bound))
		if !errors.Is(err, domain.ErrConflict) || attempt == 5 {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("add device: %w", err)
	}
	a.pushed()
	return d, nil
}

// newGBChannels makes n channels with fresh GB camera codes, named after their position.
func (a *App) newGBChannels(n, firstIndex int) ([]domain.Channel, error) {
	chans := make([]domain.Channel, n)
	seen := make(map[string]bool, n)
	for i := range chans {
		for {
			code, err := domain.NewGBCode(a.platform.SIPDomain, domain.GBTypeCamera)
			if err != nil {
				return nil, err
			}
			if !seen[code] {
				seen[code] = true
				chans[i] = domain.Channel{ChannelSn: code, ChannelID: firstIndex + i, Name: fmt.Sprintf("Channel %d", firstIndex+i+1)}
				break
			}
		}
	}
	return chans, nil
}

func (a *App) bindEvent(d *domain.Device, bindType int) domain.Event {
	return domain.Event{AppID: d.AppID, MsgType: domain.MsgBind, Data: domain.BindMsg{
		BindType: bindType, DetectTime: domain.Millis(a.now()), DeviceSn: d.DeviceSn, Mac: d.Mac,
	}}
}

// Device returns a tenant's device by deviceSn (4.4.1.3). Channel codes are not accepted.
func (a *App) Device(ctx context.Context, appID, deviceSn string) (*domain.Device, error) {
	d, err := a.store.Device(ctx, deviceSn)
	if errors.Is(err, domain.ErrNotFound) {
		if _, cerr := a.store.ChannelOwner(ctx, deviceSn); cerr == nil {
			return nil, domain.InvalidField("deviceSn", "%s is a channel code; query its device", deviceSn)
		}
		return nil, domain.InvalidField("deviceSn", "device %s does not exist", deviceSn)
	}
	if err != nil {
		return nil, err
	}
	if d.AppID != appID {
		return nil, domain.Errorf(domain.CodeForbidden, "device %s belongs to another tenant", deviceSn)
	}
	return d, nil
}

// Target resolves the deviceSn field of endpoints that also accept a GB channel code there
// (4.2): it returns the device and, for a channel code, the channel.
func (a *App) Target(ctx context.Context, appID, sn string) (*domain.Device, *domain.Channel, error) {
	d, err := a.store.Device(ctx, sn)
	var ch *domain.Channel
	if errors.Is(err, domain.ErrNotFound) {
		d, err = a.store.ChannelOwner(ctx, sn)
		if errors.Is(err, domain.ErrNotFound) {
			return nil, nil, domain.InvalidField("deviceSn", "device or channel %s does not exist", sn)
		}
		if err == nil {
			for i := range d.Channels {
				if d.Channels[i].ChannelSn == sn {
					ch = &d.Channels[i]
				}
			}
		}
	}
	if err != nil {
		return nil, nil, err
	}
	if d.AppID != appID {
		return nil, nil, domain.Errorf(domain.CodeForbidden, "device %s belongs to another tenant", sn)
	}
	return d, ch, nil
}

// Page is a page request after defaults and bounds (4.4.1.4: default 1/10, max 100).
type Page struct{ Page, PageSize int }

// MaxPageSize is the largest pageSize the spec allows on list endpoints.
const MaxPageSize = 100

// Devices lists a page of a tenant's devices (4.4.1.4).
func (a *App) Devices(ctx context.Context, appID string, p Page) ([]*domain.Device, int, error) {
	return a.store.Devices(ctx, appID, (p.Page-1)*p.PageSize, p.PageSize)
}

// DeleteDeviceInput is 4.4.1.2's request.
type DeleteDeviceInput struct {
	DeleteType int
	DeviceSn   string
	ChannelSn  string
	ChannelID  *int
	Force      bool
}

// DeleteDevice removes a device (deleteType 1) or one of its channels (deleteType 2).
func (a *App) DeleteDevice(ctx context.Context, appID string, in DeleteDeviceInput) error {
	d, err := a.Device(ctx, appID, in.DeviceSn)
	if err != nil {
		return err
	}
	switch in.DeleteType {
	case 1:
		targets := append([]string{d.DeviceSn}, channelCodes(d)...)
		if err := a.refuseOpenServices(ctx, d, in.Force, targets...); err != nil {
			return err
		}
		if err := a.dropRecordings(ctx, targets...); err != nil {
			return err
		}
		if err := a.store.DeleteDevice(ctx, d.ID, a.bindEvent(d, domain.Unbound)); err != nil {
			return fmt.Errorf("delete device: %w", err)
		}
		a.pushed()
		a.servicesChanged() // its services went with it
		return nil
	case 2:
		ch, err := channelToDelete(d, in)
		if err != nil {
			return err
		}
		if err := a.refuseOpenServices(ctx, d, in.Force, ch.ChannelSn); err != nil {
			return err
		}
		if err := a.dropRecordings(ctx, ch.ChannelSn); err != nil {
			return err
		}
		if err := a.store.DeleteChannel(ctx, d.ID, ch.ID, a.channelEvent(d, ch, "delete")); err != nil {
			return fmt.Errorf("delete channel: %w", err)
		}
		a.pushed()
		a.servicesChanged()
		return nil
	default:
		return domain.InvalidField("deleteType", "must be 1 (device) or 2 (channel), got %d", in.DeleteType)
	}
}

func channelToDelete(d *domain.Device, in DeleteDeviceInput) (*domain.Channel, error) {
	if d.Protocol == domain.ProtocolGB28181 {
		if d.Type != domain.DeviceNVR {
			return nil, domain.Errorf(domain.CodeValidation, "device %s is an IPC; only NVR channels can be deleted", d.DeviceSn)
		}
		if in.ChannelSn == "" {
			return nil, domain.MissingField("channelSn")
		}
		for i := range d.Channels {
			if d.Channels[i].ChannelSn == in.ChannelSn {
				return &d.Channels[i], nil
			}
		}
		return nil, domain.InvalidField("channelSn", "channel %s is not a channel of %s", in.ChannelSn, d.DeviceSn)
	}
	if in.ChannelID == nil {
		return nil, domain.MissingField("channelId")
	}
	for i := range d.Channels {
		if d.Channels[i].ChannelID == *in.ChannelID {
			return &d.Channels[i], nil
		}
	}
	return nil, domain.InvalidField("channelId", "device %s has no channel %d", d.DeviceSn, *in.ChannelID)
}

// maxChannelsPerCall is 4.4.1.11's limit (最多10个).
const maxChannelsPerCall = 10

// NewChannel is one element of 4.4.1.11's channels.
type NewChannel struct {
	Name string
	Mac  string
}

// AddChannels appends channels to a GB/T 28181 NVR (4.4.1.11) and returns them with codes.
func (a *App) AddChannels(ctx context.Context, appID, deviceSn string, in []NewChannel) ([]domain.Channel, error) {
	if len(in) == 0 {
		return nil, domain.InvalidField("channels", "must list at least one channel")
	}
	if len(in) > maxChannelsPerCall {
		return nil, domain.InvalidField("channels", "at most %d per call, got %d", maxChannelsPerCall, len(in))
	}
	d, err := a.Device(ctx, appID, deviceSn)
	if err != nil {
		return nil, err
	}
	if d.Type != domain.DeviceNVR {
		return nil, domain.Errorf(domain.CodeValidation, "device %s is not an NVR; channels can only be added to an NVR", deviceSn)
	}
	if len(d.Channels)+len(in) > maxChannelsPerNVR {
		return nil, domain.Errorf(domain.CodeValidation, "an NVR has at most %d channels", maxChannelsPerNVR)
	}
	next := 0
	for _, c := range d.Channels {
		next = max(next, c.ChannelID+1)
	}
	for attempt := 0; ; attempt++ {
		chans, err := a.newGBChannels(len(in), next)
		if err != nil {
			return nil, err
		}
		for i, c := range in {
			if c.Name == "" {
				continue
			}
			if chans[i].Name, err = deviceName(fmt.Sprintf("channels[%d].channelName", i), c.Name); err != nil {
				return nil, err
			}
		}
		err = a.store.AddChannels(ctx, d.ID, chans)
		if err == nil {
			return chans, nil
		}
		if !errors.Is(err, domain.ErrConflict) || attempt == 5 {
			return nil, fmt.Errorf("add channels: %w", err)
		}
	}
}

// Rename sets the name of a device, of a GB channel given by its code in deviceSn, or of a
// numbered channel (4.4.2.19).
func (a *App) Rename(ctx context.Context, appID, sn, name string, channelID *int) error {
	name, err := deviceName("deviceName", name)
	if err != nil {
		return err
	}
	if name == "" {
		return domain.MissingField("deviceName")
	}
	d, ch, err := a.Target(ctx, appID, sn)
	if err != nil {
		return err
	}
	if ch == nil && channelID != nil {
		for i := range d.Channels {
			if d.Channels[i].ChannelID == *channelID {
				ch = &d.Channels[i]
			}
		}
		if ch == nil {
			return domain.InvalidField("channelId", "device %s has no channel %d", sn, *channelID)
		}
	}
	if ch != nil {
		return a.store.RenameChannel(ctx, ch.ID, name)
	}
	return a.store.RenameDevice(ctx, d.ID, name)
}

// deviceName applies 4.4.1.1/4.4.1.11's rule: at most 40 characters of letters (Chinese
// included), digits, spaces and brackets, not only symbols. Empty means "use the default".
func deviceName(field, name string) (string, error) {
	if name == "" {
		return domain.DefaultDeviceName, nil
	}
	if utf8.RuneCountInString(name) > domain.MaxDeviceNameLen {
		return "", domain.InvalidField(field, "at most %d characters", domain.MaxDeviceNameLen)
	}
	meaningful := false
	for _, r := range name {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			meaningful = true
		case r == ' ' || r == '(' || r == ')' || r == '（' || r == '）' || r == '-' || r == '_' || r == '.':
		default:
			return "", domain.InvalidField(field, "character %q not allowed (letters, digits, spaces, brackets, - _ .)", r)
		}
	}
	if !meaningful {
		return "", domain.InvalidField(field, "must not consist of symbols only")
	}
	return name, nil
}

// DeviceAddress returns where a device last connected from (4.4.1.9).
func (a *App) DeviceAddress(ctx context.Context, appID, sn string) (ip, port string, err error) {
	d, _, err := a.Target(ctx, appID, sn)
	if err != nil {
		return "", "", err
	}
	if d.RemoteIP == "" {
		return "", "", domain.Errorf(domain.CodeValidation, "device %s has not connected yet; no address known", d.DeviceSn)
	}
	return d.RemoteIP, d.RemotePort, nil
}

func channelCodes(d *domain.Device) []string {
	out := make([]string, 0, len(d.Channels))
	for _, c := range d.Channels {
		out = append(out, c.ChannelSn)
	}
	return out
}

// refuseOpenServices implements 4.4.1.2's force: without force=1, a camera with open cloud
// services is not deleted (force closes them: they go with the device).
func (a *App) refuseOpenServices(ctx context.Context, d *domain.Device, force bool, targets ...string) error {
	if force {
		return nil
	}
	for _, t := range targets {
		open, err := a.store.DeviceServices(ctx, d.ID, t)
		if err != nil {
			return err
		}
		if len(open) > 0 {
			return domain.Errorf(domain.CodeValidation, "%s has open cloud services (4.6.1.2): close them first, or delete with force=1", t)
		}
	}
	return nil
}
