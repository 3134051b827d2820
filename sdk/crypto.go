package sdk

// 4.3.2 接口响应参数加解密方式: RSA encryption of sensitive response fields (loginPwd).

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// DecryptSecret decrypts a field the API returns RSA-encrypted (4.3.2), such as loginPwd.
//
// It does what the spec's Java deCode does with Cipher.getInstance("RSA"), i.e.
// RSA/ECB/PKCS1Padding: ciphertextBase64 is Base64 of one or more RSA blocks, each decrypted
// with PKCS #1 v1.5 padding and the results concatenated (one block for a short secret; the
// multi-block form is what "分段解密" Java code produces for long data).
//
// privateKey is the Base64 of a PKCS #8 DER key, as deCode takes it, or a PEM block
// ("PRIVATE KEY" or "RSA PRIVATE KEY"). Base64 may be standard or URL-safe, padded or not,
// and may contain line breaks.
func DecryptSecret(privateKey string, ciphertextBase64 string) (string, error) {
	key, err := parsePrivateKey(privateKey)
	if err != nil {
		return "", err
	}
	ct, err := decodeBase64(ciphertextBase64)
	if err != nil {
		return "", fmt.Errorf("vionet sdk: ciphertext: %w", err)
	}
	k := key.Size()
	if len(ct) == 0 || len(ct)%k != 0 {
		return "", fmt.Errorf("vionet sdk: ciphertext of %d bytes is not a whole number of %d-byte RSA blocks", len(ct), k)
	}
	var out []byte
	for i := 0; i < len(ct); i += k {
		// PKCS #1 v1.5 is deprecated in Go, but it is what Java's Cipher "RSA" uses and what
		// the platform encrypts with.
		pt, err := rsa.DecryptPKCS1v15(nil, key, ct[i:i+k]) //nolint:staticcheck // required by 4.3.2
		if err != nil {
			return "", fmt.Errorf("vionet sdk: decrypt: %w", err)
		}
		out = append(out, pt...)
	}
	return string(out), nil
}

// EncryptSecret is the inverse of [DecryptSecret], the spec's Java enCode: it encrypts
// plaintext with RSA/ECB/PKCS1Padding and returns the Base64 of the ciphertext. publicKey is
// the Base64 of an X.509 SubjectPublicKeyInfo DER key, or a PEM block ("PUBLIC KEY" or
// "RSA PUBLIC KEY"). Plaintext longer than one block allows is encrypted block by block.
func EncryptSecret(publicKey string, plaintext string) (string, error) {
	key, err := parsePublicKey(publicKey)
	if err != nil {
		return "", err
	}
	chunk := key.Size() - 11
	msg := []byte(plaintext)
	var out []byte
	for {
		n := min(chunk, len(msg))
		ct, err := rsa.EncryptPKCS1v15(rand.Reader, key, msg[:n]) //nolint:staticcheck // required by 4.3.2
		if err != nil {
			return "", fmt.Errorf("vionet sdk: encrypt: %w", err)
		}
		out = append(out, ct...)
		msg = msg[n:]
		if len(msg) == 0 {
			break
		}
	}
	return base64.StdEncoding.EncodeToString(out), nil
}

func parsePrivateKey(s string) (*rsa.PrivateKey, error) {
	der, err := keyDER(s, "private")
	if err != nil {
		return nil, err
	}
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("vionet sdk: private key is %T, not RSA", k)
		}
		return rk, nil
	}
	if rk, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return rk, nil
	}
	return nil, errors.New("vionet sdk: private key is neither PKCS #8 nor PKCS #1 RSA")
}

func parsePublicKey(s string) (*rsa.PublicKey, error) {
	der, err := keyDER(s, "public")
	if err != nil {
		return nil, err
	}
	if k, err := x509.ParsePKIXPublicKey(der); err == nil {
		rk, ok := k.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("vionet sdk: public key is %T, not RSA", k)
		}
		return rk, nil
	}
	if rk, err := x509.ParsePKCS1PublicKey(der); err == nil {
		return rk, nil
	}
	return nil, errors.New("vionet sdk: public key is neither X.509 SubjectPublicKeyInfo nor PKCS #1 RSA")
}

// keyDER returns the DER bytes of a key given as PEM or as Base64 DER.
func keyDER(s, what string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "-----BEGIN") {
		block, _ := pem.Decode([]byte(s))
		if block == nil {
			return nil, fmt.Errorf("vionet sdk: %s key: bad PEM", what)
		}
		return block.Bytes, nil
	}
	der, err := decodeBase64(s)
	if err != nil {
		return nil, fmt.Errorf("vionet sdk: %s key: %w", what, err)
	}
	return der, nil
}

// decodeBase64 decodes standard or URL-safe Base64, padded or not, ignoring whitespace, as
// Apache commons-codec's decodeBase64 (used by the spec's Java sample) does.
func decodeBase64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, s)
	s = strings.TrimRight(s, "=")
	if strings.ContainsAny(s, "-_") {
		return base64.RawURLEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}
