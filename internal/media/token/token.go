// Package token signs and checks the tokens every viewer and publisher URL
// carries. A token binds a stream path, a tenant (appid), an action (read or
// publish) and an expiry, and is signed with HMAC-SHA256 under a server key,
// so media servers check it without a database round trip.
//
// Wire form (URL-safe, no padding): base64url(payload) "." base64url(mac),
// where payload is "v1|action|appid|expiry-unix|path". The path is inside
// the signed payload, so a token minted for one stream does not open another.
package token

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Action says what a token allows.
type Action string

// Actions.
const (
	Read    Action = "r" // watch a stream (every viewer protocol, thumbnails, files)
	Publish Action = "p" // push a stream (RTMP publish)
)

// Claims is what a token asserts.
type Claims struct {
	Path    string    // hub path (or file key) the token opens
	AppID   string    // tenant the URL was issued to; empty for operator-minted tokens
	Action  Action    // Read or Publish
	Expires time.Time // refused at and after this instant
}

// Errors returned by Verify. They are distinct so servers can log and count
// the cause; clients get a plain 401/403 either way.
var (
	ErrMalformed = errors.New("token: malformed")
	ErrSignature = errors.New("token: bad signature")
	ErrExpired   = errors.New("token: expired")
	ErrWrongPath = errors.New("token: issued for another stream")
	ErrAction    = errors.New("token: action not allowed")
)

// Key signs and verifies tokens. The zero Key is unusable; use NewKey.
type Key struct{ secret []byte }

// NewKey returns a Key for the given secret (at least 16 bytes).
func NewKey(secret []byte) (Key, error) {
	if len(secret) < 16 {
		return Key{}, fmt.Errorf("token: key must be at least 16 bytes, got %d", len(secret))
	}
	return Key{secret: append([]byte(nil), secret...)}, nil
}

var b64 = base64.RawURLEncoding.Strict()

// Sign returns the token for c.
func (k Key) Sign(c Claims) string {
	payload := strings.Join([]string{"v1", string(c.Action), c.AppID, strconv.FormatInt(c.Expires.Unix(), 10), c.Path}, "|")
	return b64.EncodeToString([]byte(payload)) + "." + b64.EncodeToString(k.mac([]byte(payload)))
}

func (k Key) mac(payload []byte) []byte {
	m := hmac.New(sha256.New, k.secret)
	m.Write(payload)
	return m.Sum(nil)
}

// Parse checks the signature and expiry of tok and returns its claims,
// without checking path or action.
func (k Key) Parse(tok string, now time.Time) (Claims, error) {
	if len(k.secret) == 0 {
		return Claims{}, ErrSignature
	}
	p64, m64, ok := strings.Cut(tok, ".")
	if !ok || len(tok) > 4096 {
		return Claims{}, ErrMalformed
	}
	payload, err1 := b64.DecodeString(p64)
	mac, err2 := b64.DecodeString(m64)
	if err1 != nil || err2 != nil {
		return Claims{}, ErrMalformed
	}
	if !hmac.Equal(mac, k.mac(payload)) {
		return Claims{}, ErrSignature
	}
	f := strings.SplitN(string(payload), "|", 5)
	if len(f) != 5 || f[0] != "v1" {
		return Claims{}, ErrMalformed
	}
	exp, err := strconv.ParseInt(f[3], 10, 64)
	if err != nil {
		return Claims{}, ErrMalformed
	}
	c := Claims{Action: Action(f[1]), AppID: f[2], Expires: time.Unix(exp, 0), Path: f[4]}
	if !now.Before(c.Expires) {
		return c, ErrExpired
	}
	return c, nil
}

// Verify checks tok for action on path at time now.
func (k Key) Verify(tok, path string, action Action, now time.Time) (Claims, error) {
	c, err := k.Parse(tok, now)
	if err != nil {
		return c, err
	}
	if c.Path != path {
		return c, ErrWrongPath
	}
	if c.Action != action {
		return c, ErrAction
	}
	return c, nil
}
