package gb28181

import (
	"context"
	"sync"
	"time"
)

// passwords caches SIP passwords for a minute: each registration asks twice (the challenge
// and the authenticated REGISTER), and a storm of them should not be a storm of queries.
// A device deleted meanwhile may still authenticate within the minute; its registration
// then finds no device to update and is ignored.
type passwords struct {
	mu  sync.Mutex
	m   map[string]cachedPassword
	ttl time.Duration
}

type cachedPassword struct {
	pwd     string
	expires time.Time
}

// maxCachedPasswords bounds the cache; reaching it starts afresh.
const maxCachedPasswords = 200_000

func newPasswords() *passwords {
	return &passwords{m: map[string]cachedPassword{}, ttl: time.Minute}
}

// get returns the device's password from the cache or from lookup (whose errors, such as
// an unknown device, are not cached).
func (p *passwords) get(ctx context.Context, id string, now time.Time, lookup func(context.Context, string) (string, error)) (string, error) {
	p.mu.Lock()
	c, ok := p.m[id]
	p.mu.Unlock()
	if ok && now.Before(c.expires) {
		return c.pwd, nil
	}
	pwd, err := lookup(ctx, id)
	if err != nil {
		return "", err
	}
	p.mu.Lock()
	if len(p.m) >= maxCachedPasswords {
		clear(p.m)
	}
	p.m[id] = cachedPassword{pwd: pwd, expires: now.Add(p.ttl)}
	p.mu.Unlock()
	return pwd, nil
}
