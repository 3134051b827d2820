package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vionet/vionet/sdk"
)

func TestSigningConventionsAccepted(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		s := startServer(t, e)
		k := s.addTenant()
		base := rawCall{appID: k.AppID, secret: k.SecretKey}

		list := base
		list.method, list.path = http.MethodGet, "/cmiot/v2/api/device/list"
		expectCode(t, "GET without params, md5(\"\")", list.do(t, s.url()), "000000", "成功")
		list.emptyMD5 = true
		expectCode(t, "GET without params, empty md5", list.do(t, s.url()), "000000", "成功")

		withParams := base
		withParams.method, withParams.path, withParams.params = http.MethodGet, "/cmiot/v2/api/device/list", `{"page":1,"pageSize":5}`
		env := withParams.do(t, s.url())
		expectCode(t, "GET with jsonObject", env, "000000", "成功")
		if env.msgSeq != "trace-1" {
			t.Errorf("msgSeq not echoed: %q", env.msgSeq)
		}

		add := base
		add.method, add.path, add.params = http.MethodPost, "/cmiot/v2/api/device", `{"protocol":1,"deviceType":1}`
		expectCode(t, "POST body", add.do(t, s.url()), "000000", "成功")

		// The SDK with both empty-body conventions.
		for _, conv := range []sdk.EmptyBodyMD5Convention{sdk.MD5OfEmpty, sdk.EmptyMD5} {
			c := s.client(k, sdk.WithEmptyBodyMD5Convention(conv))
			if _, _, err := c.ListDevices(ctx(t), 0, 0); err != nil {
				t.Errorf("SDK convention %v: %v", conv, err)
			}
		}
	})
}

func TestAuthenticationFailures(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		s := startServer(t, e)
		k := s.addTenant()
		other := s.addTenant()
		post := rawCall{appID: k.AppID, secret: k.SecretKey, method: http.MethodPost, path: "/cmiot/v2/api/device",
			params: `{"protocol":1,"deviceType":1}`}
		tampered := `{"protocol":1,"deviceType":2,"channelCount":4}`

		cases := map[string]func(c *rawCall){
			"wrong secret":           func(c *rawCall) { c.secret = other.SecretKey },
			"wrong appid":            func(c *rawCall) { c.appID = "nosuchapp" },
			"other tenant's appid":   func(c *rawCall) { c.appID = other.AppID },
			"tampered body":          func(c *rawCall) { orig := c.params; c.signParams = &orig; c.params = tampered },
			"tampered uri":           func(c *rawCall) { c.signPath = "/cmiot/v2/api/device/list" },
			"timestamp 16 min old":   func(c *rawCall) { c.timestamp = time.Now().Add(-16 * time.Minute) },
			"timestamp 16 min ahead": func(c *rawCall) { c.timestamp = time.Now().Add(16 * time.Minute) },
			"missing appid":          func(c *rawCall) { c.drop = "appid" },
			"missing timestamp":      func(c *rawCall) { c.drop = "timestamp" },
			"missing signature":      func(c *rawCall) { c.drop = "signature" },
			"10-digit timestamp":     func(c *rawCall) { c.headers = map[string]string{"timestamp": "1700000000"} },
		}
		for name, mutate := range cases {
			c := post
			mutate(&c)
			expectCode(t, name, c.do(t, s.url()), "000004", "签名验证失败")
		}
		old := post
		old.timestamp = time.Now().Add(-16 * time.Minute)
		expectCode(t, "timestamp message", old.do(t, s.url()), "000004", "timestamp expired")

		// GET jsonObject tampered after signing.
		get := rawCall{appID: k.AppID, secret: k.SecretKey, method: http.MethodGet, path: "/cmiot/v2/api/device/list", params: `{"page":1}`}
		signed := `{"page":2}`
		get.signParams = &signed
		expectCode(t, "tampered jsonObject", get.do(t, s.url()), "000004", "signature mismatch")

		// Replay: the exact same signed POST twice.
		replay := post
		replay.timestamp = time.Now()
		expectCode(t, "first send", replay.do(t, s.url()), "000000", "")
		expectCode(t, "replay", replay.do(t, s.url()), "000004", "replayed")
		// A GET may repeat.
		again := rawCall{appID: k.AppID, secret: k.SecretKey, method: http.MethodGet, path: "/cmiot/v2/api/device/list", timestamp: time.Now()}
		expectCode(t, "GET once", again.do(t, s.url()), "000000", "")
		expectCode(t, "GET twice", again.do(t, s.url()), "000000", "")
	})
}

func TestMalformedAndMissing(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		s := startServer(t, e, "--max-body-bytes", "4096")
		k := s.addTenant()
		c := rawCall{appID: k.AppID, secret: k.SecretKey, method: http.MethodPost, path: "/cmiot/v2/api/device"}
		for _, bad := range []string{`{"protocol":1,`, `[1]`, `not json`} {
			c.params = bad
			expectCode(t, "malformed body "+bad, c.do(t, s.url()), "000002", "请求内容格式不合法")
		}
		g := rawCall{appID: k.AppID, secret: k.SecretKey, method: http.MethodGet, path: "/cmiot/v2/api/device", params: `{"deviceSn":`}
		expectCode(t, "malformed jsonObject", g.do(t, s.url()), "000002", "")
		c.params = `{"deviceName":"x"}`
		expectCode(t, "missing protocol", c.do(t, s.url()), "000003", "protocol: is required")
		c.params = `{"protocol":1}`
		expectCode(t, "missing deviceType", c.do(t, s.url()), "000003", "deviceType")
		c.params = `{"protocol":"one"}`
		expectCode(t, "wrong type", c.do(t, s.url()), "000003", "protocol: must be an integer")
		c.params = `{"protocol":1,"deviceType":2}`
		expectCode(t, "NVR without channelCount", c.do(t, s.url()), "000003", "channelCount")
		c.params = `{"protocol":2,"loginType":1,"mac":"001122334455"}`
		expectCode(t, "unsupported protocol", c.do(t, s.url()), "000003", "protocol 2 not supported yet")
		c.params = `{"protocol":1,"deviceType":1,"deviceName":"` + strings.Repeat("x", 5000) + `"}`
		expectCode(t, "oversized body", c.do(t, s.url()), "000002", "exceeds 4096 bytes")
		g.params = `{}`
		expectCode(t, "missing deviceSn on GET", g.do(t, s.url()), "000003", "deviceSn: is required")

		// Endpoints not built yet say so; unknown paths are 404 with an envelope.
		ny := rawCall{appID: k.AppID, secret: k.SecretKey, method: http.MethodPost, path: "/cmiot/v2/equipment/upgrade", params: `{"deviceSn":"x"}`}
		expectCode(t, "not yet", ny.do(t, s.url()), "000009", "not available yet")
		ny.path = "/cmiot/v2/api/equipment/upgrade"
		expectCode(t, "alias with /api", ny.do(t, s.url()), "000009", "4.4.2.17")
		th := rawCall{appID: k.AppID, secret: k.SecretKey, method: http.MethodGet, path: "/cmiot/v2/api/device/thumbnail", params: `{"deviceSn":"x"}`}
		expectCode(t, "built endpoint through its /api alias", th.do(t, s.url()), "000003", "device or channel x does not exist")
	})
}

func TestRateLimit(t *testing.T) {
	eachEngine(t, func(t *testing.T, e engine) {
		s := startServer(t, e, "--rate-limit", "1", "--rate-burst", "5")
		k := s.addTenant()
		other := s.addTenant()
		c := s.client(k)
		limited := 0
		for range 10 {
			_, _, err := c.ListDevices(ctx(t), 1, 10)
			if sdk.IsCode(err, "000007") {
				limited++
			} else if err != nil {
				t.Fatal(err)
			}
		}
		if limited < 4 {
			t.Fatalf("want ≥4 of 10 requests limited with burst 5, got %d", limited)
		}
		// Buckets are per appid.
		if _, _, err := s.client(other).ListDevices(ctx(t), 1, 10); err != nil {
			t.Fatalf("other tenant limited too: %v", err)
		}
	})
}
