package gb28181

import (
	"sync"
	"time"
)

// Multi-part answers (Catalog, RecordInfo) come in several MESSAGEs that each carry the
// query's SN, the total SumNum and a few items; they are collected per device, CmdType and
// SN until SumNum items arrived.

// maxParts bounds one assembly against a device announcing an absurd SumNum.
const maxParts = 10_000

type assembly[T any] struct {
	key     waiterKey
	sum     int
	items   []T
	seen    map[string]bool // by item identity: a resent part is not counted twice
	updated time.Time
}

type assemblies[T any] struct {
	mu sync.Mutex
	m  map[waiterKey]*assembly[T]
}

func newAssemblies[T any]() *assemblies[T] {
	return &assemblies[T]{m: map[waiterKey]*assembly[T]{}}
}

// add merges one part, identifying items with id; it returns the assembly once complete.
// A SumNum of 0 completes at once (a device with nothing to list).
func (c *assemblies[T]) add(k waiterKey, sum int, items []T, id func(T) string, now time.Time) *assembly[T] {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.m[k]
	if !ok {
		a = &assembly[T]{key: k, seen: map[string]bool{}}
		c.m[k] = a
	}
	a.sum = min(max(a.sum, sum), maxParts)
	a.updated = now
	for _, it := range items {
		if key := id(it); !a.seen[key] && len(a.items) < maxParts {
			a.seen[key] = true
			a.items = append(a.items, it)
		}
	}
	if len(a.items) >= a.sum {
		delete(c.m, k)
		return a
	}
	return nil
}

// stale returns (and forgets) assemblies that stopped growing: a lost UDP part must not
// hold the answer back forever, so what arrived is used.
func (c *assemblies[T]) stale(now time.Time, age time.Duration) []*assembly[T] {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []*assembly[T]
	for k, a := range c.m {
		if now.Sub(a.updated) > age {
			delete(c.m, k)
			out = append(out, a)
		}
	}
	return out
}
