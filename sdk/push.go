package sdk

// 5.4 订阅消息格式: the callbacks the platform POSTs to the URL given to Subscribe.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vionet/vionet/sdk/signing"
)

// maxPushBytes bounds the body PushHandler accepts.
const maxPushBytes = 10 << 20

// PushMessage is the body of every push (5.4). Data holds one or more message bodies whose
// form depends on MsgType; decode them with [DecodePushData].
type PushMessage struct {
	AppID   string            `json:"appId"`
	MsgType int               `json:"msgType"` // see the Msg constants
	Data    []json.RawMessage `json:"data"`
}

// DecodePushData decodes every element of m.Data as a T, e.g.
// DecodePushData[OnlineMsg](m) for a message of type [MsgOnline].
func DecodePushData[T any](m *PushMessage) ([]T, error) {
	out := make([]T, 0, len(m.Data))
	for i, raw := range m.Data {
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, fmt.Errorf("vionet sdk: push data[%d]: %w", i, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// Online types of [OnlineMsg].
const (
	OnlineTypeOffline = 0 // 离线
	OnlineTypeOnline  = 1 // 在线
)

// OnlineMsg is a 5.4.1 在离线消息 (msgType [MsgOnline]).
type OnlineMsg struct {
	OnlineType int    `json:"onlineType"` // 1 在线, 0 离线
	DetectTime string `json:"detectTime"` // 13-digit millisecond timestamp
	DeviceSn   string `json:"deviceSn"`
	// ChannelID is the channel number when a channel changed state.
	ChannelID *int `json:"channelId,omitempty"`
	// ChannelSn is the GB/T 28181 channel code; not in the spec, vionet adds it when known.
	ChannelSn string `json:"channelSn,omitempty"`
}

// Bind types of [BindMsg].
const (
	BindTypeUnbind = 0 // 解绑
	BindTypeBind   = 1 // 绑定
	BindTypeRebind = 2 // 重新配网绑定: the device changed network; its data is unchanged
)

// BindMsg is a 5.4.2 设备绑定/解绑消息 (msgType [MsgBind]).
type BindMsg struct {
	BindType   int    `json:"bindType"`   // 1 绑定, 0 解绑, 2 重新配网绑定
	DetectTime string `json:"detectTime"` // 13-digit millisecond timestamp
	DeviceSn   string `json:"deviceSn"`
	Mac        string `json:"mac,omitempty"`
}

// Alarm actions of [AlarmMsg], spelled as the spec spells them.
const (
	AlarmActionStart = "start"
	AlarmActionStop  = "stop"
	AlarmActionPulse = "pluse" // sic
)

// AlarmMsg is a 5.4.3 设备告警消息 (msgType [MsgAlarm]).
type AlarmMsg struct {
	AlarmType  string `json:"alarmType"`  // see 5.2 设备告警清单
	DetectTime string `json:"detectTime"` // 13-digit millisecond timestamp
	DeviceSn   string `json:"deviceSn"`
	ChannelID  *int   `json:"channelId,omitempty"`
	// AlarmMsgContent is structured alarm data; its form is not defined by the spec.
	AlarmMsgContent string `json:"alarmMsgContent,omitempty"`
	PicID           string `json:"picId,omitempty"`
	AlarmAction     string `json:"alarmAction,omitempty"` // start, stop or pluse
	AlarmID         string `json:"alarmId,omitempty"`
	// PicURL is the download URL of the alarm picture, valid for 10 minutes.
	PicURL string `json:"picUrl,omitempty"`
}

// ErrBadPushSignature is returned (wrapped) by [VerifyPush] when a push is unsigned or its
// signature does not match.
var ErrBadPushSignature = errors.New("vionet sdk: bad push signature")

// VerifyPush checks the 5.4 signature of a push: the sign header must equal
// Base64(HmacSHA256(secretKey, "secretKey,appId,timestamp,MD5(body)")) with appId and
// timestamp taken from the headers of the same names. It does not check how old the
// timestamp is (see [WithMaxPushAge]).
func VerifyPush(secretKey string, h http.Header, body []byte) error {
	appID := headerGet(h, signing.PushHeaderAppID)
	ts := headerGet(h, signing.PushHeaderTimestamp)
	sign := headerGet(h, signing.PushHeaderSign)
	switch {
	case appID == "":
		return fmt.Errorf("%w: no %s header", ErrBadPushSignature, signing.PushHeaderAppID)
	case ts == "":
		return fmt.Errorf("%w: no %s header", ErrBadPushSignature, signing.PushHeaderTimestamp)
	case sign == "":
		return fmt.Errorf("%w: no %s header", ErrBadPushSignature, signing.PushHeaderSign)
	}
	if !signing.Equal(sign, signing.Push(secretKey, appID, ts, body)) {
		return ErrBadPushSignature
	}
	return nil
}

// headerGet looks a header up case-insensitively, also in a header map whose keys were not
// canonicalised.
func headerGet(h http.Header, name string) string {
	if v := h.Get(name); v != "" {
		return v
	}
	for k, v := range h {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0]
		}
	}
	return ""
}

// PushOption configures [PushHandler].
type PushOption func(*pushConfig)

type pushConfig struct {
	verify bool
	maxAge time.Duration
	now    func() time.Time
}

// WithoutPushVerification makes [PushHandler] accept pushes without checking their
// signature (5.4 leaves checking to the tenant). secretKeys may then be nil.
func WithoutPushVerification() PushOption {
	return func(c *pushConfig) { c.verify = false }
}

// WithMaxPushAge makes [PushHandler] reject, as unauthorised, signed pushes whose timestamp
// header is more than d away from the current time, which limits replays. Off by default;
// note that the platform retries failed pushes, so d should exceed its retry window.
func WithMaxPushAge(d time.Duration) PushOption {
	return func(c *pushConfig) { c.maxAge = d }
}

type pushReply struct {
	ResultCode string `json:"resultCode"`
	ResultMsg  string `json:"resultMsg"`
}

// PushHandler returns the http.Handler of a push URL (5.4).
//
// For each POST it looks the secret key of the appId header up with secretKeys, verifies the
// signature with [VerifyPush], decodes the body and calls fn with the request's context.
// It answers
//
//   - 200 {"resultCode":"000000","resultMsg":"成功"} when fn returns nil;
//   - 500 when fn returns an error, so that the platform delivers the message again;
//   - 401 when the appId is unknown (secretKeys returns false) or the signature is bad;
//   - 400 when the body is not a push message, or its appId differs from the header's;
//   - 405 for a method other than POST.
func PushHandler(secretKeys func(appID string) (string, bool), fn func(ctx context.Context, m *PushMessage) error, opts ...PushOption) http.Handler {
	cfg := pushConfig{verify: true, now: time.Now}
	for _, o := range opts {
		o(&cfg)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writePushReply(w, http.StatusMethodNotAllowed, CodeMalformed, "method not allowed")
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxPushBytes))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				writePushReply(w, http.StatusRequestEntityTooLarge, CodeMalformed, "请求内容格式不合法")
				return
			}
			writePushReply(w, http.StatusBadRequest, CodeMalformed, "请求内容格式不合法")
			return
		}

		appID := headerGet(r.Header, signing.PushHeaderAppID)
		if cfg.verify {
			if !cfg.authentic(secretKeys, appID, r.Header, body) {
				writePushReply(w, http.StatusUnauthorized, CodeSignature, "签名验证失败")
				return
			}
		}

		var m PushMessage
		if err := json.Unmarshal(body, &m); err != nil || m.MsgType == 0 {
			writePushReply(w, http.StatusBadRequest, CodeMalformed, "请求内容格式不合法")
			return
		}
		if cfg.verify && m.AppID != "" && m.AppID != appID {
			writePushReply(w, http.StatusBadRequest, CodeInvalidParam, "请求参数不合法")
			return
		}

		if err := fn(r.Context(), &m); err != nil {
			writePushReply(w, http.StatusInternalServerError, CodeInternal, "服务器内部错误")
			return
		}
		writePushReply(w, http.StatusOK, CodeOK, "成功")
	})
}

func (cfg *pushConfig) authentic(secretKeys func(string) (string, bool), appID string, h http.Header, body []byte) bool {
	if appID == "" || secretKeys == nil {
		return false
	}
	secret, ok := secretKeys(appID)
	if !ok || VerifyPush(secret, h, body) != nil {
		return false
	}
	if cfg.maxAge > 0 {
		ms, err := strconv.ParseInt(headerGet(h, signing.PushHeaderTimestamp), 10, 64)
		if err != nil {
			return false
		}
		age := cfg.now().Sub(time.UnixMilli(ms))
		if age > cfg.maxAge || age < -cfg.maxAge {
			return false
		}
	}
	return true
}

func writePushReply(w http.ResponseWriter, status int, code, msg string) {
	b, _ := json.Marshal(pushReply{ResultCode: code, ResultMsg: msg})
	w.Header().Set("Content-Type", ContentType)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
