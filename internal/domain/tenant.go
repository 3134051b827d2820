package domain

import "time"

// Tenant is an application that calls the northbound API (4.3.1: appid + secretkey), with
// the RSA public key that encrypts secrets returned to it (4.3.2).
type Tenant struct {
	AppID     string
	SecretKey string
	// PublicKey is the X.509 SubjectPublicKeyInfo, DER, Base64 (the form 4.3.2's Java code takes).
	PublicKey string
	CreatedAt time.Time
}
