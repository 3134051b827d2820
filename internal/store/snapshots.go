package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/vionet/vionet/internal/domain"
)

// AddSnapshot stores a captured picture's record and sets s.ID.
func (s *Store) AddSnapshot(ctx context.Context, p *domain.Snapshot) error {
	err := s.db.QueryRowContext(ctx, s.q(`INSERT INTO snapshots
		(picture_id, appid, device_id, device_sn, target, channel_id, snap_type, snap_time, size, file_key)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		p.PictureID, p.AppID, p.DeviceID, p.DeviceSn, p.Target, p.ChannelID, p.SnapType, p.SnapTime.UnixMilli(), p.Size, p.FileKey,
	).Scan(&p.ID)
	if err != nil {
		return fmt.Errorf("store: add snapshot: %w", err)
	}
	return nil
}

const snapshotCols = `id, picture_id, appid, device_id, device_sn, target, channel_id, snap_type, snap_time, size, file_key`

func scanSnapshot(row interface{ Scan(...any) error }) (domain.Snapshot, error) {
	var (
		p  domain.Snapshot
		ms int64
	)
	err := row.Scan(&p.ID, &p.PictureID, &p.AppID, &p.DeviceID, &p.DeviceSn, &p.Target, &p.ChannelID, &p.SnapType, &ms, &p.Size, &p.FileKey)
	p.SnapTime = time.UnixMilli(ms)
	return p, err
}

// Snapshots returns one page of a device's pictures, newest first, and the total count.
func (s *Store) Snapshots(ctx context.Context, q domain.SnapshotQuery) ([]domain.Snapshot, int, error) {
	where := []string{"device_id = ?"}
	args := []any{q.DeviceID}
	if q.Target != "" {
		where, args = append(where, "target = ?"), append(args, q.Target)
	}
	if q.SnapType != 0 {
		where, args = append(where, "snap_type = ?"), append(args, q.SnapType)
	}
	if !q.Start.IsZero() {
		where, args = append(where, "snap_time >= ?"), append(args, q.Start.UnixMilli())
	}
	if !q.End.IsZero() {
		where, args = append(where, "snap_time <= ?"), append(args, q.End.UnixMilli())
	}
	cond := strings.Join(where, " AND ")
	var total int
	if err := s.rdb.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM snapshots WHERE `+cond), args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("store: count snapshots: %w", err)
	}
	rows, err := s.rdb.QueryContext(ctx, s.q(`SELECT `+snapshotCols+` FROM snapshots WHERE `+cond+
		` ORDER BY snap_time DESC, id DESC LIMIT ? OFFSET ?`), append(args, q.Limit, q.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("store: snapshots: %w", err)
	}
	defer rows.Close()
	var out []domain.Snapshot
	for rows.Next() {
		p, err := scanSnapshot(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("store: snapshots: %w", err)
		}
		out = append(out, p)
	}
	return out, total, rows.Err()
}

// Snapshot returns one picture's record by its pictureId (domain.ErrNotFound if none).
func (s *Store) Snapshot(ctx context.Context, pictureID string) (domain.Snapshot, error) {
	p, err := scanSnapshot(s.rdb.QueryRowContext(ctx, s.q(`SELECT `+snapshotCols+` FROM snapshots WHERE picture_id = ?`), pictureID))
	if errors.Is(err, sql.ErrNoRows) {
		return p, domain.ErrNotFound
	}
	if err != nil {
		return p, fmt.Errorf("store: snapshot: %w", err)
	}
	return p, nil
}

// DeleteSnapshot removes a picture's record.
func (s *Store) DeleteSnapshot(ctx context.Context, id int64) error {
	if _, err := s.db.ExecContext(ctx, s.q(`DELETE FROM snapshots WHERE id = ?`), id); err != nil {
		return fmt.Errorf("store: delete snapshot: %w", err)
	}
	return nil
}
