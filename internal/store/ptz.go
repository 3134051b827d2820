package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/vionet/vionet/internal/domain"
)

// PTZSettings returns what vionet keeps about one head; the zero value when nothing was set.
func (s *Store) PTZSettings(ctx context.Context, deviceID int64, target string) (domain.PTZSettings, error) {
	var (
		st              domain.PTZSettings
		invert          int
		preset, seconds int
	)
	err := s.rdb.QueryRowContext(ctx, s.q(`SELECT decoder_address, invert, guard_preset, guard_interval
		FROM ptz_heads WHERE device_id = ? AND target = ?`), deviceID, target).Scan(&st.Address, &invert, &preset, &seconds)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("store: ptz settings: %w", err)
	}
	st.Invert = invert != 0
	if preset > 0 {
		st.Guard = &domain.PTZGuard{Preset: preset, Interval: seconds}
	}
	return st, nil
}

// SetPTZConfig stores a head's decoder address and direction (4.5.2.17).
func (s *Store) SetPTZConfig(ctx context.Context, deviceID int64, target string, address int, invert bool) error {
	now := s.now().UnixMilli()
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO ptz_heads (device_id, target, decoder_address, invert, updated_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (device_id, target)
		DO UPDATE SET decoder_address = excluded.decoder_address, invert = excluded.invert, updated_at = excluded.updated_at`),
		deviceID, target, address, b2i(invert), now)
	if err != nil {
		return fmt.Errorf("store: ptz config: %w", err)
	}
	return nil
}

// SetPTZGuard stores (g set) or clears (g nil) a head's guard position (4.5.2.14/4.5.2.15).
func (s *Store) SetPTZGuard(ctx context.Context, deviceID int64, target string, g *domain.PTZGuard) error {
	var preset, seconds int
	if g != nil {
		preset, seconds = g.Preset, g.Interval
	}
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO ptz_heads (device_id, target, guard_preset, guard_interval, updated_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (device_id, target)
		DO UPDATE SET guard_preset = excluded.guard_preset, guard_interval = excluded.guard_interval, updated_at = excluded.updated_at`),
		deviceID, target, preset, seconds, s.now().UnixMilli())
	if err != nil {
		return fmt.Errorf("store: ptz guard: %w", err)
	}
	return nil
}

// CruiseRoutes lists a head's cruise routes by code.
func (s *Store) CruiseRoutes(ctx context.Context, deviceID int64, target string) ([]domain.CruiseRoute, error) {
	rows, err := s.rdb.QueryContext(ctx, s.q(`SELECT cruise_code, speed, stay_time, points, schedule
		FROM ptz_cruises WHERE device_id = ? AND target = ? ORDER BY cruise_code`), deviceID, target)
	if err != nil {
		return nil, fmt.Errorf("store: cruise routes: %w", err)
	}
	defer rows.Close()
	var out []domain.CruiseRoute
	for rows.Next() {
		var (
			r             domain.CruiseRoute
			points, sched string
		)
		if err := rows.Scan(&r.Code, &r.Speed, &r.StayTime, &points, &sched); err != nil {
			return nil, fmt.Errorf("store: cruise routes: %w", err)
		}
		if r.Points, err = parsePoints(points); err != nil {
			return nil, err
		}
		if r.Schedule, err = parseSchedule(sched); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// AddCruiseRoute stores a new route (its schedule too); domain.ErrConflict if the head
// already has one with that code.
func (s *Store) AddCruiseRoute(ctx context.Context, deviceID int64, target string, r domain.CruiseRoute) error {
	sched, err := formatSchedule(r.Schedule)
	if err != nil {
		return err
	}
	now := s.now().UnixMilli()
	_, err = s.db.ExecContext(ctx, s.q(`INSERT INTO ptz_cruises (device_id, target, cruise_code, speed, stay_time, points, schedule, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`), deviceID, target, r.Code, r.Speed, r.StayTime, formatPoints(r.Points), sched, now)
	if isUniqueViolation(err) {
		return domain.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("store: add cruise route: %w", err)
	}
	return nil
}

// UpdateCruiseRoute replaces a route's speed, stay time and points, keeping its schedule;
// domain.ErrNotFound if there is no such route.
func (s *Store) UpdateCruiseRoute(ctx context.Context, deviceID int64, target string, r domain.CruiseRoute) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE ptz_cruises SET speed = ?, stay_time = ?, points = ?, updated_at = ?
		WHERE device_id = ? AND target = ? AND cruise_code = ?`),
		r.Speed, r.StayTime, formatPoints(r.Points), s.now().UnixMilli(), deviceID, target, r.Code)
	return affectedOne(res, err, "update cruise route")
}

// DeleteCruiseRoute removes a route and its schedule; domain.ErrNotFound if there was none.
func (s *Store) DeleteCruiseRoute(ctx context.Context, deviceID int64, target string, code int) error {
	res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM ptz_cruises WHERE device_id = ? AND target = ? AND cruise_code = ?`),
		deviceID, target, code)
	return affectedOne(res, err, "delete cruise route")
}

// SetCruiseSchedule replaces a route's weekly schedule (none: no schedule);
// domain.ErrNotFound if there is no such route.
func (s *Store) SetCruiseSchedule(ctx context.Context, deviceID int64, target string, code int, windows []domain.CruiseWindow) error {
	sched, err := formatSchedule(windows)
	if err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE ptz_cruises SET schedule = ?, updated_at = ?
		WHERE device_id = ? AND target = ? AND cruise_code = ?`), sched, s.now().UnixMilli(), deviceID, target, code)
	return affectedOne(res, err, "cruise schedule")
}

// ScheduledCruises lists every route that has a schedule, with its device code, for the
// cruise scheduler.
func (s *Store) ScheduledCruises(ctx context.Context) ([]domain.ScheduledCruise, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT c.device_id, d.device_sn, c.target, c.cruise_code, c.schedule
		FROM ptz_cruises c JOIN devices d ON d.id = c.device_id WHERE c.schedule <> '' ORDER BY c.device_id, c.target, c.cruise_code`)
	if err != nil {
		return nil, fmt.Errorf("store: scheduled cruises: %w", err)
	}
	defer rows.Close()
	var out []domain.ScheduledCruise
	for rows.Next() {
		var (
			c     domain.ScheduledCruise
			sched string
		)
		if err := rows.Scan(&c.DeviceID, &c.DeviceSn, &c.Target, &c.Code, &sched); err != nil {
			return nil, fmt.Errorf("store: scheduled cruises: %w", err)
		}
		if c.Schedule, err = parseSchedule(sched); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func affectedOne(res sql.Result, err error, what string) error {
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return domain.ErrNotFound
	}
	return nil
}

// Points are kept as "1,2,3" (the order is the cruise order).
func formatPoints(points []int) string {
	parts := make([]string, len(points))
	for i, p := range points {
		parts[i] = strconv.Itoa(p)
	}
	return strings.Join(parts, ",")
}

func parsePoints(s string) ([]int, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	out := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil, fmt.Errorf("store: cruise points %q: %w", s, err)
		}
		out[i] = n
	}
	return out, nil
}

// scheduleWindow is a schedule window's stored JSON form.
type scheduleWindow struct {
	WeekDay int `json:"weekDay"`
	Start   int `json:"startTime"`
	End     int `json:"endTime"`
}

func formatSchedule(ws []domain.CruiseWindow) (string, error) {
	if len(ws) == 0 {
		return "", nil
	}
	out := make([]scheduleWindow, len(ws))
	for i, w := range ws {
		out[i] = scheduleWindow(w)
	}
	b, err := json.Marshal(out)
	if err != nil {
		return "", fmt.Errorf("store: cruise schedule: %w", err)
	}
	return string(b), nil
}

func parseSchedule(s string) ([]domain.CruiseWindow, error) {
	if s == "" {
		return nil, nil
	}
	var in []scheduleWindow
	if err := json.Unmarshal([]byte(s), &in); err != nil {
		return nil, fmt.Errorf("store: cruise schedule %q: %w", s, err)
	}
	out := make([]domain.CruiseWindow, len(in))
	for i, w := range in {
		out[i] = domain.CruiseWindow(w)
	}
	return out, nil
}
