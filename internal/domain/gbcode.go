package domain

import (
	"crypto/rand"
	"fmt"
	"math/big"
)

// GB/T 28181 code type digits (positions 11-13 of the 20-digit code, Appendix D).
const (
	GBTypeNVR    = "118" // 网络视频录像机
	GBTypeCamera = "131" // 摄像机 (an NVR channel)
	GBTypeIPC    = "132" // 网络摄像机
)

// ValidGBCode reports whether s is a 20-digit GB/T 28181 code.
func ValidGBCode(s string) bool {
	if len(s) != 20 {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// NewGBCode returns a random code under domain (10 digits: centre code + industry code)
// with the given type digits, network digit 0 and a random 6-digit serial. Callers retry
// on a uniqueness conflict.
func NewGBCode(domain, typeDigits string) (string, error) {
	if len(domain) != 10 || len(typeDigits) != 3 {
		return "", fmt.Errorf("gb code: domain %q / type %q malformed", domain, typeDigits)
	}
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s%s0%06d", domain, typeDigits, n.Int64()), nil
}
