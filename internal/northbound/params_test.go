package northbound

import (
	"strings"
	"testing"

	"github.com/vionet/vionet/internal/domain"
)

func TestParamsLenientTypes(t *testing.T) {
	p, err := ParseParams([]byte(`{"a":"7","b":7,"c":"x","d":12345678901234567890,"f":true,"g":"1","pageSize":"20"}`))
	if err != nil {
		t.Fatal(err)
	}
	d := p.Decode()
	if d.Int("a", Required) != 7 || d.Int("b", Required) != 7 || d.String("b", Required) != "7" {
		t.Fatal("number/string leniency")
	}
	if d.String("d", Required) != "12345678901234567890" {
		t.Fatal("large numbers keep their digits as strings")
	}
	if !d.Flag("f") || !d.Flag("g") || d.Flag("absent") {
		t.Fatal("flags")
	}
	if _, size := d.PageRequest(); size != 20 {
		t.Fatal("pageSize as string")
	}
	if d.Err() != nil {
		t.Fatal(d.Err())
	}
	d.Int("c", Required)
	if err := d.Err(); domain.CodeOf(err) != domain.CodeInvalidParam || !strings.HasPrefix(err.(*domain.Error).Msg, "c:") {
		t.Fatalf("want 000003 naming c, got %v", err)
	}
}

func TestParamsMissingFieldNamed(t *testing.T) {
	p, _ := ParseParams([]byte(`{"channels":[{"channelName":"ok"},{"channelName":5}]}`))
	d := p.Decode()
	d.String("deviceSn", Required)
	if err := d.Err(); err == nil || !strings.Contains(err.Error(), "deviceSn: is required") {
		t.Fatalf("got %v", err)
	}
	d = p.Decode()
	objs := d.Objects("channels", Required)
	if len(objs) != 2 || d.Err() != nil {
		t.Fatal("objects")
	}
	od := objs[1].Decode()
	od.Int("channelId", Required)
	if err := od.Err(); err == nil || !strings.Contains(err.Error(), "channels[1].channelId") {
		t.Fatalf("nested field name: %v", err)
	}
}

func TestParamsMalformed(t *testing.T) {
	for _, in := range []string{`{`, `[1,2]`, `"x"`, `{"a":1} {"b":2}`, `{"a":}`} {
		if _, err := ParseParams([]byte(in)); domain.CodeOf(err) != domain.CodeMalformed {
			t.Errorf("%q: want 000002, got %v", in, err)
		}
	}
	for _, in := range []string{``, ` `, `null`, `{}`} {
		if _, err := ParseParams([]byte(in)); err != nil {
			t.Errorf("%q: %v", in, err)
		}
	}
}
