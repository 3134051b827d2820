package push

import (
	"context"
	"errors"
	"time"
)

// Delivery is one push waiting in the outbox.
type Delivery struct {
	ID        int64
	AppID     string
	URL       string
	MsgType   int
	Body      []byte // the complete JSON body {appId,msgType,data}
	Attempts  int    // failed attempts so far
	CreatedAt time.Time
}

// Outbox is the durable queue of pushes (implemented by internal/store for SQLite and PostgreSQL).
//
// Implementations must be safe for concurrent use: the dispatcher claims from one goroutine and
// records outcomes from its workers.
type Outbox interface {
	// ClaimDue returns up to limit pending deliveries whose next attempt is due at now, and leases
	// them until now+lease so that no other worker (or node) takes them meanwhile; a delivery
	// whose lease lapses (crash) becomes due again.
	ClaimDue(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Delivery, error)
	// MarkDelivered records that the receiver accepted the delivery; it is never attempted again.
	MarkDelivered(ctx context.Context, id int64) error
	// Retry records a failed attempt and schedules the next one.
	Retry(ctx context.Context, id int64, attempts int, next time.Time, lastErr string) error
	// MarkDead moves a delivery that exhausted its retry window to the dead letters.
	MarkDead(ctx context.Context, id int64, attempts int, lastErr string) error
	// Pending counts deliveries not yet delivered nor dead.
	Pending(ctx context.Context) (int, error)
}

// ErrUnknownTenant is what a SecretFunc returns (wrapped) when the tenant no longer exists:
// its pushes are dead-lettered at once. Any other error counts as a failed attempt.
var ErrUnknownTenant = errors.New("push: unknown tenant")

// SecretFunc returns the tenant's current secret key, used to sign each attempt.
//
// An error (typically: the tenant was removed) dead-letters the delivery with the error as reason.
type SecretFunc func(ctx context.Context, appID string) (string, error)
