package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/vionet/vionet/internal/domain"
)

// AddTenant inserts t; domain.ErrConflict when the appid exists.
func (s *Store) AddTenant(ctx context.Context, t domain.Tenant) error {
	now := s.now().UnixMilli()
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO tenants (appid, secret_key, public_key, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`),
		t.AppID, t.SecretKey, t.PublicKey, now, now)
	if isUniqueViolation(err) {
		return domain.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("store: add tenant: %w", err)
	}
	return nil
}

// Tenant loads one tenant; domain.ErrNotFound when absent.
func (s *Store) Tenant(ctx context.Context, appID string) (domain.Tenant, error) {
	var t domain.Tenant
	var created int64
	st, err := s.prepared(ctx, `SELECT appid, secret_key, public_key, created_at FROM tenants WHERE appid = ?`)
	if err != nil {
		return t, fmt.Errorf("store: tenant: %w", err)
	}
	err = st.QueryRowContext(ctx, appID).Scan(&t.AppID, &t.SecretKey, &t.PublicKey, &created)
	if err != nil {
		return t, notFound(err)
	}
	t.CreatedAt = time.UnixMilli(created)
	return t, nil
}

// Tenants lists all tenants by appid.
func (s *Store) Tenants(ctx context.Context) ([]domain.Tenant, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT appid, secret_key, public_key, created_at FROM tenants ORDER BY appid`)
	if err != nil {
		return nil, fmt.Errorf("store: tenants: %w", err)
	}
	defer rows.Close()
	var out []domain.Tenant
	for rows.Next() {
		var t domain.Tenant
		var created int64
		if err := rows.Scan(&t.AppID, &t.SecretKey, &t.PublicKey, &created); err != nil {
			return nil, err
		}
		t.CreatedAt = time.UnixMilli(created)
		out = append(out, t)
	}
	return out, rows.Err()
}

// RemoveTenant deletes a tenant with its devices and subscriptions.
func (s *Store) RemoveTenant(ctx context.Context, appID string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM tenants WHERE appid = ?`), appID)
		if err != nil {
			return fmt.Errorf("store: remove tenant: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return domain.ErrNotFound
		}
		_, err = tx.ExecContext(ctx, s.q(`DELETE FROM push_outbox WHERE appid = ?`), appID)
		return err
	})
}

// SetTenantSecret replaces a tenant's secret key.
func (s *Store) SetTenantSecret(ctx context.Context, appID, secret string) error {
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE tenants SET secret_key = ?, updated_at = ? WHERE appid = ?`), secret, s.now().UnixMilli(), appID)
	if err != nil {
		return fmt.Errorf("store: rotate secret: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return domain.ErrNotFound
	}
	return nil
}
