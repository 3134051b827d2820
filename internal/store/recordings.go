package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/vionet/vionet/internal/domain"
)

// Alarm recordings: a recording overlapping [alarm - alarmBefore, alarm + alarmAfter] is an
// alarm recording (recordType 2) of that alarm's type.
const (
	alarmBefore = 10 * time.Second
	alarmAfter  = 30 * time.Second
)

// AddRecording indexes a closed segment and sets r.ID; an alarm already marked in its range
// makes it an alarm recording.
func (s *Store) AddRecording(ctx context.Context, r *domain.Recording) error {
	var alarm sql.NullInt64
	err := s.db.QueryRowContext(ctx, s.q(`SELECT alarm_type FROM recording_alarms
		WHERE target = ? AND at_ms >= ? AND at_ms <= ? ORDER BY at_ms DESC LIMIT 1`),
		r.Target, r.Start.Add(-alarmAfter).UnixMilli(), r.End.Add(alarmBefore).UnixMilli()).Scan(&alarm)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: add recording: %w", err)
	}
	if alarm.Valid {
		r.Type, r.AlarmType = 2, int(alarm.Int64)
	}
	if r.Type == 0 {
		r.Type = 1
	}
	err = s.db.QueryRowContext(ctx, s.q(`INSERT INTO recordings
		(appid, device_id, device_sn, target, start_ms, end_ms, size, file_key, rec_type, alarm_type)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		r.AppID, r.DeviceID, r.DeviceSn, r.Target, r.Start.UnixMilli(), r.End.UnixMilli(), r.Size, r.FileKey, r.Type, r.AlarmType,
	).Scan(&r.ID)
	if err != nil {
		return fmt.Errorf("store: add recording: %w", err)
	}
	return nil
}

// MarkAlarm records an alarm of a camera and turns the recordings around it into alarm
// recordings (later segments are marked as they are indexed).
func (s *Store) MarkAlarm(ctx context.Context, target string, at time.Time, alarmType int) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO recording_alarms (target, at_ms, alarm_type) VALUES (?, ?, ?)`),
			target, at.UnixMilli(), alarmType); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`UPDATE recordings SET rec_type = 2, alarm_type = ?
			WHERE target = ? AND start_ms <= ? AND end_ms >= ?`),
			alarmType, target, at.Add(alarmAfter).UnixMilli(), at.Add(-alarmBefore).UnixMilli())
		return err
	})
}

const recordingCols = `id, appid, device_id, device_sn, target, start_ms, end_ms, size, file_key, rec_type, alarm_type, thawed_to`

func scanRecording(row interface{ Scan(...any) error }) (domain.Recording, error) {
	var (
		r                    domain.Recording
		start, end, thawedTo int64
	)
	err := row.Scan(&r.ID, &r.AppID, &r.DeviceID, &r.DeviceSn, &r.Target, &start, &end, &r.Size, &r.FileKey, &r.Type, &r.AlarmType, &thawedTo)
	r.Start, r.End = time.UnixMilli(start), time.UnixMilli(end)
	if thawedTo > 0 {
		r.ThawedTo = time.UnixMilli(thawedTo)
	}
	return r, err
}

// Recordings lists a camera's recordings overlapping [q.From, q.To), in time order.
func (s *Store) Recordings(ctx context.Context, q domain.RecordingQuery) ([]domain.Recording, error) {
	where := `target = ? AND end_ms > ? AND start_ms < ?`
	args := []any{q.Target, q.From.UnixMilli(), q.To.UnixMilli()}
	if q.Type != 0 {
		where += ` AND rec_type = ?`
		args = append(args, q.Type)
	}
	if q.AlarmType != nil {
		where += ` AND alarm_type = ?`
		args = append(args, *q.AlarmType)
	}
	order := "ASC"
	if q.Descending {
		order = "DESC"
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100000
	}
	rows, err := s.rdb.QueryContext(ctx, s.q(`SELECT `+recordingCols+` FROM recordings WHERE `+where+
		` ORDER BY start_ms `+order+`, id `+order+` LIMIT ?`), append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("store: recordings: %w", err)
	}
	defer rows.Close()
	var out []domain.Recording
	for rows.Next() {
		r, err := scanRecording(rows)
		if err != nil {
			return nil, fmt.Errorf("store: recordings: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Recording returns one recording (domain.ErrNotFound if none).
func (s *Store) Recording(ctx context.Context, id int64) (domain.Recording, error) {
	r, err := scanRecording(s.rdb.QueryRowContext(ctx, s.q(`SELECT `+recordingCols+` FROM recordings WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, domain.ErrNotFound
	}
	if err != nil {
		return r, fmt.Errorf("store: recording: %w", err)
	}
	return r, nil
}

// DeleteRecordings removes recordings from the index; the caller deletes their files.
func (s *Store) DeleteRecordings(ctx context.Context, ids []int64) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM recordings WHERE id = ?`), id); err != nil {
				return err
			}
		}
		return nil
	})
}

// ExpiredRecordings lists a camera's recordings that ended before cutoff (retention).
func (s *Store) ExpiredRecordings(ctx context.Context, target string, cutoff time.Time, limit int) ([]domain.Recording, error) {
	return s.Recordings(ctx, domain.RecordingQuery{Target: target, From: time.UnixMilli(0), To: cutoff, Limit: limit})
}

// ThawRecordings marks a camera's recordings overlapping [from, to) readable until until
// (4.5.1.7) and returns how many.
func (s *Store) ThawRecordings(ctx context.Context, target string, from, to, until time.Time) (int, error) {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE recordings SET thawed_to = ? WHERE target = ? AND end_ms > ? AND start_ms < ?`),
		until.UnixMilli(), target, from.UnixMilli(), to.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("store: thaw: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

const clipCols = `id, appid, device_id, device_sn, target, start_ms, end_ms, storage, status, reason, file_key, thumb_key, file_start, file_end, size, created_ms`

func scanClip(row interface{ Scan(...any) error }) (domain.ClipTask, error) {
	var (
		c                                 domain.ClipTask
		start, end, fstart, fend, created int64
	)
	err := row.Scan(&c.ID, &c.AppID, &c.DeviceID, &c.DeviceSn, &c.Target, &start, &end, &c.Storage, &c.Status, &c.Reason,
		&c.FileKey, &c.ThumbKey, &fstart, &fend, &c.Size, &created)
	c.Start, c.End, c.Created = time.UnixMilli(start), time.UnixMilli(end), time.UnixMilli(created)
	if fstart > 0 {
		c.FileStart, c.FileEnd = time.UnixMilli(fstart), time.UnixMilli(fend)
	}
	return c, err
}

// AddClipTask stores a new clip task and sets c.ID.
func (s *Store) AddClipTask(ctx context.Context, c *domain.ClipTask) error {
	err := s.db.QueryRowContext(ctx, s.q(`INSERT INTO clip_tasks
		(appid, device_id, device_sn, target, start_ms, end_ms, storage, status, created_ms)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		c.AppID, c.DeviceID, c.DeviceSn, c.Target, c.Start.UnixMilli(), c.End.UnixMilli(), c.Storage, c.Status, c.Created.UnixMilli(),
	).Scan(&c.ID)
	if err != nil {
		return fmt.Errorf("store: add clip: %w", err)
	}
	return nil
}

// ClipTask returns one clip task (domain.ErrNotFound if none).
func (s *Store) ClipTask(ctx context.Context, id int64) (domain.ClipTask, error) {
	c, err := scanClip(s.rdb.QueryRowContext(ctx, s.q(`SELECT `+clipCols+` FROM clip_tasks WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, domain.ErrNotFound
	}
	if err != nil {
		return c, fmt.Errorf("store: clip: %w", err)
	}
	return c, nil
}

// FinishClipTask records a clip's outcome.
func (s *Store) FinishClipTask(ctx context.Context, c domain.ClipTask) error {
	var fstart, fend int64
	if !c.FileStart.IsZero() {
		fstart, fend = c.FileStart.UnixMilli(), c.FileEnd.UnixMilli()
	}
	_, err := s.db.ExecContext(ctx, s.q(`UPDATE clip_tasks SET status = ?, reason = ?, file_key = ?, thumb_key = ?,
		file_start = ?, file_end = ?, size = ? WHERE id = ?`),
		c.Status, c.Reason, c.FileKey, c.ThumbKey, fstart, fend, c.Size, c.ID)
	if err != nil {
		return fmt.Errorf("store: finish clip: %w", err)
	}
	return nil
}

// PendingClipTasks lists the clip tasks still running (a restarted node resumes them).
func (s *Store) PendingClipTasks(ctx context.Context) ([]domain.ClipTask, error) {
	rows, err := s.rdb.QueryContext(ctx, s.q(`SELECT `+clipCols+` FROM clip_tasks WHERE status = ? ORDER BY id`), domain.ClipRunning)
	if err != nil {
		return nil, fmt.Errorf("store: pending clips: %w", err)
	}
	defer rows.Close()
	var out []domain.ClipTask
	for rows.Next() {
		c, err := scanClip(rows)
		if err != nil {
			return nil, fmt.Errorf("store: pending clips: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// DeleteClipTask removes a clip task; the caller deletes its files.
func (s *Store) DeleteClipTask(ctx context.Context, id int64) error {
	if _, err := s.db.ExecContext(ctx, s.q(`DELETE FROM clip_tasks WHERE id = ?`), id); err != nil {
		return fmt.Errorf("store: delete clip: %w", err)
	}
	return nil
}

// RecordingKnown reports whether a segment file is indexed.
func (s *Store) RecordingKnown(ctx context.Context, fileKey string) (bool, error) {
	var n int
	if err := s.rdb.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM recordings WHERE file_key = ?`), fileKey).Scan(&n); err != nil {
		return false, fmt.Errorf("store: recording known: %w", err)
	}
	return n > 0, nil
}
