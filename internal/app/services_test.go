package app

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/vionet/vionet/internal/domain"
)

func attrs(kv ...string) []domain.ServiceAttr {
	out := []domain.ServiceAttr{}
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, domain.ServiceAttr{Code: kv[i], Value: kv[i+1]})
	}
	return out
}

func TestCheckServiceInput(t *testing.T) {
	const (
		typ, days, interval, rate = domain.ServType, domain.ServCloudDays, domain.ServFrameInterval, domain.ServBitrateCap
	)
	for _, tc := range []struct {
		name   string
		in     ServiceInput
		prefix string
		want   domain.ServiceChange
		err    string // "" for success; else the start of the 000003 message
	}{
		{"spec example", ServiceInput{OprType: 1, Infos: attrs(typ, "1", days, "3", rate, "4")}, "",
			domain.ServiceChange{Open: true, Service: domain.DeviceService{Type: 1, PackageType: 1, Attrs: attrs(typ, "1", days, "3", rate, "4")}}, ""},
		{"attrs in any order, numbers normalised", ServiceInput{OprType: 1, PackageType: 2, Infos: attrs(rate, "04", typ, " 1", days, "30")}, "",
			domain.ServiceChange{Open: true, Service: domain.DeviceService{Type: 1, PackageType: 2, Attrs: attrs(typ, "1", days, "30", rate, "4")}}, ""},
		{"pictures", ServiceInput{OprType: 1, Infos: attrs(typ, "3", interval, "60", days, "7")}, "",
			domain.ServiceChange{Open: true, Service: domain.DeviceService{Type: 3, PackageType: 1, Attrs: attrs(typ, "3", days, "7", interval, "60")}}, ""},
		{"live licence", ServiceInput{OprType: 1, Infos: attrs(typ, "4")}, "",
			domain.ServiceChange{Open: true, Service: domain.DeviceService{Type: 4, PackageType: 1, Attrs: attrs(typ, "4")}}, ""},
		{"close one", ServiceInput{OprType: 2, Infos: attrs(typ, "1", typ, "1", typ, "4")}, "", domain.ServiceChange{Close: []int{1, 4}}, ""},
		{"close all", ServiceInput{OprType: 2}, "", domain.ServiceChange{}, ""},

		{"bad oprType", ServiceInput{OprType: 3}, "", domain.ServiceChange{}, "oprType:"},
		{"bad package", ServiceInput{OprType: 1, PackageType: 3, Infos: attrs(typ, "4")}, "", domain.ServiceChange{}, "packageType:"},
		{"open without infos", ServiceInput{OprType: 1}, "oprList[2].", domain.ServiceChange{}, "oprList[2].serviceInfos:"},
		{"open without type", ServiceInput{OprType: 1, Infos: attrs(days, "3")}, "", domain.ServiceChange{}, "serviceInfos:"},
		{"unknown code", ServiceInput{OprType: 1, Infos: attrs(typ, "1", days, "3", "10002010002", "1")}, "oprList[0].", domain.ServiceChange{}, "oprList[0].serviceInfos[2].servCode:"},
		{"type 2", ServiceInput{OprType: 1, Infos: attrs(typ, "2")}, "", domain.ServiceChange{}, "serviceInfos[0].servValue:"},
		{"not a number", ServiceInput{OprType: 1, Infos: attrs(typ, "1", days, "three")}, "", domain.ServiceChange{}, "serviceInfos[1].servValue:"},
		{"days out of range", ServiceInput{OprType: 1, Infos: attrs(typ, "1", days, "3651")}, "", domain.ServiceChange{}, "serviceInfos[1].servValue:"},
		{"bitrate 0", ServiceInput{OprType: 1, Infos: attrs(typ, "1", days, "3", rate, "0")}, "", domain.ServiceChange{}, "serviceInfos[2].servValue:"},
		{"interval too long", ServiceInput{OprType: 1, Infos: attrs(typ, "3", interval, "86401")}, "", domain.ServiceChange{}, "serviceInfos[1].servValue:"},
		{"recording needs days", ServiceInput{OprType: 1, Infos: attrs(typ, "1", rate, "4")}, "", domain.ServiceChange{}, "serviceInfos:"},
		{"pictures need interval", ServiceInput{OprType: 1, Infos: attrs(typ, "3", days, "3")}, "", domain.ServiceChange{}, "serviceInfos:"},
		{"interval on recording", ServiceInput{OprType: 1, Infos: attrs(typ, "1", days, "3", interval, "5")}, "", domain.ServiceChange{}, "serviceInfos[2].servCode:"},
		{"days on licence", ServiceInput{OprType: 1, Infos: attrs(typ, "4", days, "3")}, "", domain.ServiceChange{}, "serviceInfos[1].servCode:"},
		{"two types to open", ServiceInput{OprType: 1, Infos: attrs(typ, "4", typ, "1", days, "3")}, "", domain.ServiceChange{}, "serviceInfos[1].servCode:"},
		{"attr twice", ServiceInput{OprType: 1, Infos: attrs(typ, "1", days, "3", days, "4")}, "", domain.ServiceChange{}, "serviceInfos[2].servCode:"},
		{"close without type", ServiceInput{OprType: 2, Infos: attrs(days, "3")}, "", domain.ServiceChange{}, "serviceInfos:"},
		{"close checks codes", ServiceInput{OprType: 2, Infos: attrs(typ, "1", "x", "1")}, "", domain.ServiceChange{}, "serviceInfos[1].servCode:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := checkServiceInput(tc.in, tc.prefix)
			if tc.err != "" {
				var e *domain.Error
				if !errors.As(err, &e) || e.Code != domain.CodeInvalidParam || !strings.HasPrefix(e.Msg, tc.err) {
					t.Fatalf("want 000003 %q…, got %v", tc.err, err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestPrefixed(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{domain.InvalidField("deviceSn", "x"), "000003 oprList[3].deviceSn: x"},
		{domain.Errorf(domain.CodeForbidden, "device d belongs to another tenant"), "000005 oprList[3]: device d belongs to another tenant"},
		{errors.New("plain"), "plain"},
	} {
		if got := prefixed(tc.err, "oprList[3].").Error(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}
