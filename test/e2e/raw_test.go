package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vionet/vionet/sdk/signing"
)

// rawCall is a hand-built request, signed the way the spec's samples sign, with knobs to
// break each part of it.
type rawCall struct {
	method, path string
	params       string // JSON: the body (POST/PUT) or jsonObject (GET/DELETE)
	appID        string
	secret       string
	timestamp    time.Time
	signPath     string // uri to sign, when different from path
	signParams   *string
	emptyMD5     bool // sign an empty md5 part instead of md5("")
	drop         string
	deleteBody   bool // send DELETE parameters as a JSON body instead of jsonObject
	headers      map[string]string
}

type rawEnvelope struct {
	ResultCode string          `json:"resultCode"`
	ResultMsg  string          `json:"resultMsg"`
	Total      *int            `json:"total"`
	Data       json.RawMessage `json:"data"`
	raw        string
	msgSeq     string
}

func (c rawCall) do(t *testing.T, base string) rawEnvelope {
	t.Helper()
	if c.timestamp.IsZero() {
		c.timestamp = time.Now()
	}
	ts := strconv.FormatInt(c.timestamp.UnixMilli(), 10)
	signPath := c.path
	if c.signPath != "" {
		signPath = c.signPath
	}
	signed := c.params
	if c.signParams != nil {
		signed = *c.signParams
	}
	md5 := signing.MD5Hex([]byte(signed))
	if c.emptyMD5 {
		md5 = ""
	}
	sig := signing.Request(c.secret, c.appID, ts, signPath, md5)

	u := base + c.path
	var body io.Reader
	if c.method == http.MethodGet || (c.method == http.MethodDelete && !c.deleteBody) {
		if c.params != "" {
			u += "?jsonObject=" + url.QueryEscape(c.params)
		}
	} else {
		body = strings.NewReader(c.params)
	}
	req, err := http.NewRequest(c.method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	h := map[string]string{"Content-Type": "application/json;charset=utf-8", "appid": c.appID, "msgSeq": "trace-1",
		"timestamp": ts, "signature": sig}
	for k, v := range c.headers {
		h[k] = v
	}
	delete(h, c.drop)
	for k, v := range h {
		req.Header[k] = []string{v} // spelled as the spec spells them
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var env rawEnvelope
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatalf("%s %s: HTTP %d, not an envelope: %s", c.method, c.path, resp.StatusCode, raw)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: HTTP %d (every API answer is HTTP 200): %s", c.method, c.path, resp.StatusCode, raw)
	}
	env.raw = string(raw)
	env.msgSeq = resp.Header.Get("msgSeq")
	return env
}

func expectCode(t *testing.T, what string, env rawEnvelope, code string, msgContains string) {
	t.Helper()
	if env.ResultCode != code || !strings.Contains(env.ResultMsg, msgContains) {
		t.Errorf("%s: want %s containing %q, got %s", what, code, msgContains, env.raw)
	}
}
