package sdk

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vionet/vionet/sdk/signing"
)

const (
	testAppID  = "4c8n2wqgyg04blsmeirin7dms1scvp11"
	testSecret = "o5lgnzm3kvfaboq0"
	testTS     = "1676529849700"
)

// captured is what the fake server saw of one request.
type captured struct {
	Method   string
	Path     string
	RawQuery string
	Header   http.Header
	Body     string
}

// jsonObject returns the decoded jsonObject query parameter.
func (c captured) jsonObject(t *testing.T) string {
	t.Helper()
	q, err := url.ParseQuery(c.RawQuery)
	if err != nil {
		t.Fatal(err)
	}
	return q.Get("jsonObject")
}

// fakeServer answers every request with reply (a full envelope) and records the request.
func fakeServer(t *testing.T, status int, reply string) (*httptest.Server, *captured) {
	t.Helper()
	var got captured
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = captured{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: r.Header.Clone(), Body: string(b)}
		w.Header().Set("msgSeq", r.Header.Get("msgSeq"))
		w.Header().Set("Content-Type", ContentType)
		w.WriteHeader(status)
		io.WriteString(w, reply)
	}))
	t.Cleanup(srv.Close)
	return srv, &got
}

func testClient(srv *httptest.Server, opts ...Option) *Client {
	opts = append([]Option{
		WithHTTPClient(srv.Client()),
		WithClock(func() time.Time { return time.UnixMilli(1676529849700) }),
		WithMsgSeq(func() string { return "seq-1" }),
	}, opts...)
	return New(srv.URL+"/", testAppID, testSecret, opts...)
}

const okEmpty = `{"resultCode":"000000","resultMsg":"成功"}`

func checkSigned(t *testing.T, got *captured, uri, md5 string) {
	t.Helper()
	h := got.Header
	if h.Get("Content-Type") != "application/json;charset=utf-8" {
		t.Errorf("Content-Type = %q", h.Get("Content-Type"))
	}
	if h.Get("appid") != testAppID || h.Get("msgSeq") != "seq-1" || h.Get("timestamp") != testTS {
		t.Errorf("headers appid=%q msgSeq=%q timestamp=%q", h.Get("appid"), h.Get("msgSeq"), h.Get("timestamp"))
	}
	want := signing.Request(testSecret, testAppID, testTS, uri, md5)
	if h.Get("signature") != want {
		t.Errorf("signature = %q, want %q (md5 %q)", h.Get("signature"), want, md5)
	}
	if got.Path != uri {
		t.Errorf("path = %q, want %q", got.Path, uri)
	}
}

func TestGetSignsJSONObject(t *testing.T) {
	srv, got := fakeServer(t, 200, okEmpty)
	c := testClient(srv)
	if _, err := c.Do(context.Background(), "GET", "/cmiot/v2/api/device", map[string]string{"deviceSn": "Q0102E30209A1QYPE95E"}, nil); err != nil {
		t.Fatal(err)
	}
	// The example of 4.3.1, byte for byte.
	if got.RawQuery != "jsonObject=%7B%22deviceSn%22%3A%22Q0102E30209A1QYPE95E%22%7D" {
		t.Errorf("query = %q", got.RawQuery)
	}
	if got.Body != "" {
		t.Errorf("GET has body %q", got.Body)
	}
	checkSigned(t, got, "/cmiot/v2/api/device", signing.MD5Hex([]byte(`{"deviceSn":"Q0102E30209A1QYPE95E"}`)))
}

func TestDeleteUsesJSONObject(t *testing.T) {
	srv, got := fakeServer(t, 200, okEmpty)
	c := testClient(srv)
	err := c.DeleteDevice(context.Background(), DeleteDeviceRequest{DeleteType: DeleteTypeChannel, DeviceSn: "d1", ChannelID: Int(0)})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"deleteType":2,"deviceSn":"d1","channelId":0}`
	if got.Method != "DELETE" || got.jsonObject(t) != want || got.Body != "" {
		t.Fatalf("got %s jsonObject=%q body=%q", got.Method, got.jsonObject(t), got.Body)
	}
	checkSigned(t, got, "/cmiot/v2/api/device", signing.MD5Hex([]byte(want)))
}

func TestPostSignsBody(t *testing.T) {
	srv, got := fakeServer(t, 200, okEmpty)
	c := testClient(srv)
	if err := c.Subscribe(context.Background(), "https://tenant.example/push?a=1&b=<2>", MsgOnline); err != nil {
		t.Fatal(err)
	}
	want := `{"url":"https://tenant.example/push?a=1&b=<2>","type":2}`
	if got.Method != "POST" || got.Body != want || got.RawQuery != "" {
		t.Fatalf("got %s body=%q query=%q", got.Method, got.Body, got.RawQuery)
	}
	checkSigned(t, got, "/cmiot/v2/api/msg/subscribe", signing.MD5Hex([]byte(want)))
}

func TestPutSignsBody(t *testing.T) {
	srv, got := fakeServer(t, 200, okEmpty)
	c := testClient(srv)
	if err := c.RenameDevice(context.Background(), RenameDeviceRequest{DeviceSn: "d1", DeviceName: "门口 1"}); err != nil {
		t.Fatal(err)
	}
	want := `{"deviceSn":"d1","deviceName":"门口 1"}`
	if got.Method != "PUT" || got.Body != want {
		t.Fatalf("got %s body=%q", got.Method, got.Body)
	}
	checkSigned(t, got, "/cmiot/v2/api/device/info/name", signing.MD5Hex([]byte(want)))
}

func TestDoRawSignsVerbatim(t *testing.T) {
	srv, got := fakeServer(t, 200, okEmpty)
	c := testClient(srv)
	raw := `{ "deviceSn" : "x" }`
	if _, err := c.DoRaw(context.Background(), "POST", "/cmiot/v2/api/device/channel", raw, nil); err != nil {
		t.Fatal(err)
	}
	if got.Body != raw {
		t.Fatalf("body %q", got.Body)
	}
	checkSigned(t, got, "/cmiot/v2/api/device/channel", signing.MD5Hex([]byte(raw)))
}

func TestEmptyParamsConventions(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []Option
		md5  string
	}{
		{"default", nil, "d41d8cd98f00b204e9800998ecf8427e"},
		{"MD5OfEmpty", []Option{WithEmptyBodyMD5Convention(MD5OfEmpty)}, "d41d8cd98f00b204e9800998ecf8427e"},
		{"EmptyMD5", []Option{WithEmptyBodyMD5Convention(EmptyMD5)}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, got := fakeServer(t, 200, `{"resultCode":"000000","resultMsg":"成功","data":[]}`)
			c := testClient(srv, tc.opts...)
			// ListDevices(0, 0) sends no parameters at all.
			if _, _, err := c.ListDevices(context.Background(), 0, 0); err != nil {
				t.Fatal(err)
			}
			if got.RawQuery != "" {
				t.Errorf("query = %q, want none", got.RawQuery)
			}
			checkSigned(t, got, "/cmiot/v2/api/device/list", tc.md5)

			// So does Do with nil params, and POST with nil params has no body.
			if _, err := c.Do(context.Background(), "POST", "/cmiot/v2/api/x", nil, nil); err != nil {
				t.Fatal(err)
			}
			if got.Body != "" {
				t.Errorf("body = %q", got.Body)
			}
			checkSigned(t, got, "/cmiot/v2/api/x", tc.md5)
		})
	}
}

func TestQueryEncoding(t *testing.T) {
	srv, got := fakeServer(t, 200, okEmpty)
	c := testClient(srv)
	params := map[string]string{"areaCode": "a b&c=d+e/中<>%"}
	if _, err := c.Do(context.Background(), "GET", PathPlatformsByArea, params, nil); err != nil {
		t.Fatal(err)
	}
	raw := `{"areaCode":"a b&c=d+e/中<>%"}` // no HTML escaping of <, > and &
	if got.RawQuery != "jsonObject="+url.QueryEscape(raw) {
		t.Errorf("query = %q", got.RawQuery)
	}
	if strings.ContainsAny(strings.TrimPrefix(got.RawQuery, "jsonObject="), `{}":& /=<>`) {
		t.Errorf("unescaped characters in %q", got.RawQuery)
	}
	if got.jsonObject(t) != raw {
		t.Errorf("jsonObject = %q", got.jsonObject(t))
	}
	checkSigned(t, got, PathPlatformsByArea, signing.MD5Hex([]byte(raw)))
}

func TestSignedURIExcludesQuery(t *testing.T) {
	srv, got := fakeServer(t, 200, okEmpty)
	c := testClient(srv)
	if _, err := c.Do(context.Background(), "GET", "/cmiot/v2/api/device?x=1", map[string]int{"a": 1}, nil); err != nil {
		t.Fatal(err)
	}
	if got.RawQuery != "x=1&jsonObject="+url.QueryEscape(`{"a":1}`) {
		t.Errorf("query = %q", got.RawQuery)
	}
	checkSigned(t, got, "/cmiot/v2/api/device", signing.MD5Hex([]byte(`{"a":1}`)))
}

func TestDefaultHeaders(t *testing.T) {
	srv, got := fakeServer(t, 200, okEmpty)
	c := New(srv.URL, testAppID, testSecret, WithHTTPClient(srv.Client()))
	before := time.Now().UnixMilli()
	if _, err := c.Do(context.Background(), "GET", "/cmiot/v2/api/device", nil, nil); err != nil {
		t.Fatal(err)
	}
	ts := got.Header.Get("timestamp")
	if ms, err := strconv.ParseInt(ts, 10, 64); len(ts) != 13 || err != nil || ms < before || ms > time.Now().UnixMilli() {
		t.Errorf("timestamp %q", ts)
	}
	seq := got.Header.Get("msgSeq")
	if len(seq) != 32 {
		t.Errorf("msgSeq %q", seq)
	}
	if got.Header.Get("signature") != signing.Request(testSecret, testAppID, ts, "/cmiot/v2/api/device", signing.MD5Hex(nil)) {
		t.Error("bad signature")
	}
	if _, err := c.Do(context.Background(), "GET", "/cmiot/v2/api/device", nil, nil); err != nil {
		t.Fatal(err)
	}
	if got.Header.Get("msgSeq") == seq {
		t.Error("msgSeq repeated")
	}
}

func TestEnvelopeAndMsgSeq(t *testing.T) {
	srv, _ := fakeServer(t, 200, `{"resultCode":"000000","resultMsg":"成功","total":21,"page":3,"pageSize":10,"data":{"a":1}}`)
	c := testClient(srv)
	var out struct{ A int }
	env, err := c.Do(context.Background(), "GET", "/p", nil, &out)
	if err != nil {
		t.Fatal(err)
	}
	if env.MsgSeq != "seq-1" || env.Paging() != (Page{Total: 21, Page: 3, PageSize: 10}) || out.A != 1 || string(env.Data) != `{"a":1}` {
		t.Fatalf("env %+v out %+v", env, out)
	}
}

func TestAPIError(t *testing.T) {
	for _, status := range []int{200, 403} {
		srv, _ := fakeServer(t, status, `{"resultCode":"000005","resultMsg":"非法访问"}`)
		c := testClient(srv)
		_, err := c.GetDevice(context.Background(), "d1")
		var apiErr *APIError
		if !errors.As(err, &apiErr) {
			t.Fatalf("status %d: err = %v", status, err)
		}
		if apiErr.Code != CodeForbidden || apiErr.Msg != "非法访问" || apiErr.MsgSeq != "seq-1" {
			t.Errorf("%+v", apiErr)
		}
		if !IsCode(err, "000005") || IsCode(err, "000004") || IsCode(errors.New("x"), "000005") {
			t.Error("IsCode")
		}
		if !IsCode(fmtWrap(err), CodeForbidden) {
			t.Error("IsCode does not unwrap")
		}
		if !strings.Contains(err.Error(), "000005") || !strings.Contains(err.Error(), "seq-1") {
			t.Errorf("Error() = %q", err.Error())
		}
	}
}

func fmtWrap(err error) error { return errors.Join(errors.New("context"), err) }

func TestAPIErrorReturnsEnvelope(t *testing.T) {
	srv, _ := fakeServer(t, 200, `{"resultCode":"000003","resultMsg":"请求参数不合法: deviceSn"}`)
	env, err := testClient(srv).Do(context.Background(), "GET", "/p", nil, nil)
	if !IsCode(err, CodeInvalidParam) || env == nil || env.ResultMsg != "请求参数不合法: deviceSn" {
		t.Fatalf("env %+v err %v", env, err)
	}
}

func TestHTTPError(t *testing.T) {
	srv, _ := fakeServer(t, 502, `<html>bad gateway</html>`)
	_, err := testClient(srv).Do(context.Background(), "GET", "/p", nil, nil)
	var he *HTTPError
	if !errors.As(err, &he) || he.StatusCode != 502 || string(he.Body) != "<html>bad gateway</html>" {
		t.Fatalf("err = %v", err)
	}
	if IsCode(err, CodeInternal) {
		t.Error("HTTPError is not an APIError")
	}
}

func TestMalformedEnvelope(t *testing.T) {
	for _, body := range []string{`not json`, `{}`, `{"data":1}`} {
		srv, _ := fakeServer(t, 200, body)
		_, err := testClient(srv).Do(context.Background(), "GET", "/p", nil, nil)
		if err == nil {
			t.Errorf("%s: no error", body)
		}
		var apiErr *APIError
		if errors.As(err, &apiErr) {
			t.Errorf("%s: got APIError", body)
		}
	}
}

func TestContextCanceled(t *testing.T) {
	srv, _ := fakeServer(t, 200, okEmpty)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := testClient(srv).Do(ctx, "GET", "/p", nil, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}
