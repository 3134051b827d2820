package sdk_test

import (
	"context"
	"fmt"
	"log"
	"net/http"

	"github.com/vionet/vionet/sdk"
)

func Example() {
	ctx := context.Background()
	c := sdk.New("https://vionet.example.com", "my-app-id", "my-secret-key")

	// Add a GB/T 28181 camera and read its SIP registration parameters.
	added, err := c.AddDevice(ctx, sdk.AddDeviceRequest{
		Protocol:   sdk.ProtocolGB28181,
		DeviceType: sdk.DeviceTypeIPC,
		DeviceName: "Gate",
	})
	if sdk.IsCode(err, sdk.CodeForbidden) {
		log.Fatal("this application may not add devices")
	} else if err != nil {
		log.Fatal(err)
	}
	pwd, err := sdk.DecryptSecret(myPrivateKeyBase64, added.LoginPwd)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(added.SIPServerID, added.SIPServerIP, added.SIPServerPort, added.LoginName, pwd)

	// Page through the devices.
	for page := 1; ; page++ {
		devices, p, err := c.ListDevices(ctx, page, 100)
		if err != nil {
			log.Fatal(err)
		}
		for _, d := range devices {
			fmt.Println(d.DeviceSn, d.DeviceName, d.OnlineStatus)
		}
		if page*p.PageSize >= p.Total || len(devices) == 0 {
			break
		}
	}

	// Be told when devices go on- or offline.
	if err := c.Subscribe(ctx, "https://tenant.example.com/vionet/push", sdk.MsgOnline); err != nil {
		log.Fatal(err)
	}
}

func ExamplePushHandler() {
	keys := func(appID string) (string, bool) {
		return "my-secret-key", appID == "my-app-id"
	}
	http.Handle("/vionet/push", sdk.PushHandler(keys, func(ctx context.Context, m *sdk.PushMessage) error {
		switch m.MsgType {
		case sdk.MsgOnline:
			msgs, err := sdk.DecodePushData[sdk.OnlineMsg](m)
			if err != nil {
				return err // answered with 500: the message is pushed again
			}
			for _, o := range msgs {
				fmt.Println(o.DeviceSn, o.OnlineType == sdk.OnlineTypeOnline)
			}
		case sdk.MsgAlarm:
			alarms, err := sdk.DecodePushData[sdk.AlarmMsg](m)
			if err != nil {
				return err
			}
			for _, a := range alarms {
				fmt.Println(a.DeviceSn, a.AlarmType, a.AlarmAction)
			}
		}
		return nil
	}))
}

const myPrivateKeyBase64 = "MIIEvQ..." // PKCS #8, Base64, as issued with the application
