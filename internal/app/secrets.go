package app

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"strings"
	"sync"

	"github.com/vionet/vionet/internal/domain"
)

// randomHex returns n random bytes as lowercase hex.
func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error()) // the OS entropy source never fails on Linux
	}
	return hex.EncodeToString(b)
}

// strongPassword returns a 16-character password with upper, lower and digit characters,
// the kind camera firmware accepts as a SIP password.
func strongPassword() string {
	const sets = "ABCDEFGHJKLMNPQRSTUVWXYZ" + "abcdefghijkmnpqrstuvwxyz" + "23456789"
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	out := make([]byte, len(b))
	for i, x := range b {
		switch i {
		case 0:
			out[i] = sets[int(x)%24]
		case 1:
			out[i] = sets[24+int(x)%24]
		case 2:
			out[i] = sets[48+int(x)%8]
		default:
			out[i] = sets[int(x)%len(sets)]
		}
	}
	return string(out)
}

// ParsePublicKey accepts an RSA public key as X.509 SubjectPublicKeyInfo in PEM or as
// Base64 DER (the form 4.3.2's Java code uses) and returns it as Base64 DER.
func ParsePublicKey(in string) (string, error) {
	in = strings.TrimSpace(in)
	var der []byte
	if block, _ := pem.Decode([]byte(in)); block != nil {
		der = block.Bytes
	} else {
		var err error
		der, err = base64.StdEncoding.DecodeString(strings.Join(strings.Fields(in), ""))
		if err != nil {
			return "", fmt.Errorf("public key: neither PEM nor Base64 DER: %w", err)
		}
	}
	key, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return "", fmt.Errorf("public key: not X.509 SubjectPublicKeyInfo: %w", err)
	}
	if _, ok := key.(*rsa.PublicKey); !ok {
		return "", fmt.Errorf("public key: %T is not RSA", key)
	}
	return base64.StdEncoding.EncodeToString(der), nil
}

// NewKeyPair generates a 2048-bit RSA key pair: the public key as Base64 X.509 DER and the
// private key as Base64 PKCS#8 DER (what 4.3.2's Java deCode takes).
func NewKeyPair() (public, private string, err error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", "", err
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return "", "", err
	}
	priv, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", "", err
	}
	return base64.StdEncoding.EncodeToString(pub), base64.StdEncoding.EncodeToString(priv), nil
}

// Sealer encrypts secrets for tenants as 4.3.2 specifies: RSA/ECB/PKCS1Padding with the
// tenant's public key, Base64 — what Java's Cipher.getInstance("RSA") decrypts.
//
// Device detail returns the SIP password encrypted on every call, so the Sealer remembers
// parsed keys and, per (key, secret), the ciphertext: any PKCS#1 v1.5 ciphertext of the
// secret decrypts to it, and a new key or secret is a new cache entry.
type Sealer struct {
	mu    sync.Mutex
	keys  map[string]*rsa.PublicKey
	cache map[sealKey]string
}

type sealKey struct{ publicKey, secret string }

// maxSealed bounds each cache; reaching it starts the cache afresh.
const maxSealed = 100_000

// NewSealer returns an empty Sealer.
func NewSealer() *Sealer {
	return &Sealer{keys: map[string]*rsa.PublicKey{}, cache: map[sealKey]string{}}
}

// Seal encrypts secret with the tenant's public key.
func (s *Sealer) Seal(t domain.Tenant, secret string) (string, error) {
	k := sealKey{t.PublicKey, secret}
	s.mu.Lock()
	ct, ok := s.cache[k]
	pub := s.keys[t.PublicKey]
	s.mu.Unlock()
	if ok {
		return ct, nil
	}
	if pub == nil {
		var err error
		if pub, err = parseRSAPublicKey(t.PublicKey); err != nil {
			return "", err
		}
	}
	raw, err := rsa.EncryptPKCS1v15(rand.Reader, pub, []byte(secret)) //nolint:staticcheck // 4.3.2 mandates PKCS#1 v1.5
	if err != nil {
		return "", domain.Errorf(domain.CodeDecrypt, "encrypt: %v", err)
	}
	ct = base64.StdEncoding.EncodeToString(raw)
	s.mu.Lock()
	if len(s.cache) >= maxSealed {
		clear(s.cache)
	}
	if len(s.keys) >= maxSealed {
		clear(s.keys)
	}
	s.cache[k] = ct
	s.keys[t.PublicKey] = pub
	s.mu.Unlock()
	return ct, nil
}

func parseRSAPublicKey(b64 string) (*rsa.PublicKey, error) {
	der, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, domain.Errorf(domain.CodeDecrypt, "tenant public key unreadable: %v", err)
	}
	key, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, domain.Errorf(domain.CodeDecrypt, "tenant public key unreadable: %v", err)
	}
	pub, ok := key.(*rsa.PublicKey)
	if !ok {
		return nil, domain.Errorf(domain.CodeDecrypt, "tenant public key is not RSA")
	}
	return pub, nil
}
