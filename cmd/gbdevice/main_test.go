package main

import (
	"io"
	"strings"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	o, err := parseFlags([]string{"--server", "127.0.0.1:5070", "--transport", "tcp", "--channels", "4",
		"--count", "10", "--expires", "600", "--keepalive", "20s", "--version", "2022"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if o.cfg.ServerAddr != "127.0.0.1:5070" || o.cfg.Transport != "tcp" || o.cfg.Channels != 4 || o.count != 10 ||
		o.cfg.Expires != 600*time.Second || o.cfg.KeepaliveInterval != 20*time.Second || o.cfg.Version != "2022" {
		t.Fatalf("options %+v", o)
	}
	for _, bad := range [][]string{{"--count", "0"}, {"--expires", "0"}, {"extra"}, {"--udp-mtu", "10"}} {
		if _, err := parseFlags(bad, io.Discard); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

func TestReadPasswords(t *testing.T) {
	m, err := readPasswords(strings.NewReader("# comment\n\n34020000001320000001 pw1\n  34020000001320000002\tpw2  \n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 2 || m["34020000001320000001"] != "pw1" || m["34020000001320000002"] != "pw2" {
		t.Fatalf("passwords %v", m)
	}
	if _, err := readPasswords(strings.NewReader("34020000001320000001\n")); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Fatalf("bad line: %v", err)
	}
}
