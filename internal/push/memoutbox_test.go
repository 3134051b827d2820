package push

import (
	"context"
	"sort"
	"sync"
	"time"
)

type rowStatus int

const (
	statusPending rowStatus = iota
	statusDelivered
	statusDead
)

type memRow struct {
	Delivery
	next    time.Time
	status  rowStatus
	lastErr string
	retries []string // lastErr of every Retry call, in order
}

// memOutbox is an in-memory Outbox with the semantics the store gives it.
type memOutbox struct {
	mu     sync.Mutex
	rows   map[int64]*memRow
	nextID int64
	claims int // ClaimDue calls
	limits []int
}

func newMemOutbox() *memOutbox { return &memOutbox{rows: map[int64]*memRow{}} }

func (m *memOutbox) add(d Delivery) int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.nextID++
	d.ID = m.nextID
	if d.CreatedAt.IsZero() {
		d.CreatedAt = time.Now()
	}
	m.rows[d.ID] = &memRow{Delivery: d, next: d.CreatedAt}
	return d.ID
}

func (m *memOutbox) row(id int64) memRow {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := *m.rows[id]
	r.retries = append([]string(nil), r.retries...)
	return r
}

func (m *memOutbox) claimCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.claims
}

func (m *memOutbox) ClaimDue(_ context.Context, now time.Time, lease time.Duration, limit int) ([]Delivery, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.claims++
	m.limits = append(m.limits, limit)
	var due []*memRow
	for _, r := range m.rows {
		if r.status == statusPending && !r.next.After(now) {
			due = append(due, r)
		}
	}
	sort.Slice(due, func(i, j int) bool { return due[i].ID < due[j].ID })
	var out []Delivery
	for _, r := range due {
		if len(out) == limit {
			break
		}
		r.next = now.Add(lease)
		d := r.Delivery
		d.Body = append([]byte(nil), r.Body...)
		out = append(out, d)
	}
	return out, nil
}

func (m *memOutbox) MarkDelivered(_ context.Context, id int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rows[id].status = statusDelivered
	return nil
}

func (m *memOutbox) Retry(_ context.Context, id int64, attempts int, next time.Time, lastErr string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.rows[id]
	r.Attempts, r.next, r.lastErr = attempts, next, lastErr
	r.retries = append(r.retries, lastErr)
	return nil
}

func (m *memOutbox) MarkDead(_ context.Context, id int64, attempts int, lastErr string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.rows[id]
	r.status, r.Attempts, r.lastErr = statusDead, attempts, lastErr
	return nil
}

func (m *memOutbox) Pending(context.Context) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, r := range m.rows {
		if r.status == statusPending {
			n++
		}
	}
	return n, nil
}
