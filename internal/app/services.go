package app

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/vionet/vionet/internal/domain"
)

// Service plans (4.6.1): tenants open services (full-day cloud recording, picture storage,
// live access licence) on their cameras within what the operator granted them (orders).

// Limits of 4.6.1 and appendix 5.1.
const (
	MaxServiceOps       = 100   // 4.6.1.3 oprList 最多100条
	MaxCloudDays        = 3650  // 10002010001
	MaxFrameInterval    = 86400 // 10002010005, seconds
	MaxBitrateCap       = 100   // 10002010006, Mbit/s
	OprOpen             = 1     // oprType "01"
	OprClose            = 2     // oprType "02"
	PackageNormal       = 1     // packageType 普通存储套餐
	PackageLargeGranule = 2     // packageType 大颗粒资费套餐
)

// ServiceInput is 4.6.1.1's request, and one oprList item of 4.6.1.3 (without PackageType).
type ServiceInput struct {
	ChannelRef
	OprType     int // OprOpen or OprClose ("01"/"02", also 1/2)
	PackageType int // 0 for the default, PackageNormal
	// Infos is serviceInfos (nil when absent): for an open, the service type and its
	// attributes; for a close, the types to close (none: every service of the camera).
	Infos []domain.ServiceAttr
}

// serviceCodes are the servCodes of appendix 5.1 with their value ranges and the service
// types they apply to.
var serviceCodes = map[string]struct {
	name    string
	lo, hi  int
	applies []int
}{
	domain.ServType:          {"service type", 1, 4, nil},
	domain.ServCloudDays:     {"cloud storage days", 1, MaxCloudDays, []int{domain.ServiceTypeFullDayRecording, domain.ServiceTypePictureStorage}},
	domain.ServFrameInterval: {"frame interval (s)", 1, MaxFrameInterval, []int{domain.ServiceTypePictureStorage}},
	domain.ServBitrateCap:    {"bitrate (Mbit/s)", 1, MaxBitrateCap, []int{domain.ServiceTypeFullDayRecording, domain.ServiceTypeLiveLicence}},
}

// validServiceType reports whether t is a service type of 5.1 (1, 3 or 4).
func validServiceType(t int) bool {
	return t == domain.ServiceTypeFullDayRecording || t == domain.ServiceTypePictureStorage || t == domain.ServiceTypeLiveLicence
}

// SetServices opens or closes services on one camera (4.6.1.1).
func (a *App) SetServices(ctx context.Context, appID string, in ServiceInput) error {
	c, err := a.serviceChange(ctx, appID, in, "")
	if err != nil {
		return err
	}
	return a.applyServiceChanges(ctx, appID, []domain.ServiceChange{c}, func(int) string { return "" })
}

// SetServicesBatch opens or closes services on up to 100 cameras (4.6.1.3): every item is
// checked first (an error names oprList[i]), then all are applied in order in one
// transaction, so either every item takes effect or none does.
func (a *App) SetServicesBatch(ctx context.Context, appID string, ops []ServiceInput) error {
	switch {
	case len(ops) == 0:
		return domain.InvalidField("oprList", "must list at least one operation")
	case len(ops) > MaxServiceOps:
		return domain.InvalidField("oprList", "at most %d operations per call, got %d", MaxServiceOps, len(ops))
	}
	changes := make([]domain.ServiceChange, len(ops))
	for i, in := range ops {
		in.PackageType = 0 // not part of 4.6.1.3
		c, err := a.serviceChange(ctx, appID, in, fmt.Sprintf("oprList[%d].", i))
		if err != nil {
			return err
		}
		changes[i] = c
	}
	return a.applyServiceChanges(ctx, appID, changes, func(i int) string { return fmt.Sprintf("oprList[%d]: ", i) })
}

func (a *App) applyServiceChanges(ctx context.Context, appID string, changes []domain.ServiceChange, where func(i int) string) error {
	err := a.store.ApplyServiceChanges(ctx, appID, changes, func(i int, o domain.ServiceOrder) error {
		if o.Used < o.Total {
			return nil
		}
		return domain.Errorf(domain.CodeValidation, "%sno available order for service type %d (total %d, used %d): ask the operator to grant more",
			where(i), o.Type, o.Total, o.Used)
	})
	if err != nil {
		var coded *domain.Error
		if errors.As(err, &coded) {
			return err
		}
		return fmt.Errorf("services: %w", err)
	}
	a.servicesChanged()
	return nil
}

// serviceChange validates one camera's request and resolves its camera; prefix ("" or
// "oprList[i].") goes before the field names in errors.
func (a *App) serviceChange(ctx context.Context, appID string, in ServiceInput, prefix string) (domain.ServiceChange, error) {
	c, err := checkServiceInput(in, prefix)
	if err != nil {
		return c, err
	}
	d, target, err := a.resolveChannel(ctx, appID, in.ChannelRef, "service plans")
	if err != nil {
		return c, prefixed(err, prefix)
	}
	c.Service.AppID, c.Service.DeviceID, c.Service.DeviceSn, c.Service.Target = appID, d.ID, d.DeviceSn, target
	if d.Type != domain.DeviceNVR && len(d.Channels) == 1 && target == d.Channels[0].ChannelSn {
		c.Alias = d.DeviceSn // services opened before the IPC reported its lens as a channel
	}
	return c, nil
}

// checkServiceInput validates a request's fields and builds its change (without the camera).
func checkServiceInput(in ServiceInput, prefix string) (domain.ServiceChange, error) {
	var c domain.ServiceChange
	switch in.OprType {
	case OprOpen:
		c.Open = true
	case OprClose:
	default:
		return c, domain.InvalidField(prefix+"oprType", "must be 01 (open) or 02 (close), got %d", in.OprType)
	}
	switch in.PackageType {
	case 0:
		in.PackageType = PackageNormal
	case PackageNormal, PackageLargeGranule:
	default:
		return c, domain.InvalidField(prefix+"packageType", "must be 1 (普通存储套餐) or 2 (大颗粒资费套餐), got %d", in.PackageType)
	}
	values, types, err := parseServiceInfos(in.Infos, prefix)
	if err != nil {
		return c, err
	}
	if c.Open {
		if c.Service, err = openService(values, types, in.Infos, prefix); err != nil {
			return c, err
		}
		c.Service.PackageType = in.PackageType
	} else {
		if len(in.Infos) > 0 && len(types) == 0 {
			return c, domain.InvalidField(prefix+"serviceInfos", "name the service type to close (servCode %s), or leave serviceInfos out to close every service", domain.ServType)
		}
		for _, t := range types {
			if !slices.Contains(c.Close, t.value) {
				c.Close = append(c.Close, t.value)
			}
		}
	}
	return c, nil
}

// serviceValue is one parsed serviceInfos element: its value and its index in the list.
type serviceValue struct {
	value, index int
}

// parseServiceInfos checks every element's code and value; it returns the attributes by
// code and the service types (10002010004, which may repeat for a close) in order.
func parseServiceInfos(infos []domain.ServiceAttr, prefix string) (map[string]serviceValue, []serviceValue, error) {
	values := map[string]serviceValue{}
	var types []serviceValue
	for j, at := range infos {
		field := fmt.Sprintf("%sserviceInfos[%d].", prefix, j)
		code := strings.TrimSpace(at.Code)
		spec, ok := serviceCodes[code]
		if !ok {
			return nil, nil, domain.InvalidField(field+"servCode", "unknown service attribute %q (appendix 5.1: %s days, %s type, %s frame interval, %s bitrate)",
				at.Code, domain.ServCloudDays, domain.ServType, domain.ServFrameInterval, domain.ServBitrateCap)
		}
		n, err := strconv.Atoi(strings.TrimSpace(at.Value))
		if err != nil {
			return nil, nil, domain.InvalidField(field+"servValue", "%s (%s) must be a whole number, got %q", spec.name, code, at.Value)
		}
		if code == domain.ServType {
			if !validServiceType(n) {
				return nil, nil, domain.InvalidField(field+"servValue", "service type must be 1 (全天云存储), 3 (图片云储存) or 4 (实时视频接入许可), got %q", at.Value)
			}
			types = append(types, serviceValue{n, j})
			continue
		}
		if n < spec.lo || n > spec.hi {
			return nil, nil, domain.InvalidField(field+"servValue", "%s (%s) must be %d-%d, got %q", spec.name, code, spec.lo, spec.hi, at.Value)
		}
		if prev, dup := values[code]; dup {
			return nil, nil, domain.InvalidField(field+"servCode", "%s is given twice (also serviceInfos[%d])", code, prev.index)
		}
		values[code] = serviceValue{n, j}
	}
	return values, types, nil
}

// openService builds the service an open asks for: exactly one service type, the attributes
// that type needs, none that do not apply to it.
func openService(values map[string]serviceValue, types []serviceValue, infos []domain.ServiceAttr, prefix string) (domain.DeviceService, error) {
	var sv domain.DeviceService
	switch {
	case len(infos) == 0:
		return sv, domain.InvalidField(prefix+"serviceInfos", "is required to open a service (oprType 01): give the service type (servCode %s)", domain.ServType)
	case len(types) == 0:
		return sv, domain.InvalidField(prefix+"serviceInfos", "must give the service type to open (servCode %s: 1, 3 or 4)", domain.ServType)
	case len(types) > 1:
		return sv, domain.InvalidField(fmt.Sprintf("%sserviceInfos[%d].servCode", prefix, types[1].index),
			"one service type per operation (also serviceInfos[%d]); open others in separate calls or with 4.6.1.3", types[0].index)
	}
	sv.Type = types[0].value
	codes := slices.Collect(maps.Keys(values))
	slices.SortFunc(codes, func(x, y string) int { return values[x].index - values[y].index })
	for _, code := range codes {
		if v := values[code]; !slices.Contains(serviceCodes[code].applies, sv.Type) {
			return sv, domain.InvalidField(fmt.Sprintf("%sserviceInfos[%d].servCode", prefix, v.index),
				"%s (%s) does not apply to service type %d", serviceCodes[code].name, code, sv.Type)
		}
	}
	need := map[int]string{domain.ServiceTypeFullDayRecording: domain.ServCloudDays, domain.ServiceTypePictureStorage: domain.ServFrameInterval}
	if code, ok := need[sv.Type]; ok {
		if _, given := values[code]; !given {
			return sv, domain.InvalidField(prefix+"serviceInfos", "service type %d needs the %s (servCode %s)", sv.Type, serviceCodes[code].name, code)
		}
	}
	sv.Attrs = domain.ServiceAttrs(sv.Type, values[domain.ServCloudDays].value, values[domain.ServFrameInterval].value, values[domain.ServBitrateCap].value)
	return sv, nil
}

// prefixed puts prefix ("oprList[i].") before the field an error names: a 000003 message
// starts with the field; other codes get "oprList[i]: ".
func prefixed(err error, prefix string) error {
	var e *domain.Error
	if prefix == "" || !errors.As(err, &e) {
		return err
	}
	if e.Code == domain.CodeInvalidParam {
		return &domain.Error{Code: e.Code, Msg: prefix + e.Msg}
	}
	return &domain.Error{Code: e.Code, Msg: strings.TrimSuffix(prefix, ".") + ": " + e.Msg}
}

// DeviceServices lists the services open on a camera (4.6.1.2), by type.
func (a *App) DeviceServices(ctx context.Context, appID string, ref ChannelRef) ([]domain.DeviceService, error) {
	d, target, err := a.resolveChannel(ctx, appID, ref, "service plans")
	if err != nil {
		return nil, err
	}
	return a.store.DeviceServices(ctx, d.ID, target)
}

// ServiceOpen tells whether a camera (its device id and code) has a service type open. For a
// service that was open once and is closed now it returns the service as it last was and
// false; for one never opened (or gone with its camera), the zero DeviceService and false.
func (a *App) ServiceOpen(ctx context.Context, deviceID int64, target string, typ int) (domain.DeviceService, bool, error) {
	sv, open, err := a.store.DeviceService(ctx, deviceID, target, typ)
	if errors.Is(err, domain.ErrNotFound) {
		return domain.DeviceService{}, false, nil
	}
	return sv, open, err
}

// RecordingPlans lists every camera of every tenant with a full-day cloud recording service
// open, with its retention days and bitrate cap, for the recorder.
func (a *App) RecordingPlans(ctx context.Context) ([]domain.RecordingPlan, error) {
	return a.store.RecordingPlans(ctx)
}

// OnServicesChanged sets fn to be called after every committed change to services (the
// recorder reloads its plans then). Set it before serving.
func (a *App) OnServicesChanged(fn func()) { a.onServices = fn }

func (a *App) servicesChanged() {
	if a.onServices != nil {
		a.onServices()
	}
}

// ServiceOrders lists a tenant's orders by service type (4.6.1.4), or every tenant's when
// appID is empty (the operator's `vionet order list`).
func (a *App) ServiceOrders(ctx context.Context, appID string) ([]domain.ServiceOrder, error) {
	return a.store.ServiceOrders(ctx, appID)
}

// GrantOrder adds n (negative: removes) to what a tenant may use of a service type, the
// operator's `vionet order grant`. A total below the cameras using the type is refused.
func (a *App) GrantOrder(ctx context.Context, appID string, typ, n int) (domain.ServiceOrder, error) {
	if !validServiceType(typ) {
		return domain.ServiceOrder{}, fmt.Errorf("service type must be 1 (全天云存储), 3 (图片云储存) or 4 (实时视频接入许可), got %d", typ)
	}
	if _, err := a.store.Tenant(ctx, appID); err != nil {
		return domain.ServiceOrder{}, tenantErr(appID, err)
	}
	return a.store.UpdateServiceOrder(ctx, appID, typ, func(o *domain.ServiceOrder) error {
		if o.Total+n < o.Used {
			return fmt.Errorf("cannot take service type %d of %s to %d: %d cameras have it open (close some first)",
				typ, appID, o.Total+n, o.Used)
		}
		o.Total += n
		return nil
	})
}
