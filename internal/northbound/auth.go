package northbound

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/vionet/vionet/internal/domain"
	"github.com/vionet/vionet/sdk/signing"
)

// TenantSource finds a tenant's keys by appid (domain.ErrNotFound when unknown).
type TenantSource interface {
	Tenant(ctx context.Context, appID string) (domain.Tenant, error)
}

// signedRequest is what authentication extracts from a request.
type signedRequest struct {
	tenant domain.Tenant
	msgSeq string
	params []byte // the raw JSON parameters (body or jsonObject)
}

// authenticate checks 4.3.1's headers and signature and returns the request's parameters.
// Every failure is 000004 except an oversized body (000002) and the rate limit (000007).
func (s *Server) authenticate(r *http.Request) (signedRequest, error) {
	h := r.Header
	sr := signedRequest{msgSeq: h.Get(signing.HeaderMsgSeq)}
	appID, ts, sig := h.Get(signing.HeaderAppID), h.Get(signing.HeaderTimestamp), h.Get(signing.HeaderSignature)
	for _, hv := range []struct{ name, v string }{{signing.HeaderAppID, appID}, {signing.HeaderTimestamp, ts}, {signing.HeaderSignature, sig}} {
		if hv.v == "" {
			return sr, domain.Errorf(domain.CodeSignature, "missing header %s", hv.name)
		}
	}
	now := s.now()
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(ts) != 13 {
		return sr, domain.Errorf(domain.CodeSignature, "timestamp must be 13-digit milliseconds")
	}
	if skew := now.Sub(time.UnixMilli(ms)); skew > s.opts.TimestampWindow || -skew > s.opts.TimestampWindow {
		return sr, domain.Errorf(domain.CodeSignature, "timestamp expired (%s off server time, window %s)",
			skew.Round(time.Second), s.opts.TimestampWindow)
	}
	t, err := s.tenants.Tenant(r.Context(), appID)
	if errors.Is(err, domain.ErrNotFound) {
		return sr, domain.Errorf(domain.CodeSignature, "unknown appid")
	}
	if err != nil {
		return sr, err
	}
	sr.tenant = t

	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, s.opts.MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return sr, domain.Errorf(domain.CodeMalformed, "request body exceeds %d bytes", s.opts.MaxBodyBytes)
		}
		return sr, domain.Errorf(domain.CodeMalformed, "reading body: %v", err)
	}
	sr.params = body
	switch r.Method {
	case http.MethodGet, http.MethodDelete:
		// GET (and DELETE, per spec-decisions) carry ?jsonObject=URIEncode(json); the signed
		// MD5 is of the decoded value. DELETE may carry a body instead.
		if q := r.URL.Query(); q.Has("jsonObject") {
			sr.params = []byte(q.Get("jsonObject"))
		}
	}
	if !s.signatureMatches(t, appID, ts, r.URL.Path, sr.params, sig) {
		return sr, domain.Errorf(domain.CodeSignature, "signature mismatch")
	}
	if !s.limiter.allow(appID, now) {
		return sr, domain.Errorf(domain.CodeRateLimited, "more than %g requests/s for this appid", s.opts.RateLimit)
	}
	if r.Method != http.MethodGet && s.replays.seen(sig, now) {
		return sr, domain.Errorf(domain.CodeSignature, "replayed request (same signature seen before)")
	}
	return sr, nil
}

// signatureMatches accepts both conventions real clients use when there are no parameters:
// the MD5 of the empty string, or an empty md5 part.
func (s *Server) signatureMatches(t domain.Tenant, appID, ts, uri string, params []byte, sig string) bool {
	if signing.Equal(sig, signing.Request(t.SecretKey, appID, ts, uri, signing.MD5Hex(params))) {
		return true
	}
	return len(params) == 0 && signing.Equal(sig, signing.Request(t.SecretKey, appID, ts, uri, ""))
}
