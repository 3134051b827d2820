package app

import (
	"context"
	"errors"
	"net/url"

	"github.com/vionet/vionet/internal/domain"
)

// Subscribe points a tenant's pushes of one message type at url (4.7.1.1). Subscribing a
// type again replaces its URL.
func (a *App) Subscribe(ctx context.Context, appID, callback string, t int) error {
	if !domain.MsgType(t).Valid() {
		return domain.InvalidField("type", "unknown message type %d (4.7.1.1: 1-9, 11-14)", t)
	}
	u, err := url.Parse(callback)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return domain.InvalidField("url", "must be an absolute http(s) URL")
	}
	if len(callback) > 1024 {
		return domain.InvalidField("url", "at most 1024 characters")
	}
	return a.store.Subscribe(ctx, appID, domain.MsgType(t), callback)
}

// Unsubscribe stops a tenant's pushes of one type (4.7.1.2, numbered as 4.7.1.1).
func (a *App) Unsubscribe(ctx context.Context, appID string, t int) error {
	if !domain.MsgType(t).Valid() {
		return domain.InvalidField("type", "unknown message type %d (4.7.1.1: 1-9, 11-14)", t)
	}
	err := a.store.Unsubscribe(ctx, appID, domain.MsgType(t))
	if errors.Is(err, domain.ErrNotFound) {
		return domain.Errorf(domain.CodeValidation, "not subscribed to type %d", t)
	}
	return err
}
