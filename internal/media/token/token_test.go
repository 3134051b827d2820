package token

import (
	"errors"
	"testing"
	"time"
)

func TestSignVerify(t *testing.T) {
	k, err := NewKey([]byte("0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	tok := k.Sign(Claims{Path: "live/a|b", AppID: "app1", Action: Read, Expires: now.Add(time.Minute)})
	c, err := k.Verify(tok, "live/a|b", Read, now)
	if err != nil || c.AppID != "app1" || c.Path != "live/a|b" {
		t.Fatalf("verify: %+v %v", c, err)
	}
	cases := []struct {
		name   string
		tok    string
		path   string
		action Action
		now    time.Time
		want   error
	}{
		{"expired", tok, "live/a|b", Read, now.Add(time.Minute), ErrExpired},
		{"other path", tok, "live/x", Read, now, ErrWrongPath},
		{"publish with read token", tok, "live/a|b", Publish, now, ErrAction},
		{"tampered", tok[:len(tok)-2] + "AA", "live/a|b", Read, now, ErrSignature},
		{"garbage", "nodot", "live/a|b", Read, now, ErrMalformed},
		{"bad base64", "!!.!!", "live/a|b", Read, now, ErrMalformed},
	}
	for _, tc := range cases {
		if _, err := k.Verify(tc.tok, tc.path, tc.action, tc.now); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v want %v", tc.name, err, tc.want)
		}
	}
	other, _ := NewKey([]byte("fedcba9876543210"))
	if _, err := other.Verify(tok, "live/a|b", Read, now); !errors.Is(err, ErrSignature) {
		t.Errorf("other key: %v", err)
	}
	if _, err := NewKey([]byte("short")); err == nil {
		t.Error("short key accepted")
	}
}

func FuzzParse(f *testing.F) {
	k, _ := NewKey([]byte("0123456789abcdef"))
	f.Add(k.Sign(Claims{Path: "p", Action: Read, Expires: time.Unix(2e9, 0)}))
	f.Add("a.b")
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = k.Parse(s, time.Unix(1e9, 0))
	})
}
