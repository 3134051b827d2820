// Package sdk is the Go client for the 视联网 北向接口规范 v1.3.1 northbound REST API as
// served by vionet (or by any other implementation of the specification).
//
// It covers the three things a tenant application does:
//
//   - calling the API: [New] returns a [Client] that signs every request as 4.3.1 requires
//     (headers appid, msgSeq, timestamp, signature; GET/DELETE parameters in ?jsonObject=)
//     and decodes the 表A-3 envelope, turning a resultCode other than "000000" into an
//     [*APIError];
//   - decrypting the RSA-encrypted fields of some responses (4.3.2), see [DecryptSecret];
//   - receiving the callbacks of subscribed messages (5.4), see [PushHandler] and [VerifyPush].
//
// Typed methods exist for a growing set of endpoints, grouped by chapter of the spec
// (devices.go for 4.4.1, settings.go for 4.4.2, platforms.go for 4.4.5, subscriptions.go for
// 4.7.1). Any other endpoint can be called with [Client.Do].
//
// Usage:
//
//	c := sdk.New("https://vionet.example.com", appID, secretKey)
//	dev, err := c.GetDevice(ctx, "34020000001320000001")
//	if sdk.IsCode(err, sdk.CodeForbidden) {
//		// the application may not call this endpoint
//	}
//	pwd, err := sdk.DecryptSecret(privateKey, dev.LoginPwd)
//
//	http.Handle("/vionet/push", sdk.PushHandler(
//		func(appID string) (string, bool) { return secretKey, appID == myAppID },
//		func(ctx context.Context, m *sdk.PushMessage) error {
//			if m.MsgType == sdk.MsgOnline {
//				msgs, err := sdk.DecodePushData[sdk.OnlineMsg](m)
//				...
//			}
//			return nil
//		}))
//
// The package depends on the standard library and on
// github.com/vionet/vionet/sdk/signing only.
package sdk
