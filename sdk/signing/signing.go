// Package signing implements the two HMAC-SHA256 signatures of the 视联网 北向接口规范 v1.3.1:
// the request signature a tenant puts in the `signature` header (4.3.1) and the push
// signature vionet puts in the `sign` header of every callback (5.4).
//
// Both the server and the Go SDK use this package, so the two sides can never drift apart.
// It depends on the standard library only.
package signing

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// Header names used by tenant requests (4.3.1, 表A-2).
const (
	HeaderAppID     = "appid"
	HeaderMsgSeq    = "msgSeq"
	HeaderTimestamp = "timestamp"
	HeaderSignature = "signature"
)

// Header names used by vionet's pushes (5.4). Note the different spelling: appId and sign.
const (
	PushHeaderAppID     = "appId"
	PushHeaderTimestamp = "timestamp"
	PushHeaderSign      = "sign"
)

// MD5Hex returns the lowercase hex MD5 of b, the form the spec's Java sample (md532bit) produces.
func MD5Hex(b []byte) string {
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}

// RequestString is the string that 4.3.1 signs: "secretkey,appid,timestamp,uri,md5" joined
// with bare commas, as the spec's Java sample builds it (the prose example's ", " is not
// what any client sends).
func RequestString(secretKey, appID, timestamp, uri, bodyMD5 string) string {
	return strings.Join([]string{secretKey, appID, timestamp, uri, bodyMD5}, ",")
}

// Request returns the 4.3.1 signature: Base64(HMAC-SHA256(secretKey, RequestString(...))).
// uri is the request path without the query string; bodyMD5 is MD5Hex of the raw body
// (POST/PUT) or of the decoded jsonObject value (GET/DELETE).
func Request(secretKey, appID, timestamp, uri, bodyMD5 string) string {
	return mac(secretKey, RequestString(secretKey, appID, timestamp, uri, bodyMD5))
}

// PushString is the string that 5.4 signs: "secretkey,appid,timestamp,md5(body)".
func PushString(secretKey, appID, timestamp string, body []byte) string {
	return strings.Join([]string{secretKey, appID, timestamp, MD5Hex(body)}, ",")
}

// Push returns the 5.4 push signature: Base64(HMAC-SHA256(secretKey, PushString(...))).
func Push(secretKey, appID, timestamp string, body []byte) string {
	return mac(secretKey, PushString(secretKey, appID, timestamp, body))
}

// Equal compares two Base64 signatures in constant time.
func Equal(a, b string) bool {
	return hmac.Equal([]byte(a), []byte(b))
}

func mac(key, msg string) string {
	h := hmac.New(sha256.New, []byte(key))
	h.Write([]byte(msg))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}
