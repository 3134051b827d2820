package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vionet/vionet/internal/domain"
)

// Services opened on cameras (4.6.1) and the tenants' orders. A service is open while its
// row's closed_at is 0; used counts are computed from the open rows, never stored.

// ApplyServiceChanges applies changes in order, in one transaction. Before a change opens a
// type its camera does not have open, admit is called with the change's index and the
// tenant's order of that type as it stands in the transaction (Used counts the changes
// before it); an error from admit rolls everything back and is returned as is.
//
// The tenant's order rows of the types being opened are locked first (in type order), so
// concurrent requests on PostgreSQL cannot both take the last unit of an order; SQLite has
// a single writer.
func (s *Store) ApplyServiceChanges(ctx context.Context, appID string, changes []domain.ServiceChange,
	admit func(i int, o domain.ServiceOrder) error) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		totals, err := s.lockOrders(ctx, tx, appID, changes)
		if err != nil {
			return err
		}
		now := s.now().UnixMilli()
		for _, c := range changes {
			if c.Alias != "" && c.Alias != c.Service.Target {
				if _, err := tx.ExecContext(ctx, s.q(`UPDATE device_services SET target = ?,
					channel_id = (SELECT id FROM channels WHERE device_id = ? AND channel_sn = ?) WHERE device_id = ? AND target = ?`),
					c.Service.Target, c.Service.DeviceID, c.Service.Target, c.Service.DeviceID, c.Alias); err != nil {
					return fmt.Errorf("store: adopt services: %w", err)
				}
			}
		}
		for i, c := range changes {
			sv := c.Service
			if !c.Open {
				if err := s.closeServices(ctx, tx, sv.DeviceID, sv.Target, c.Close, now); err != nil {
					return err
				}
				continue
			}
			var closedAt int64
			err := tx.QueryRowContext(ctx, s.q(`SELECT closed_at FROM device_services WHERE device_id = ? AND target = ? AND type = ?`),
				sv.DeviceID, sv.Target, sv.Type).Scan(&closedAt)
			exists := err == nil
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("store: service: %w", err)
			}
			if !exists || closedAt != 0 {
				o := domain.ServiceOrder{AppID: appID, Type: sv.Type, Total: totals[sv.Type]}
				if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM device_services WHERE appid = ? AND type = ? AND closed_at = 0`),
					appID, sv.Type).Scan(&o.Used); err != nil {
					return fmt.Errorf("store: services used: %w", err)
				}
				if err := admit(i, o); err != nil {
					return err
				}
			}
			days, interval, bitrate := sv.AttrInt(domain.ServCloudDays), sv.AttrInt(domain.ServFrameInterval), sv.AttrInt(domain.ServBitrateCap)
			switch {
			case !exists:
				_, err = tx.ExecContext(ctx, s.q(`INSERT INTO device_services (device_id, target, type, channel_id, appid,
					package_type, days, frame_interval, bitrate_cap, opened_at, closed_at, updated_at)
					VALUES (?, ?, ?, (SELECT id FROM channels WHERE device_id = ? AND channel_sn = ?), ?, ?, ?, ?, ?, ?, 0, ?)`),
					sv.DeviceID, sv.Target, sv.Type, sv.DeviceID, sv.Target, appID, sv.PackageType, days, interval, bitrate, now, now)
			case closedAt != 0: // reopened: a new use of the order
				_, err = tx.ExecContext(ctx, s.q(`UPDATE device_services SET package_type = ?, days = ?, frame_interval = ?,
					bitrate_cap = ?, opened_at = ?, closed_at = 0, updated_at = ? WHERE device_id = ? AND target = ? AND type = ?`),
					sv.PackageType, days, interval, bitrate, now, now, sv.DeviceID, sv.Target, sv.Type)
			default: // open already: new attributes
				_, err = tx.ExecContext(ctx, s.q(`UPDATE device_services SET package_type = ?, days = ?, frame_interval = ?,
					bitrate_cap = ?, updated_at = ? WHERE device_id = ? AND target = ? AND type = ?`),
					sv.PackageType, days, interval, bitrate, now, sv.DeviceID, sv.Target, sv.Type)
			}
			if err != nil {
				return fmt.Errorf("store: open service: %w", err)
			}
		}
		return nil
	})
}

// lockOrders locks the tenant's order rows of every type changes open (PostgreSQL; SQLite
// transactions hold the write lock from the start) and returns their totals.
func (s *Store) lockOrders(ctx context.Context, tx *sql.Tx, appID string, changes []domain.ServiceChange) (map[int]int, error) {
	var types []int
	for _, c := range changes {
		if c.Open && !slices.Contains(types, c.Service.Type) {
			types = append(types, c.Service.Type)
		}
	}
	totals := map[int]int{}
	if len(types) == 0 {
		return totals, nil
	}
	slices.Sort(types)
	args := []any{appID}
	for _, t := range types {
		args = append(args, t)
	}
	query := `SELECT type, total FROM service_orders WHERE appid = ? AND type IN (?` + strings.Repeat(", ?", len(types)-1) + `) ORDER BY type`
	if s.engine == Postgres {
		query += " FOR UPDATE"
	}
	rows, err := tx.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("store: lock orders: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var t, total int
		if err := rows.Scan(&t, &total); err != nil {
			return nil, fmt.Errorf("store: lock orders: %w", err)
		}
		totals[t] = total
	}
	return totals, rows.Err()
}

func (s *Store) closeServices(ctx context.Context, tx *sql.Tx, deviceID int64, target string, types []int, now int64) error {
	query := `UPDATE device_services SET closed_at = ?, updated_at = ? WHERE device_id = ? AND target = ? AND closed_at = 0`
	args := []any{now, now, deviceID, target}
	if len(types) > 0 {
		query += ` AND type IN (?` + strings.Repeat(", ?", len(types)-1) + `)`
		for _, t := range types {
			args = append(args, t)
		}
	}
	if _, err := tx.ExecContext(ctx, s.q(query), args...); err != nil {
		return fmt.Errorf("store: close services: %w", err)
	}
	return nil
}

// serviceTarget is the code of a service's camera now: an IPC (any device but an NVR) that
// had services opened on its own code and reported its lens as its only channel since is
// that channel (ApplyServiceChanges moves such rows on the next change, given the alias).
const serviceTarget = `COALESCE(CASE WHEN s.target = d.device_sn AND d.device_type <> 2
	AND (SELECT COUNT(*) FROM channels c WHERE c.device_id = s.device_id) = 1
	THEN (SELECT c.channel_sn FROM channels c WHERE c.device_id = s.device_id) END, s.target)`

const serviceCols = `s.appid, s.device_id, d.device_sn, ` + serviceTarget + `, s.type, s.package_type, s.days,
	s.frame_interval, s.bitrate_cap, s.opened_at, s.closed_at`

func scanService(row interface{ Scan(...any) error }) (domain.DeviceService, bool, error) {
	var (
		sv                      domain.DeviceService
		days, interval, bitrate int
		openedAt, closedAt      int64
	)
	err := row.Scan(&sv.AppID, &sv.DeviceID, &sv.DeviceSn, &sv.Target, &sv.Type, &sv.PackageType, &days, &interval,
		&bitrate, &openedAt, &closedAt)
	sv.Attrs = domain.ServiceAttrs(sv.Type, days, interval, bitrate)
	sv.OpenedAt = time.UnixMilli(openedAt)
	return sv, closedAt == 0, err
}

// DeviceServices lists the services open on one camera, by type.
func (s *Store) DeviceServices(ctx context.Context, deviceID int64, target string) ([]domain.DeviceService, error) {
	rows, err := s.rdb.QueryContext(ctx, s.q(`SELECT `+serviceCols+` FROM device_services s JOIN devices d ON d.id = s.device_id
		WHERE s.device_id = ? AND `+serviceTarget+` = ? AND s.closed_at = 0 ORDER BY s.type`), deviceID, target)
	if err != nil {
		return nil, fmt.Errorf("store: device services: %w", err)
	}
	defer rows.Close()
	var out []domain.DeviceService
	for rows.Next() {
		sv, _, err := scanService(rows)
		if err != nil {
			return nil, fmt.Errorf("store: device services: %w", err)
		}
		out = append(out, sv)
	}
	return out, rows.Err()
}

// DeviceService returns a camera's service of one type and whether it is open; a closed
// service comes with the attributes it last had. domain.ErrNotFound if it was never opened
// (or the camera was deleted since).
func (s *Store) DeviceService(ctx context.Context, deviceID int64, target string, typ int) (domain.DeviceService, bool, error) {
	sv, open, err := scanService(s.rdb.QueryRowContext(ctx, s.q(`SELECT `+serviceCols+` FROM device_services s
		JOIN devices d ON d.id = s.device_id WHERE s.device_id = ? AND `+serviceTarget+` = ? AND s.type = ?
		ORDER BY s.closed_at LIMIT 1`), deviceID, target, typ))
	if errors.Is(err, sql.ErrNoRows) {
		return domain.DeviceService{}, false, domain.ErrNotFound
	}
	if err != nil {
		return domain.DeviceService{}, false, fmt.Errorf("store: device service: %w", err)
	}
	return sv, open, nil
}

// RecordingPlans lists every camera, of every tenant, with a full-day cloud recording
// service open, by device and camera.
func (s *Store) RecordingPlans(ctx context.Context) ([]domain.RecordingPlan, error) {
	rows, err := s.rdb.QueryContext(ctx, s.q(`SELECT s.appid, s.device_id, d.device_sn, `+serviceTarget+`, s.days, s.bitrate_cap
		FROM device_services s JOIN devices d ON d.id = s.device_id
		WHERE s.type = ? AND s.closed_at = 0 ORDER BY s.device_id, s.target`), domain.ServiceTypeFullDayRecording)
	if err != nil {
		return nil, fmt.Errorf("store: recording plans: %w", err)
	}
	defer rows.Close()
	var out []domain.RecordingPlan
	for rows.Next() {
		var p domain.RecordingPlan
		if err := rows.Scan(&p.AppID, &p.DeviceID, &p.DeviceSn, &p.Target, &p.Days, &p.BitrateCap); err != nil {
			return nil, fmt.Errorf("store: recording plans: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// ServiceOrders lists a tenant's orders (every tenant's when appID is empty) by appid and
// type, with the number of cameras that have each type open.
func (s *Store) ServiceOrders(ctx context.Context, appID string) ([]domain.ServiceOrder, error) {
	query := `SELECT o.appid, o.type, o.total,
		(SELECT COUNT(*) FROM device_services s WHERE s.appid = o.appid AND s.type = o.type AND s.closed_at = 0)
		FROM service_orders o`
	var args []any
	if appID != "" {
		query += ` WHERE o.appid = ?`
		args = append(args, appID)
	}
	rows, err := s.rdb.QueryContext(ctx, s.q(query+` ORDER BY o.appid, o.type`), args...)
	if err != nil {
		return nil, fmt.Errorf("store: service orders: %w", err)
	}
	defer rows.Close()
	var out []domain.ServiceOrder
	for rows.Next() {
		var o domain.ServiceOrder
		if err := rows.Scan(&o.AppID, &o.Type, &o.Total, &o.Used); err != nil {
			return nil, fmt.Errorf("store: service orders: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// UpdateServiceOrder changes a tenant's order of one type in a transaction: fn gets the
// order as it stands (Total 0 when there was none; Used counted with the order locked) and
// sets the new Total, or returns an error that leaves everything unchanged.
func (s *Store) UpdateServiceOrder(ctx context.Context, appID string, typ int, fn func(o *domain.ServiceOrder) error) (domain.ServiceOrder, error) {
	o := domain.ServiceOrder{AppID: appID, Type: typ}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		now := s.now().UnixMilli()
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO service_orders (appid, type, total, updated_at) VALUES (?, ?, 0, ?)
			ON CONFLICT (appid, type) DO NOTHING`), appID, typ, now); err != nil {
			return fmt.Errorf("store: service order: %w", err)
		}
		lock := ""
		if s.engine == Postgres {
			lock = " FOR UPDATE"
		}
		if err := tx.QueryRowContext(ctx, s.q(`SELECT total FROM service_orders WHERE appid = ? AND type = ?`+lock),
			appID, typ).Scan(&o.Total); err != nil {
			return fmt.Errorf("store: service order: %w", err)
		}
		if err := tx.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM device_services WHERE appid = ? AND type = ? AND closed_at = 0`),
			appID, typ).Scan(&o.Used); err != nil {
			return fmt.Errorf("store: services used: %w", err)
		}
		if err := fn(&o); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`UPDATE service_orders SET total = ?, updated_at = ? WHERE appid = ? AND type = ?`),
			o.Total, now, appID, typ)
		return err
	})
	return o, err
}
