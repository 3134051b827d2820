package sdk

// Chapter 4.7.1 消息订阅 (message subscription).

import (
	"context"
	"net/http"
)

// Endpoint paths of chapter 4.7.1.
const (
	PathSubscribe   = "/cmiot/v2/api/msg/subscribe"   // 4.7.1.1 POST
	PathUnsubscribe = "/cmiot/v2/api/msg/unsubscribe" // 4.7.1.2 POST
)

// Message types, numbered as in 4.7.1.1. They are the type of [Client.Subscribe] and
// [Client.Unsubscribe] and the msgType of a [PushMessage]. (4.7.1.2 prints a different,
// self-contradictory list; vionet uses the 4.7.1.1 numbering for both calls. 10 is unused.)
const (
	MsgAlarm           = 1  // 告警消息, body [AlarmMsg] (5.4.3)
	MsgOnline          = 2  // 设备在离线消息, body [OnlineMsg] (5.4.1)
	MsgBind            = 3  // 设备绑定/解绑消息, body [BindMsg] (5.4.2)
	Msg1400Picture     = 4  // 1400图片消息 (5.4.4)
	MsgAI              = 5  // AI事件消息 (5.4.6)
	MsgThaw            = 6  // 归档云存储解冻状态消息
	MsgSubDomain       = 7  // 下级域消息 (5.4.8)
	MsgChannelChange   = 8  // 设备通道变更消息
	MsgStatusCheck     = 9  // 设备状态校验消息
	MsgAccessInfo      = 11 // 设备底座接入信息 (5.4.5)
	MsgShareTask       = 12 // 设备分享任务消息 (5.4.7)
	MsgVideoDiagnosis  = 13 // 视频质量诊断消息
	MsgRecordIntegrity = 14 // 录像完整性结果消息
)

// Subscribe makes the platform push messages of msgType to url (4.7.1.1 POST
// /cmiot/v2/api/msg/subscribe). See [PushHandler] for the receiving side.
func (c *Client) Subscribe(ctx context.Context, url string, msgType int) error {
	params := struct {
		URL  string `json:"url"`
		Type int    `json:"type"`
	}{url, msgType}
	_, err := c.Do(ctx, http.MethodPost, PathSubscribe, params, nil)
	return err
}

// Unsubscribe stops the pushes of msgType (4.7.1.2 POST /cmiot/v2/api/msg/unsubscribe).
func (c *Client) Unsubscribe(ctx context.Context, msgType int) error {
	params := struct {
		Type int `json:"type"`
	}{msgType}
	_, err := c.Do(ctx, http.MethodPost, PathUnsubscribe, params, nil)
	return err
}
