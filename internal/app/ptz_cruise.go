package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/vionet/vionet/internal/domain"
)

// CruiseInput is 4.5.2.7/4.5.2.8's request.
type CruiseInput struct {
	PTZHeadRef
	Code     int
	Speed    int
	StayTime int
	Points   []int
}

func (in CruiseInput) validate() error {
	if err := checkRange("cruiseCode", in.Code, 1, MaxCruiseCode); err != nil {
		return err
	}
	if err := checkRange("speed", in.Speed, 1, MaxCruiseValue); err != nil {
		return err
	}
	if err := checkRange("stayTime", in.StayTime, 1, MaxCruiseValue); err != nil {
		return err
	}
	if len(in.Points) == 0 {
		return domain.InvalidField("pointCodes", "must list at least one preset")
	}
	if len(in.Points) > MaxCruisePoints {
		return domain.InvalidField("pointCodes", "at most %d points", MaxCruisePoints)
	}
	for i, p := range in.Points {
		if err := checkRange(fmt.Sprintf("pointCodes[%d]", i), p, 1, MaxPreset); err != nil {
			return err
		}
	}
	return nil
}

// AddCruise creates a cruise route: programmed into the device, then kept by vionet (4.5.2.7).
func (a *App) AddCruise(ctx context.Context, appID string, in CruiseInput) error {
	return a.saveCruise(ctx, appID, in, true)
}

// UpdateCruise replaces an existing route's speed, stay time and points (4.5.2.8); its
// schedule stays.
func (a *App) UpdateCruise(ctx context.Context, appID string, in CruiseInput) error {
	return a.saveCruise(ctx, appID, in, false)
}

func (a *App) saveCruise(ctx context.Context, appID string, in CruiseInput, add bool) error {
	if err := in.validate(); err != nil {
		return err
	}
	d, h, err := a.ptzHead(ctx, appID, in.PTZHeadRef)
	if err != nil {
		return err
	}
	route, err := a.cruiseRoute(ctx, d, h, in.Code)
	if err != nil {
		return err
	}
	switch {
	case add && route != nil:
		return domain.Errorf(domain.CodeValidation, "cruise route %d of %s already exists; modify it with PUT", in.Code, in.DeviceSn)
	case !add && route == nil:
		return domain.InvalidField("cruiseCode", "%s has no cruise route %d", in.DeviceSn, in.Code)
	}
	if err := online(d); err != nil {
		return err
	}
	r := domain.CruiseRoute{Code: in.Code, Speed: in.Speed, StayTime: in.StayTime, Points: in.Points}
	if err := a.gb.PTZProgramCruise(ctx, h, r); err != nil {
		return deviceErr(h.DeviceSn, err)
	}
	if add {
		err = a.store.AddCruiseRoute(ctx, d.ID, h.Target, r)
		if errors.Is(err, domain.ErrConflict) {
			return domain.Errorf(domain.CodeValidation, "cruise route %d of %s already exists; modify it with PUT", in.Code, in.DeviceSn)
		}
	} else {
		err = a.store.UpdateCruiseRoute(ctx, d.ID, h.Target, r)
		if errors.Is(err, domain.ErrNotFound) {
			return domain.InvalidField("cruiseCode", "%s has no cruise route %d", in.DeviceSn, in.Code)
		}
	}
	return err
}

// DeleteCruise deletes a route from the device and from vionet, with its schedule
// (4.5.2.9). The device is told even when vionet has no such route.
func (a *App) DeleteCruise(ctx context.Context, appID string, ref PTZHeadRef, code int) error {
	if err := checkRange("cruiseCode", code, 1, MaxCruiseCode); err != nil {
		return err
	}
	d, h, err := a.ptzOnline(ctx, appID, ref)
	if err != nil {
		return err
	}
	if err := a.gb.PTZDeleteCruise(ctx, h, code); err != nil {
		return deviceErr(h.DeviceSn, err)
	}
	if err := a.store.DeleteCruiseRoute(ctx, d.ID, h.Target, code); err != nil && !errors.Is(err, domain.ErrNotFound) {
		return err
	}
	return nil
}

// CruisePlayInput is 4.5.2.10's request. Schedule nil means none was given (全天: now).
type CruisePlayInput struct {
	PTZHeadRef
	Action   int
	Code     int
	Schedule []domain.CruiseWindow
}

// PlayCruise starts or stops a route now, or stores its weekly schedule for the cruise
// scheduler (4.5.2.10). Starting or stopping now drops the route's schedule.
func (a *App) PlayCruise(ctx context.Context, appID string, in CruisePlayInput) error {
	if err := checkRange("cruiseCode", in.Code, 1, MaxCruiseCode); err != nil {
		return err
	}
	switch in.Action {
	case CruiseActionStart, CruiseActionStop:
	default:
		return domain.InvalidField("action", "must be 0 (start) or 1 (stop), got %d", in.Action)
	}
	for i, w := range in.Schedule {
		if err := validWindow(fmt.Sprintf("schedule[%d].", i), w); err != nil {
			return err
		}
	}
	d, h, err := a.ptzHead(ctx, appID, in.PTZHeadRef)
	if err != nil {
		return err
	}
	route, err := a.cruiseRoute(ctx, d, h, in.Code)
	if err != nil {
		return err
	}
	if in.Action == CruiseActionStart && len(in.Schedule) > 0 {
		if route == nil {
			return domain.InvalidField("cruiseCode", "%s has no cruise route %d to schedule (create it with 4.5.2.7)", in.DeviceSn, in.Code)
		}
		return a.setSchedule(ctx, d, h, in.Code, in.Schedule)
	}
	if err := online(d); err != nil {
		return err
	}
	if in.Action == CruiseActionStart {
		err = a.gb.PTZStartCruise(ctx, h, in.Code)
	} else {
		err = a.gb.PTZStop(ctx, h, false)
	}
	if err != nil {
		return deviceErr(h.DeviceSn, err)
	}
	if route != nil && len(route.Schedule) > 0 {
		return a.setSchedule(ctx, d, h, in.Code, nil)
	}
	return nil
}

func (a *App) setSchedule(ctx context.Context, d *domain.Device, h domain.PTZHead, code int, ws []domain.CruiseWindow) error {
	err := a.store.SetCruiseSchedule(ctx, d.ID, h.Target, code, ws)
	if errors.Is(err, domain.ErrNotFound) {
		return domain.InvalidField("cruiseCode", "%s has no cruise route %d", d.DeviceSn, code)
	}
	return err
}

func validWindow(prefix string, w domain.CruiseWindow) error {
	if err := checkRange(prefix+"weekDay", w.WeekDay, 1, 7); err != nil {
		return err
	}
	if err := checkRange(prefix+"startTime", w.Start, 0, secondsPerDay); err != nil {
		return err
	}
	if err := checkRange(prefix+"endTime", w.End, 0, secondsPerDay); err != nil {
		return err
	}
	if w.End <= w.Start {
		return domain.InvalidField(prefix+"endTime", "must be after startTime (split a window that crosses midnight in two)")
	}
	return nil
}

// Cruises lists a head's route numbers (4.5.2.11).
func (a *App) Cruises(ctx context.Context, appID string, ref PTZHeadRef) ([]int, error) {
	routes, err := a.CruiseDetails(ctx, appID, ref, nil)
	if err != nil {
		return nil, err
	}
	codes := make([]int, 0, len(routes))
	for _, r := range routes {
		codes = append(codes, r.Code)
	}
	return codes, nil
}

// CruiseDetails returns a head's routes with their points and schedules, or only route
// code when given (4.5.2.12).
func (a *App) CruiseDetails(ctx context.Context, appID string, ref PTZHeadRef, code *int) ([]domain.CruiseRoute, error) {
	d, h, err := a.ptzHead(ctx, appID, ref)
	if err != nil {
		return nil, err
	}
	if code != nil {
		r, err := a.cruiseRoute(ctx, d, h, *code)
		if err != nil {
			return nil, err
		}
		if r == nil {
			return nil, domain.InvalidField("cruiseCode", "%s has no cruise route %d", ref.DeviceSn, *code)
		}
		return []domain.CruiseRoute{*r}, nil
	}
	routes, err := a.store.CruiseRoutes(ctx, d.ID, h.Target)
	if routes == nil {
		routes = []domain.CruiseRoute{}
	}
	return routes, err
}

func (a *App) cruiseRoute(ctx context.Context, d *domain.Device, h domain.PTZHead, code int) (*domain.CruiseRoute, error) {
	routes, err := a.store.CruiseRoutes(ctx, d.ID, h.Target)
	if err != nil {
		return nil, err
	}
	for i := range routes {
		if routes[i].Code == code {
			return &routes[i], nil
		}
	}
	return nil, nil
}
