package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/vionet/vionet/internal/domain"
)

// NewTenant is what `vionet tenant add` prints: PrivateKey is set only when vionet
// generated the key pair, and is never stored.
type NewTenant struct {
	AppID      string `json:"appid"`
	SecretKey  string `json:"secretkey"`
	PublicKey  string `json:"publicKey"`
	PrivateKey string `json:"privateKey,omitempty"`
}

// AddTenant creates a tenant. Empty appID or secret are generated; an empty publicKey makes
// vionet generate an RSA key pair and return its private half once.
func (a *App) AddTenant(ctx context.Context, appID, secret, publicKey string) (NewTenant, error) {
	out := NewTenant{AppID: appID, SecretKey: secret}
	if out.AppID == "" {
		out.AppID = randomHex(16)
	}
	if out.SecretKey == "" {
		out.SecretKey = randomHex(8)
	}
	if err := validTenantID(out.AppID); err != nil {
		return out, err
	}
	var err error
	if publicKey == "" {
		out.PublicKey, out.PrivateKey, err = NewKeyPair()
	} else {
		out.PublicKey, err = ParsePublicKey(publicKey)
	}
	if err != nil {
		return out, err
	}
	err = a.store.AddTenant(ctx, domain.Tenant{AppID: out.AppID, SecretKey: out.SecretKey, PublicKey: out.PublicKey})
	if errors.Is(err, domain.ErrConflict) {
		return out, fmt.Errorf("tenant %s already exists", out.AppID)
	}
	return out, err
}

// Tenants lists every tenant.
func (a *App) Tenants(ctx context.Context) ([]domain.Tenant, error) { return a.store.Tenants(ctx) }

// RemoveTenant deletes a tenant with all its devices, subscriptions and pending pushes.
func (a *App) RemoveTenant(ctx context.Context, appID string) error {
	if err := a.store.RemoveTenant(ctx, appID); err != nil {
		return tenantErr(appID, err)
	}
	return nil
}

// RotateSecret gives a tenant a new secret key (or the one given) and returns it.
func (a *App) RotateSecret(ctx context.Context, appID, secret string) (string, error) {
	if secret == "" {
		secret = randomHex(8)
	}
	if err := a.store.SetTenantSecret(ctx, appID, secret); err != nil {
		return "", tenantErr(appID, err)
	}
	return secret, nil
}

// Tenant returns a tenant for request authentication, from a short-lived cache so that a
// signed request costs no query, while CLI changes still show up within the TTL.
func (a *App) Tenant(ctx context.Context, appID string) (domain.Tenant, error) {
	return a.tenants.get(ctx, appID)
}

func tenantErr(appID string, err error) error {
	if errors.Is(err, domain.ErrNotFound) {
		return fmt.Errorf("tenant %s does not exist", appID)
	}
	return err
}

func validTenantID(id string) error {
	if len(id) == 0 || len(id) > 64 {
		return fmt.Errorf("appid must be 1-64 characters")
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return fmt.Errorf("appid %q: only letters, digits, - and _", id)
		}
	}
	return nil
}

// tenantCache caches tenant lookups, including misses, for ttl.
type tenantCache struct {
	store Store
	ttl   time.Duration
	mu    sync.RWMutex
	m     map[string]cachedTenant
}

type cachedTenant struct {
	t       domain.Tenant
	found   bool
	expires time.Time
}

// maxCachedTenants bounds the cache against lookups of random appids.
const maxCachedTenants = 100_000

func newTenantCache(s Store, ttl time.Duration) *tenantCache {
	return &tenantCache{store: s, ttl: ttl, m: map[string]cachedTenant{}}
}

func (c *tenantCache) get(ctx context.Context, appID string) (domain.Tenant, error) {
	now := time.Now()
	c.mu.RLock()
	e, ok := c.m[appID]
	c.mu.RUnlock()
	if ok && now.Before(e.expires) {
		if !e.found {
			return domain.Tenant{}, domain.ErrNotFound
		}
		return e.t, nil
	}
	t, err := c.store.Tenant(ctx, appID)
	found := err == nil
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return t, err
	}
	if c.ttl > 0 {
		c.mu.Lock()
		if len(c.m) >= maxCachedTenants {
			clear(c.m)
		}
		c.m[appID] = cachedTenant{t: t, found: found, expires: now.Add(c.ttl)}
		c.mu.Unlock()
	}
	return t, err
}
