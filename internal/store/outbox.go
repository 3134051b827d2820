package store

import (
	"context"
	"fmt"
	"time"

	"github.com/vionet/vionet/internal/push"
)

// Outbox status values.
const (
	outboxPending = 0
	outboxDead    = 2
)

// Outbox returns the store as the push dispatcher's durable queue.
func (s *Store) Outbox() push.Outbox { return outbox{s} }

type outbox struct{ s *Store }

var _ push.Outbox = outbox{}

func (o outbox) ClaimDue(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]push.Delivery, error) {
	pick := `SELECT id FROM push_outbox WHERE status = 0 AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?`
	if o.s.engine == Postgres {
		pick += ` FOR UPDATE SKIP LOCKED`
	}
	rows, err := o.s.db.QueryContext(ctx, o.s.q(`UPDATE push_outbox SET next_attempt_at = ? WHERE id IN (`+pick+`)
		RETURNING id, appid, url, msg_type, body, attempts, created_at`),
		now.Add(lease).UnixMilli(), now.UnixMilli(), limit)
	if err != nil {
		return nil, fmt.Errorf("store: claim pushes: %w", err)
	}
	defer rows.Close()
	var out []push.Delivery
	for rows.Next() {
		var d push.Delivery
		var created int64
		if err := rows.Scan(&d.ID, &d.AppID, &d.URL, &d.MsgType, &d.Body, &d.Attempts, &created); err != nil {
			return nil, err
		}
		d.CreatedAt = time.UnixMilli(created)
		out = append(out, d)
	}
	return out, rows.Err()
}

func (o outbox) MarkDelivered(ctx context.Context, id int64) error {
	_, err := o.s.db.ExecContext(ctx, o.s.q(`DELETE FROM push_outbox WHERE id = ?`), id)
	return err
}

func (o outbox) Retry(ctx context.Context, id int64, attempts int, next time.Time, lastErr string) error {
	_, err := o.s.db.ExecContext(ctx, o.s.q(`UPDATE push_outbox SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?`),
		attempts, next.UnixMilli(), lastErr, id)
	return err
}

func (o outbox) MarkDead(ctx context.Context, id int64, attempts int, lastErr string) error {
	_, err := o.s.db.ExecContext(ctx, o.s.q(`UPDATE push_outbox SET status = ?, attempts = ?, last_error = ? WHERE id = ?`),
		outboxDead, attempts, lastErr, id)
	return err
}

func (o outbox) Pending(ctx context.Context) (int, error) {
	var n int
	err := o.s.db.QueryRowContext(ctx, o.s.q(`SELECT COUNT(*) FROM push_outbox WHERE status = ?`), outboxPending).Scan(&n)
	return n, err
}
