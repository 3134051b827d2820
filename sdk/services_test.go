package sdk

import (
	"context"
	"reflect"
	"testing"
)

func TestServiceResponses(t *testing.T) {
	ctx := context.Background()
	srv, _ := fakeServer(t, 200, ok(`[{"serviceInfos":[{"servCode":"10002010004","servValue":"1"},{"servCode":"10002010001","servValue":"3"}]}]`))
	list, err := testClient(srv).GetDeviceServices(ctx, ServiceTarget{DeviceSn: "d1"})
	if err != nil {
		t.Fatal(err)
	}
	want := []DeviceService{{ServiceInfos: ServiceInfoList{{ServCodeType, "1"}, {ServCodeCloudDays, "3"}}}}
	if !reflect.DeepEqual(list, want) || list[0].ServiceInfos.Value(ServCodeCloudDays) != "3" || list[0].ServiceInfos.Value(ServCodeBitrate) != "" {
		t.Fatalf("got %+v", list)
	}

	srv, _ = fakeServer(t, 200, ok(`{"appid":"a1","serviceOrderList":[{"totalNum":5,"usedNum":1,"availableNum":4,
		"serviceInfos":[{"servCode":"10002010004","servValue":"1"}]}]}`))
	orders, err := testClient(srv).GetServiceOrders(ctx)
	if err != nil {
		t.Fatal(err)
	}
	o := orders.Order(ServiceFullDayRecording)
	if orders.AppID != "a1" || o == nil || o.TotalNum != 5 || o.UsedNum != 1 || o.AvailableNum != 4 || orders.Order(ServiceLiveLicence) != nil {
		t.Fatalf("got %+v", orders)
	}
}
