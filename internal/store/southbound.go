package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/vionet/vionet/internal/domain"
)

// The statements of UpdateDevice, prepared once (see warmWrites).
const (
	selectDeviceForUpdate = `SELECT ` + deviceColumns + ` FROM devices WHERE device_sn = ?`
	updateDeviceState     = `UPDATE devices SET online_status = ?, remote_ip = ?, remote_port = ?, sip_transport = ?,
		registered_until = ?, gb_version = ?, charset = ?, manufacturer = ?, model = ?, firmware = ?, updated_at = ? WHERE id = ?`
	selectChannels = `SELECT id, device_id, COALESCE(channel_sn, ''), channel_no, channel_name, online_status
		FROM channels WHERE device_id = ? ORDER BY id`
)

// UpdateDevice reads a device with its channels, lets fn change them, and writes the result
// back with the events fn returns, all in one transaction: a status change and its push are
// committed together or not at all, and concurrent updates of one device serialise.
//
// fn may change the device's status, address, registration and description fields, change
// existing channels' names and statuses, and append channels (ID 0). Channels are never
// deleted here.
func (s *Store) UpdateDevice(ctx context.Context, deviceSn string, fn func(d *domain.Device) ([]domain.Event, error)) error {
	return s.tx(ctx, func(tx *sql.Tx) error { return s.updateDeviceTx(ctx, tx, deviceSn, fn) })
}

// UpdateDevices is UpdateDevice for many devices in one transaction, so a registration storm
// costs a few commits instead of one per device. Devices that no longer exist are skipped.
func (s *Store) UpdateDevices(ctx context.Context, deviceSns []string, fn func(d *domain.Device) ([]domain.Event, error)) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, sn := range deviceSns {
			if err := s.updateDeviceTx(ctx, tx, sn, fn); err != nil && !errors.Is(err, domain.ErrNotFound) {
				return err
			}
		}
		return nil
	})
}

func (s *Store) updateDeviceTx(ctx context.Context, tx *sql.Tx, deviceSn string, fn func(d *domain.Device) ([]domain.Event, error)) error {
	lock := ""
	if s.engine == Postgres {
		lock = " FOR UPDATE"
	}
	sel, err := s.preparedTx(ctx, tx, selectDeviceForUpdate+lock)
	if err != nil {
		return fmt.Errorf("store: update device: %w", err)
	}
	d, err := scanDevice(sel.QueryRowContext(ctx, deviceSn))
	if err != nil {
		return notFound(err)
	}
	chans, err := s.channelsTx(ctx, tx, d.ID)
	if err != nil {
		return err
	}
	d.Channels = chans
	before := make(map[int64]domain.Channel, len(chans))
	for _, c := range chans {
		before[c.ID] = c
	}
	events, err := fn(d)
	if err != nil {
		return err
	}
	var regUntil int64
	if !d.RegisteredUntil.IsZero() {
		regUntil = d.RegisteredUntil.UnixMilli()
	}
	upd, err := s.preparedTx(ctx, tx, updateDeviceState)
	if err != nil {
		return fmt.Errorf("store: update device: %w", err)
	}
	_, err = upd.ExecContext(ctx, int(d.Online), d.RemoteIP, d.RemotePort, d.Transport, regUntil, d.GBVersion, d.Charset, d.Manufacturer, d.Model,
		d.Firmware, s.now().UnixMilli(), d.ID)
	if err != nil {
		return fmt.Errorf("store: update device: %w", err)
	}
	var added []domain.Channel
	for _, c := range d.Channels {
		if c.ID == 0 {
			added = append(added, c)
			continue
		}
		if old, ok := before[c.ID]; ok && (old.Name != c.Name || old.Online != c.Online) {
			if _, err := tx.ExecContext(ctx, s.q(`UPDATE channels SET channel_name = ?, online_status = ? WHERE id = ?`),
				c.Name, int(c.Online), c.ID); err != nil {
				return fmt.Errorf("store: update channel: %w", err)
			}
		}
	}
	if len(added) > 0 {
		if err := s.insertChannels(ctx, tx, d.ID, added); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE devices SET channel_count = channel_count + ? WHERE id = ?`), len(added), d.ID); err != nil {
			return err
		}
	}
	return s.enqueue(ctx, tx, events)
}

func (s *Store) channelsTx(ctx context.Context, tx *sql.Tx, deviceID int64) ([]domain.Channel, error) {
	st, err := s.preparedTx(ctx, tx, selectChannels)
	if err != nil {
		return nil, fmt.Errorf("store: channels: %w", err)
	}
	rows, err := st.QueryContext(ctx, deviceID)
	if err != nil {
		return nil, fmt.Errorf("store: channels: %w", err)
	}
	defer rows.Close()
	var out []domain.Channel
	err = scanChannels(rows, func(c domain.Channel) { out = append(out, c) })
	return out, err
}

// Registrations lists the GB/T 28181 devices whose registration has not expired at now, so
// a restarted node can restore its sessions.
func (s *Store) Registrations(ctx context.Context, now time.Time) ([]domain.Registration, error) {
	rows, err := s.rdb.QueryContext(ctx, s.q(`SELECT device_sn, remote_ip, remote_port, sip_transport, registered_until, gb_version, charset
		FROM devices WHERE protocol = ? AND registered_until > ?`), int(domain.ProtocolGB28181), now.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("store: registrations: %w", err)
	}
	defer rows.Close()
	var out []domain.Registration
	for rows.Next() {
		var r domain.Registration
		var port string
		var until int64
		if err := rows.Scan(&r.DeviceSn, &r.IP, &port, &r.Transport, &until, &r.Version, &r.Charset); err != nil {
			return nil, err
		}
		fmt.Sscan(port, &r.Port)
		r.Expires = time.UnixMilli(until)
		out = append(out, r)
	}
	return out, rows.Err()
}
