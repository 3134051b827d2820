package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/vionet/vionet/internal/domain"
)

const deviceColumns = `id, appid, device_sn, protocol, device_name, device_type, channel_count, login_name, login_pwd,
	device_token, is_intranet, supports_v6, platform_id, mac, online_status, remote_ip, remote_port, manufacturer,
	model, firmware, created_at, sip_transport, registered_until, gb_version, charset`

// deviceColumnsD is deviceColumns qualified with the alias d (a test keeps the two in step).
const deviceColumnsD = `d.id, d.appid, d.device_sn, d.protocol, d.device_name, d.device_type, d.channel_count,
	d.login_name, d.login_pwd, d.device_token, d.is_intranet, d.supports_v6, d.platform_id, d.mac, d.online_status,
	d.remote_ip, d.remote_port, d.manufacturer, d.model, d.firmware, d.created_at, d.sip_transport,
	d.registered_until, d.gb_version, d.charset`

// CreateDevice inserts d with its channels and publishes events, atomically. It returns
// domain.ErrConflict when the device or a channel code already exists.
func (s *Store) CreateDevice(ctx context.Context, d *domain.Device, events ...domain.Event) error {
	now := s.now().UnixMilli()
	err := s.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, s.q(`INSERT INTO devices (appid, device_sn, protocol, device_name, device_type,
			channel_count, login_name, login_pwd, device_token, is_intranet, supports_v6, platform_id, mac, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			d.AppID, d.DeviceSn, int(d.Protocol), d.Name, int(d.Type), d.ChannelCount, d.LoginName, d.LoginPwd, d.Token,
			b2i(d.IsIntranet), b2i(d.SupportsV6), d.PlatformID, d.Mac, now, now).Scan(&d.ID)
		if err != nil {
			return err
		}
		if err := s.insertChannels(ctx, tx, d.ID, d.Channels); err != nil {
			return err
		}
		return s.enqueue(ctx, tx, events)
	})
	if isUniqueViolation(err) {
		return domain.ErrConflict
	}
	if err == nil {
		d.CreatedAt = time.UnixMilli(now)
	}
	return err
}

// AddChannels appends channels to a device and raises its channel count, atomically.
func (s *Store) AddChannels(ctx context.Context, deviceID int64, chans []domain.Channel, events ...domain.Event) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if err := s.insertChannels(ctx, tx, deviceID, chans); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE devices SET channel_count = channel_count + ?, updated_at = ? WHERE id = ?`),
			len(chans), s.now().UnixMilli(), deviceID); err != nil {
			return err
		}
		return s.enqueue(ctx, tx, events)
	})
	if isUniqueViolation(err) {
		return domain.ErrConflict
	}
	return err
}

func (s *Store) insertChannels(ctx context.Context, tx *sql.Tx, deviceID int64, chans []domain.Channel) error {
	now := s.now().UnixMilli()
	for i := range chans {
		c := &chans[i]
		var sn any
		if c.ChannelSn != "" {
			sn = c.ChannelSn
		}
		err := tx.QueryRowContext(ctx, s.q(`INSERT INTO channels (device_id, channel_sn, channel_no, channel_name, online_status, created_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`), deviceID, sn, c.ChannelID, c.Name, int(c.Online), now).Scan(&c.ID)
		if err != nil {
			return err
		}
		c.DeviceID = deviceID
	}
	return nil
}

// Device loads a device with its channels by deviceSn, whoever owns it (the app layer
// checks ownership so it can tell "not yours" from "no such device"). One round trip: the
// device row repeats beside each of its channels.
func (s *Store) Device(ctx context.Context, deviceSn string) (*domain.Device, error) {
	st, err := s.prepared(ctx, `SELECT `+deviceColumnsD+`,
		c.id, COALESCE(c.channel_sn, ''), c.channel_no, c.channel_name, c.online_status
		FROM devices d LEFT JOIN channels c ON c.device_id = d.id WHERE d.device_sn = ? ORDER BY c.id`)
	if err != nil {
		return nil, fmt.Errorf("store: device: %w", err)
	}
	rows, err := st.QueryContext(ctx, deviceSn)
	if err != nil {
		return nil, fmt.Errorf("store: device: %w", err)
	}
	defer rows.Close()
	var d *domain.Device
	for rows.Next() {
		var (
			dev      domain.Device
			chID     sql.NullInt64
			chSn     string
			chNo     sql.NullInt64
			chName   sql.NullString
			chOnline sql.NullInt64
		)
		dest, finish := deviceDest(&dev)
		if err := rows.Scan(append(dest, &chID, &chSn, &chNo, &chName, &chOnline)...); err != nil {
			return nil, fmt.Errorf("store: scan device: %w", err)
		}
		if d == nil {
			finish()
			d = &dev
		}
		if chID.Valid {
			d.Channels = append(d.Channels, domain.Channel{ID: chID.Int64, DeviceID: d.ID, ChannelSn: chSn,
				ChannelID: int(chNo.Int64), Name: chName.String, Online: domain.OnlineStatus(chOnline.Int64)})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if d == nil {
		return nil, domain.ErrNotFound
	}
	return d, nil
}

// ChannelOwner finds the device that holds a GB channel code.
func (s *Store) ChannelOwner(ctx context.Context, channelSn string) (*domain.Device, error) {
	var sn string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT d.device_sn FROM channels c JOIN devices d ON d.id = c.device_id WHERE c.channel_sn = ?`), channelSn).Scan(&sn)
	if err != nil {
		return nil, notFound(err)
	}
	return s.Device(ctx, sn)
}

// Devices lists one page of a tenant's devices (oldest first) and the tenant's total.
func (s *Store) Devices(ctx context.Context, appID string, offset, limit int) ([]*domain.Device, int, error) {
	var total int
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM devices WHERE appid = ?`), appID).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("store: count devices: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+deviceColumns+` FROM devices WHERE appid = ? ORDER BY id LIMIT ? OFFSET ?`), appID, limit, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("store: devices: %w", err)
	}
	var list []*domain.Device
	var ids []int64
	for rows.Next() {
		d, err := scanDevice(rows)
		if err != nil {
			rows.Close()
			return nil, 0, err
		}
		list = append(list, d)
		ids = append(ids, d.ID)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	chans, err := s.channelsOf(ctx, ids)
	if err != nil {
		return nil, 0, err
	}
	for _, d := range list {
		d.Channels = chans[d.ID]
	}
	return list, total, nil
}

func (s *Store) channelsOf(ctx context.Context, ids []int64) (map[int64][]domain.Channel, error) {
	out := make(map[int64][]domain.Channel, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	marks := make([]byte, 0, 2*len(ids))
	for i, id := range ids {
		args[i] = id
		if i > 0 {
			marks = append(marks, ',')
		}
		marks = append(marks, '?')
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id, device_id, COALESCE(channel_sn, ''), channel_no, channel_name, online_status
		FROM channels WHERE device_id IN (`+string(marks)+`) ORDER BY id`), args...)
	if err != nil {
		return nil, fmt.Errorf("store: channels: %w", err)
	}
	defer rows.Close()
	err = scanChannels(rows, func(c domain.Channel) { out[c.DeviceID] = append(out[c.DeviceID], c) })
	return out, err
}

// scanChannels reads rows of (id, device_id, channel_sn, channel_no, channel_name,
// online_status) and hands each channel to add.
func scanChannels(rows *sql.Rows, add func(domain.Channel)) error {
	for rows.Next() {
		var c domain.Channel
		var online int
		if err := rows.Scan(&c.ID, &c.DeviceID, &c.ChannelSn, &c.ChannelID, &c.Name, &online); err != nil {
			return err
		}
		c.Online = domain.OnlineStatus(online)
		add(c)
	}
	return rows.Err()
}

// DeleteDevice removes a device and its channels and publishes events, atomically.
func (s *Store) DeleteDevice(ctx context.Context, deviceID int64, events ...domain.Event) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM channels WHERE device_id = ?`), deviceID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM devices WHERE id = ?`), deviceID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return domain.ErrNotFound
		}
		return s.enqueue(ctx, tx, events)
	})
}

// DeleteChannel removes one channel of a device and lowers its channel count, atomically.
func (s *Store) DeleteChannel(ctx context.Context, deviceID, channelID int64, events ...domain.Event) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM channels WHERE id = ? AND device_id = ?`), channelID, deviceID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return domain.ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE devices SET channel_count = channel_count - 1, updated_at = ? WHERE id = ?`),
			s.now().UnixMilli(), deviceID); err != nil {
			return err
		}
		return s.enqueue(ctx, tx, events)
	})
}

// RenameDevice sets a device's name.
func (s *Store) RenameDevice(ctx context.Context, deviceID int64, name string) error {
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE devices SET device_name = ?, updated_at = ? WHERE id = ?`), name, s.now().UnixMilli(), deviceID)
	return err
}

// RenameChannel sets a channel's name.
func (s *Store) RenameChannel(ctx context.Context, channelID int64, name string) error {
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE channels SET channel_name = ? WHERE id = ?`), name, channelID)
	return err
}

type scanner interface{ Scan(...any) error }

// deviceDest returns Scan destinations for deviceColumns and a function that converts the
// scanned values into d once Scan has run.
func deviceDest(d *domain.Device) (dest []any, finish func()) {
	var proto, typ, intranet, v6, online int
	var created, regUntil int64
	dest = []any{&d.ID, &d.AppID, &d.DeviceSn, &proto, &d.Name, &typ, &d.ChannelCount, &d.LoginName, &d.LoginPwd,
		&d.Token, &intranet, &v6, &d.PlatformID, &d.Mac, &online, &d.RemoteIP, &d.RemotePort, &d.Manufacturer,
		&d.Model, &d.Firmware, &created, &d.Transport, &regUntil, &d.GBVersion, &d.Charset}
	return dest, func() {
		d.Protocol = domain.Protocol(proto)
		d.Type = domain.DeviceType(typ)
		d.IsIntranet = intranet == 1
		d.SupportsV6 = v6 == 1
		d.Online = domain.OnlineStatus(online)
		d.CreatedAt = time.UnixMilli(created)
		if regUntil > 0 {
			d.RegisteredUntil = time.UnixMilli(regUntil)
		}
	}
}

func scanDevice(r scanner) (*domain.Device, error) {
	var d domain.Device
	dest, finish := deviceDest(&d)
	if err := r.Scan(dest...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		return nil, fmt.Errorf("store: scan device: %w", err)
	}
	finish()
	return &d, nil
}
