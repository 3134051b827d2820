package sdk

import (
	"errors"
	"fmt"
)

// The response codes of 4.3.1 (表A-4).
const (
	CodeOK           = "000000" // 成功
	CodeInternal     = "000001" // 服务器内部错误
	CodeMalformed    = "000002" // 请求内容格式不合法
	CodeInvalidParam = "000003" // 请求参数不合法
	CodeSignature    = "000004" // 签名验证失败
	CodeForbidden    = "000005" // 非法访问: the application may not call this endpoint
	CodeDecrypt      = "000006" // 数据解密失败
	CodeRateLimited  = "000007" // 访问流量超限
	CodeValidation   = "000008" // 数据校验失败
	CodeUnavailable  = "000009" // 熔断器被触发
)

// APIError is a response whose resultCode is not "000000".
type APIError struct {
	Code   string // resultCode, see the Code constants
	Msg    string // resultMsg
	MsgSeq string // msgSeq echoed by the server, for tracing the call in its logs
}

// Error implements error.
func (e *APIError) Error() string {
	s := fmt.Sprintf("vionet: %s %s", e.Code, e.Msg)
	if e.MsgSeq != "" {
		s += " (msgSeq " + e.MsgSeq + ")"
	}
	return s
}

// IsCode reports whether err is, or wraps, an [*APIError] with the given resultCode.
func IsCode(err error, code string) bool {
	var e *APIError
	return errors.As(err, &e) && e.Code == code
}

// HTTPError is a non-2xx HTTP response whose body is not a 表A-3 envelope (for example an
// error page of a proxy in front of the API).
type HTTPError struct {
	StatusCode int
	Body       []byte // at most the first 32 MiB
	MsgSeq     string // msgSeq echoed by the server, or the request's
}

// Error implements error.
func (e *HTTPError) Error() string {
	body := e.Body
	if len(body) > 200 {
		body = body[:200]
	}
	return fmt.Sprintf("vionet: HTTP %d: %q", e.StatusCode, body)
}
