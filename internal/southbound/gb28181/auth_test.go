package gb28181

import (
	"testing"
	"time"

	"github.com/icholy/digest"
)

// Devices answer the challenge with qop=auth or, ignoring it, without; both must verify,
// and a wrong password or a forged nonce must not.
func TestDigestWithAndWithoutQOP(t *testing.T) {
	n := newNonces([]byte("k"))
	now := time.Now()
	chal := n.challenge("3402000000", now)
	for _, qop := range []bool{true, false} {
		c := chal
		if !qop {
			c.QOP = nil
		}
		cred, err := digest.Digest(&c, digest.Options{Method: "REGISTER", URI: "sip:34020000002000000001@3402000000",
			Username: "34020000001320000001", Password: "Secret123", Count: 1})
		if err != nil {
			t.Fatal(err)
		}
		if !verifyDigest(cred, "REGISTER", "Secret123") {
			t.Errorf("qop=%v: correct password refused", qop)
		}
		if verifyDigest(cred, "REGISTER", "wrong") {
			t.Errorf("qop=%v: wrong password accepted", qop)
		}
		if !n.valid(cred.Nonce, now) {
			t.Errorf("qop=%v: own nonce invalid", qop)
		}
	}
	if n.valid("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", now) || n.valid(chal.Nonce, now.Add(6*time.Minute)) {
		t.Error("forged or expired nonce accepted")
	}
	if newNonces([]byte("other")).valid(chal.Nonce, now) {
		t.Error("nonce of another key accepted")
	}
}
