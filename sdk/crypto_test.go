package sdk

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"strings"
	"sync"
	"testing"
)

var (
	keyOnce sync.Once
	testKey *rsa.PrivateKey
)

func rsaKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	keyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		testKey = k
	})
	return testKey
}

// keyForms returns the private key as Base64 PKCS #8 (what 4.3.2's deCode takes), PEM
// PKCS #8 and PEM PKCS #1, and the public key as Base64 X.509 and PEM.
func keyForms(t *testing.T, k *rsa.PrivateKey) (privs, pubs map[string]string) {
	t.Helper()
	p8, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	spki, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	privs = map[string]string{
		"base64 pkcs8":    base64.StdEncoding.EncodeToString(p8),
		"pem pkcs8":       string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8})),
		"pem pkcs1":       string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})),
		"wrapped base64":  wrap76(base64.StdEncoding.EncodeToString(p8)),
		"url-safe base64": base64.RawURLEncoding.EncodeToString(p8),
	}
	pubs = map[string]string{
		"base64 x509": base64.StdEncoding.EncodeToString(spki),
		"pem x509":    string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spki})),
		"pem pkcs1":   string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&k.PublicKey)})),
	}
	return privs, pubs
}

// wrap76 breaks s into MIME lines as commons-codec's encodeBase64Chunked does.
func wrap76(s string) string {
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	b.WriteString(s)
	return b.String()
}

func TestDecryptSecretPKCS1v15(t *testing.T) {
	k := rsaKey(t)
	privs, _ := keyForms(t, k)
	// What Java's Cipher.getInstance("RSA") ENCRYPT_MODE produces: one PKCS #1 v1.5 block.
	ct, err := rsa.EncryptPKCS1v15(rand.Reader, &k.PublicKey, []byte("Pa$$w0rd-中文"))
	if err != nil {
		t.Fatal(err)
	}
	ctB64 := base64.StdEncoding.EncodeToString(ct)
	for name, priv := range privs {
		got, err := DecryptSecret(priv, ctB64)
		if err != nil || got != "Pa$$w0rd-中文" {
			t.Errorf("%s: got %q, %v", name, got, err)
		}
	}
}

func TestEncryptDecryptRoundTrip(t *testing.T) {
	k := rsaKey(t)
	privs, pubs := keyForms(t, k)
	long := strings.Repeat("0123456789abcdef", 40) // 640 bytes: three 2048-bit blocks
	for _, plain := range []string{"", "x", "12345678", long} {
		for pname, pub := range pubs {
			ct, err := EncryptSecret(pub, plain)
			if err != nil {
				t.Fatalf("%s: %v", pname, err)
			}
			got, err := DecryptSecret(privs["base64 pkcs8"], ct)
			if err != nil || got != plain {
				t.Errorf("%s %d bytes: got %q, %v", pname, len(plain), got, err)
			}
		}
	}
}

func TestDecryptSecretErrors(t *testing.T) {
	k := rsaKey(t)
	privs, pubs := keyForms(t, k)
	ct, _ := EncryptSecret(pubs["base64 x509"], "secret")
	other, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	otherPriv, _ := keyForms(t, other)
	for name, tc := range map[string][2]string{
		"wrong key":         {otherPriv["base64 pkcs8"], ct},
		"not base64":        {privs["base64 pkcs8"], "%%%"},
		"truncated":         {privs["base64 pkcs8"], ct[:20]},
		"garbage key":       {"aGVsbG8=", ct},
		"public as private": {pubs["base64 x509"], ct},
		"empty ciphertext":  {privs["base64 pkcs8"], ""},
	} {
		if got, err := DecryptSecret(tc[0], tc[1]); err == nil {
			t.Errorf("%s: no error, got %q", name, got)
		}
	}
	if _, err := EncryptSecret(privs["base64 pkcs8"], "x"); err == nil {
		t.Error("EncryptSecret accepted a private key")
	}
}
