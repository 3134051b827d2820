package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/vionet/vionet/internal/domain"
)

// Subscribe sets (or replaces) the callback URL of one message type for a tenant.
func (s *Store) Subscribe(ctx context.Context, appID string, t domain.MsgType, url string) error {
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO subscriptions (appid, msg_type, url, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (appid, msg_type) DO UPDATE SET url = excluded.url`), appID, int(t), url, s.now().UnixMilli())
	if err != nil {
		return fmt.Errorf("store: subscribe: %w", err)
	}
	return nil
}

// Unsubscribe removes a tenant's subscription of one type; domain.ErrNotFound if there was none.
func (s *Store) Unsubscribe(ctx context.Context, appID string, t domain.MsgType) error {
	res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM subscriptions WHERE appid = ? AND msg_type = ?`), appID, int(t))
	if err != nil {
		return fmt.Errorf("store: unsubscribe: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return domain.ErrNotFound
	}
	return nil
}

// Publish writes events to the outbox outside any other change (for events whose cause is
// not itself stored, such as an alarm).
func (s *Store) Publish(ctx context.Context, events ...domain.Event) error {
	return s.tx(ctx, func(tx *sql.Tx) error { return s.enqueue(ctx, tx, events) })
}

// enqueue fans each event out to one outbox row per matching subscription, inside tx, so the
// push exists exactly when the change that caused it was committed.
func (s *Store) enqueue(ctx context.Context, tx *sql.Tx, events []domain.Event) error {
	now := s.now().UnixMilli()
	for _, ev := range events {
		body, err := json.Marshal(pushBody{AppID: ev.AppID, MsgType: int(ev.MsgType), Data: []any{ev.Data}})
		if err != nil {
			return fmt.Errorf("store: event body: %w", err)
		}
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO push_outbox (appid, url, msg_type, body, next_attempt_at, created_at)
			SELECT appid, url, msg_type, ?, ?, ? FROM subscriptions WHERE appid = ? AND msg_type = ?`),
			body, now, now, ev.AppID, int(ev.MsgType))
		if err != nil {
			return fmt.Errorf("store: enqueue push: %w", err)
		}
	}
	return nil
}

// pushBody is the 5.4 request body.
type pushBody struct {
	AppID   string `json:"appId"`
	MsgType int    `json:"msgType"`
	Data    []any  `json:"data"`
}
