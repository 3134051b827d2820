package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vionet/vionet/sdk/signing"
)

const pushBody = `{"appId":"app1","msgType":2,"data":[{"onlineType":1,"detectTime":"1676529849700","deviceSn":"d1","channelId":0},{"onlineType":0,"detectTime":"1676529849701","deviceSn":"d2"}]}`

func signedPushHeader(secret, appID, ts, body string) http.Header {
	h := http.Header{}
	h.Set("Content-Type", "application/json;charset=UTF-8")
	h.Set("appId", appID)
	h.Set("timestamp", ts)
	h.Set("sign", signing.Push(secret, appID, ts, []byte(body)))
	return h
}

func TestVerifyPush(t *testing.T) {
	h := signedPushHeader("s3cret", "app1", testTS, pushBody)
	if err := VerifyPush("s3cret", h, []byte(pushBody)); err != nil {
		t.Fatalf("valid push: %v", err)
	}
	// Header maps built by hand with the spec's spelling work too.
	raw := http.Header{"appId": {"app1"}, "timestamp": {testTS}, "sign": {h.Get("sign")}}
	if err := VerifyPush("s3cret", raw, []byte(pushBody)); err != nil {
		t.Fatalf("non-canonical header map: %v", err)
	}

	tampered := strings.Replace(pushBody, `"onlineType":1`, `"onlineType":0`, 1)
	if err := VerifyPush("s3cret", h, []byte(tampered)); !errors.Is(err, ErrBadPushSignature) {
		t.Errorf("tampered body: %v", err)
	}
	if err := VerifyPush("other", h, []byte(pushBody)); !errors.Is(err, ErrBadPushSignature) {
		t.Errorf("wrong secret: %v", err)
	}
	h2 := h.Clone()
	h2.Set("timestamp", "1676529849701")
	if err := VerifyPush("s3cret", h2, []byte(pushBody)); !errors.Is(err, ErrBadPushSignature) {
		t.Errorf("tampered timestamp: %v", err)
	}
	for _, name := range []string{"appId", "timestamp", "sign"} {
		h3 := h.Clone()
		h3.Del(name)
		if err := VerifyPush("s3cret", h3, []byte(pushBody)); !errors.Is(err, ErrBadPushSignature) {
			t.Errorf("missing %s: %v", name, err)
		}
	}
}

func TestDecodePushData(t *testing.T) {
	h := signedPushHeader("s", "app1", testTS, pushBody)
	var got []OnlineMsg
	handler := PushHandler(func(string) (string, bool) { return "s", true }, func(_ context.Context, m *PushMessage) error {
		var err error
		got, err = DecodePushData[OnlineMsg](m)
		return err
	})
	rec := serve(handler, "POST", h, pushBody)
	if rec.Code != 200 {
		t.Fatalf("status %d", rec.Code)
	}
	if len(got) != 2 || got[0].ChannelID == nil || *got[0].ChannelID != 0 || got[1].ChannelID != nil || got[1].OnlineType != OnlineTypeOffline || got[1].DeviceSn != "d2" {
		t.Fatalf("got %+v", got)
	}

	m := &PushMessage{MsgType: MsgAlarm, Data: []json.RawMessage{[]byte(`{"alarmType":"62","detectTime":"1","deviceSn":"d","channelId":3,"alarmAction":"pluse","picUrl":"http://p"}`)}}
	alarms, err := DecodePushData[AlarmMsg](m)
	if err != nil || alarms[0].AlarmType != "62" || *alarms[0].ChannelID != 3 || alarms[0].AlarmAction != AlarmActionPulse || alarms[0].PicURL != "http://p" {
		t.Fatalf("alarms %+v %v", alarms, err)
	}
	m = &PushMessage{MsgType: MsgBind, Data: []json.RawMessage{[]byte(`{"bindType":2,"detectTime":"1","deviceSn":"d","mac":"aa:bb"}`)}}
	binds, err := DecodePushData[BindMsg](m)
	if err != nil || binds[0] != (BindMsg{BindTypeRebind, "1", "d", "aa:bb"}) {
		t.Fatalf("binds %+v %v", binds, err)
	}
	m = &PushMessage{MsgType: MsgBind, Data: []json.RawMessage{[]byte(`{"bindType":"x"}`)}}
	if _, err := DecodePushData[BindMsg](m); err == nil {
		t.Fatal("bad data decoded")
	}
}

func serve(h http.Handler, method string, header http.Header, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, "/push", strings.NewReader(body))
	for k, v := range header {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestPushHandlerStatus(t *testing.T) {
	keys := func(appID string) (string, bool) {
		if appID == "app1" {
			return "s3cret", true
		}
		return "", false
	}
	var calls int
	fnErr := errors.New("db down")
	handler := func(fail bool, opts ...PushOption) http.Handler {
		return PushHandler(keys, func(ctx context.Context, m *PushMessage) error {
			calls++
			if m.AppID != "app1" || m.MsgType != MsgOnline || len(m.Data) != 2 {
				t.Errorf("message %+v", m)
			}
			if fail {
				return fnErr
			}
			return nil
		}, opts...)
	}
	good := signedPushHeader("s3cret", "app1", testTS, pushBody)
	now := strconv.FormatInt(time.Now().UnixMilli(), 10)

	for _, tc := range []struct {
		name   string
		h      http.Handler
		method string
		header http.Header
		body   string
		status int
		code   string
		called bool
	}{
		{"ok", handler(false), "POST", good, pushBody, 200, CodeOK, true},
		{"fn error", handler(true), "POST", good, pushBody, 500, CodeInternal, true},
		{"bad sign", handler(false), "POST", signedPushHeader("wrong", "app1", testTS, pushBody), pushBody, 401, CodeSignature, false},
		{"tampered", handler(false), "POST", good, strings.Replace(pushBody, "d1", "d9", 1), 401, CodeSignature, false},
		{"unsigned", handler(false), "POST", http.Header{}, pushBody, 401, CodeSignature, false},
		{"unknown app", handler(false), "POST", signedPushHeader("s3cret", "app2", testTS, pushBody), pushBody, 401, CodeSignature, false},
		{"bad json", handler(false), "POST", signedPushHeader("s3cret", "app1", testTS, "{nope"), "{nope", 400, CodeMalformed, false},
		{"no msgType", handler(false), "POST", signedPushHeader("s3cret", "app1", testTS, `{"appId":"app1"}`), `{"appId":"app1"}`, 400, CodeMalformed, false},
		{"appId mismatch", handler(false), "POST", signedPushHeader("s3cret", "app1", testTS, strings.Replace(pushBody, `"app1"`, `"app2"`, 1)), strings.Replace(pushBody, `"app1"`, `"app2"`, 1), 400, CodeInvalidParam, false},
		{"GET", handler(false), "GET", good, "", 405, CodeMalformed, false},
		{"skip verification", handler(false, WithoutPushVerification()), "POST", http.Header{}, pushBody, 200, CodeOK, true},
		{"too old", handler(false, WithMaxPushAge(time.Minute)), "POST", good, pushBody, 401, CodeSignature, false},
		{"fresh", handler(false, WithMaxPushAge(time.Minute)), "POST", signedPushHeader("s3cret", "app1", now, pushBody), pushBody, 200, CodeOK, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls = 0
			rec := serve(tc.h, tc.method, tc.header, tc.body)
			if rec.Code != tc.status {
				t.Errorf("status %d, want %d (%s)", rec.Code, tc.status, rec.Body)
			}
			if !strings.Contains(rec.Body.String(), `"resultCode":"`+tc.code+`"`) {
				t.Errorf("body %s, want code %s", rec.Body, tc.code)
			}
			if rec.Header().Get("Content-Type") != ContentType {
				t.Errorf("Content-Type %q", rec.Header().Get("Content-Type"))
			}
			if (calls == 1) != tc.called {
				t.Errorf("fn called %d times", calls)
			}
		})
	}
	rec := serve(handler(false), "POST", good, pushBody)
	if rec.Body.String() != `{"resultCode":"000000","resultMsg":"成功"}` {
		t.Errorf("success body %s", rec.Body)
	}
}
