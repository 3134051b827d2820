// Package domain holds vionet's entities (tenants, devices, channels, subscriptions, events)
// and the typed error that carries a 4.3.1 resultCode. Standard library only.
package domain

import (
	"errors"
	"fmt"
)

// Code is a 4.3.1 resultCode (表A-4).
type Code string

// The response codes of 表A-4.
const (
	CodeOK           Code = "000000" // 成功
	CodeInternal     Code = "000001" // 服务器内部错误
	CodeMalformed    Code = "000002" // 请求内容格式不合法
	CodeInvalidParam Code = "000003" // 请求参数不合法
	CodeSignature    Code = "000004" // 签名验证失败
	CodeForbidden    Code = "000005" // 非法访问
	CodeDecrypt      Code = "000006" // 数据解密失败
	CodeRateLimited  Code = "000007" // 访问流量超限
	CodeValidation   Code = "000008" // 数据校验失败
	CodeUnavailable  Code = "000009" // 熔断器被触发
)

// Description is the 表A-4 响应描述 of a code, used as the prefix of resultMsg.
func (c Code) Description() string {
	switch c {
	case CodeOK:
		return "成功"
	case CodeInternal:
		return "服务器内部错误"
	case CodeMalformed:
		return "请求内容格式不合法"
	case CodeInvalidParam:
		return "请求参数不合法"
	case CodeSignature:
		return "签名验证失败"
	case CodeForbidden:
		return "非法访问"
	case CodeDecrypt:
		return "数据解密失败"
	case CodeRateLimited:
		return "访问流量超限"
	case CodeValidation:
		return "数据校验失败"
	case CodeUnavailable:
		return "熔断器被触发"
	}
	return "未知错误"
}

// Error is a failure the API reports with a resultCode and a message naming the cause.
type Error struct {
	Code Code
	Msg  string
}

func (e *Error) Error() string { return string(e.Code) + " " + e.Msg }

// Errorf builds an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// InvalidField reports a missing or invalid request field (000003); the message starts
// with the field name so a caller can see at once what to fix.
func InvalidField(field, format string, args ...any) *Error {
	return &Error{Code: CodeInvalidParam, Msg: field + ": " + fmt.Sprintf(format, args...)}
}

// MissingField reports a required field that is absent (000003).
func MissingField(field string) *Error {
	return InvalidField(field, "is required")
}

// CodeOf extracts the resultCode of err: CodeOK for nil, CodeInternal for untyped errors.
func CodeOf(err error) Code {
	if err == nil {
		return CodeOK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// Sentinel errors that stores return; the app layer turns them into coded errors.
var (
	ErrNotFound  = errors.New("not found")
	ErrConflict  = errors.New("already exists")
	ErrForbidden = errors.New("belongs to another tenant")
)
