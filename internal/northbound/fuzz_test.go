package northbound

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vionet/vionet/internal/domain"
	"github.com/vionet/vionet/sdk/signing"
)

// FuzzParseParams feeds arbitrary bytes through the body/jsonObject decoder and every typed
// getter: nothing may panic, and every failure must be a coded error.
func FuzzParseParams(f *testing.F) {
	for _, s := range []string{`{"deviceSn":"34020000001320000001"}`, `{"protocol":"1","deviceType":2,"channelCount":16}`,
		`{"channels":[{"channelName":"a"},{}]}`, `{"page":0,"pageSize":"101"}`, `[]`, `{"force":true}`, "{\"a\":\"\xff\"}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		p, err := ParseParams(raw)
		if err != nil {
			if domain.CodeOf(err) != domain.CodeMalformed {
				t.Fatalf("parse error without 000002: %v", err)
			}
			return
		}
		d := p.Decode()
		for k := range p.m {
			d.String(k, Optional)
			d.Int(k, Optional)
			d.OptInt(k)
			d.Flag(k)
			for _, o := range d.Objects(k, Optional) {
				od := o.Decode()
				od.String("channelName", Required)
			}
		}
		d.PageRequest()
		if err := d.Err(); err != nil && domain.CodeOf(err) != domain.CodeInvalidParam {
			t.Fatalf("field error without 000003: %v", err)
		}
	})
}

type fixedTenant domain.Tenant

func (f fixedTenant) Tenant(_ context.Context, appID string) (domain.Tenant, error) {
	if appID != f.AppID {
		return domain.Tenant{}, domain.ErrNotFound
	}
	return domain.Tenant(f), nil
}

// FuzzAuthenticate feeds arbitrary header values, query strings and bodies through the
// authentication path: it must answer with a coded error or succeed only for a valid
// signature, and never panic.
func FuzzAuthenticate(f *testing.F) {
	ts := "1700000000000"
	f.Add("GET", "app", ts, "sig", "jsonObject=%7B%7D", []byte(""))
	f.Add("POST", "app", ts, signing.Request("secret", "app", ts, "/cmiot/v2/api/device", signing.MD5Hex([]byte(`{}`))), "", []byte(`{}`))
	f.Add("DELETE", "", "17", "", "jsonObject=%zz", []byte("{"))
	f.Add("PUT", "app", "-999999999999", "====", "", []byte("x"))
	now := time.UnixMilli(1700000000000)
	f.Fuzz(func(t *testing.T, method, appID, timestamp, sig, query string, body []byte) {
		switch method {
		case "GET", "POST", "PUT", "DELETE":
		default:
			method = "POST"
		}
		s := &Server{
			tenants: fixedTenant{AppID: "app", SecretKey: "secret"},
			opts:    Options{TimestampWindow: 15 * time.Minute, MaxBodyBytes: 1 << 16, RateLimit: 1e9, RateBurst: 1e9},
			now:     func() time.Time { return now },
			limiter: newRateLimiter(1e9, 1e9),
			replays: newReplayGuard(15*time.Minute, now),
		}
		r := httptest.NewRequest(method, "/cmiot/v2/api/device", strings.NewReader(string(body)))
		r.URL.RawQuery = query
		for k, v := range map[string]string{"appid": appID, "timestamp": timestamp, "signature": sig} {
			if !validHeaderValue(v) {
				return
			}
			r.Header.Set(k, v)
		}
		sr, err := s.authenticate(r)
		if err != nil {
			switch domain.CodeOf(err) {
			case domain.CodeSignature, domain.CodeMalformed, domain.CodeRateLimited:
			default:
				t.Fatalf("unexpected code: %v", err)
			}
			return
		}
		params := body
		if (method == "GET" || method == "DELETE") && r.URL.Query().Has("jsonObject") {
			params = []byte(r.URL.Query().Get("jsonObject"))
		}
		want := signing.Request("secret", "app", timestamp, "/cmiot/v2/api/device", signing.MD5Hex(params))
		if sr.tenant.AppID != "app" || (sig != want && len(params) != 0) {
			t.Fatalf("accepted a bad signature")
		}
	})
}

func validHeaderValue(v string) bool {
	if v == "" {
		return true
	}
	h := http.Header{}
	h.Set("x", v)
	return !strings.ContainsAny(v, "\r\n\x00") && url.QueryEscape(v) != "" && h.Get("x") == v
}
