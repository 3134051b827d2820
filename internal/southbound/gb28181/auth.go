package gb28181

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"time"

	"github.com/icholy/digest"
)

// nonces issues and checks stateless digest nonces: a timestamp and its HMAC. Nothing is
// stored per challenge, so a flood of unknown devices costs no memory.
type nonces struct {
	key []byte
	ttl time.Duration
}

func newNonces(key []byte) *nonces {
	if len(key) == 0 {
		key = make([]byte, 32)
		_, _ = rand.Read(key)
	}
	return &nonces{key: key, ttl: 5 * time.Minute}
}

func (n *nonces) issue(now time.Time) string {
	b := make([]byte, 8, 8+16)
	binary.BigEndian.PutUint64(b, uint64(now.UnixNano()))
	return base64.RawURLEncoding.EncodeToString(append(b, n.mac(b)...))
}

// valid reports whether nonce was issued by this server less than ttl ago.
func (n *nonces) valid(nonce string, now time.Time) bool {
	raw, err := base64.RawURLEncoding.DecodeString(nonce)
	if err != nil || len(raw) != 8+16 {
		return false
	}
	if !hmac.Equal(raw[8:], n.mac(raw[:8])) {
		return false
	}
	issued := time.Unix(0, int64(binary.BigEndian.Uint64(raw[:8])))
	return now.Sub(issued) < n.ttl && issued.Sub(now) < time.Minute
}

func (n *nonces) mac(b []byte) []byte {
	h := hmac.New(sha256.New, n.key)
	h.Write(b)
	return h.Sum(nil)[:16]
}

// challenge is the WWW-Authenticate value for realm with a fresh nonce. qop=auth is offered;
// devices that ignore it answer without qop, and both are accepted.
func (n *nonces) challenge(realm string, now time.Time) digest.Challenge {
	return digest.Challenge{Realm: realm, Nonce: n.issue(now), Algorithm: "MD5", QOP: []string{"auth"}}
}

// verifyDigest checks an Authorization header's response against password.
func verifyDigest(cred *digest.Credentials, method, password string) bool {
	chal := &digest.Challenge{Realm: cred.Realm, Nonce: cred.Nonce, Opaque: cred.Opaque, Algorithm: cred.Algorithm}
	if cred.QOP != "" {
		chal.QOP = []string{cred.QOP}
	}
	want, err := digest.Digest(chal, digest.Options{
		Method: method, URI: cred.URI, Username: cred.Username, Password: password,
		Cnonce: cred.Cnonce, Count: cred.Nc,
	})
	if err != nil {
		return false
	}
	return hmac.Equal([]byte(want.Response), []byte(cred.Response))
}
