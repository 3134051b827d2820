package gb28181

import (
	"bytes"
	"testing"
)

const validRegister = "REGISTER sip:34020000002000000001@3402000000 SIP/2.0\r\n" +
	"Via: SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK1\r\nFrom: <sip:34020000001320000001@3402000000>;tag=1\r\n" +
	"To: <sip:34020000001320000001@3402000000>\r\nCall-ID: abc\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n"

func TestMalformed(t *testing.T) {
	if r := malformed([]byte(validRegister)); r != "" {
		t.Fatalf("valid REGISTER judged %q", r)
	}
	compact := "MESSAGE sip:x SIP/2.0\r\nv: SIP/2.0/UDP h\r\nf: <sip:a@b>\r\nt: <sip:c@d>\r\ni: x\r\nCSeq: 1 MESSAGE\r\n\r\n"
	if r := malformed([]byte(compact)); r != "" {
		t.Fatalf("compact headers judged %q", r)
	}
	for _, bad := range []string{"hello", "GET / HTTP/1.1\r\n\r\n", "REGISTER sip:x SIP/2.0\r\nVia: x\r\n",
		"REGISTER sip:x SIP/2.0\r\nVia: x\r\nFrom: y\r\n\r\n", "REGISTER sip:x SIP/2.0\r\nnocolon\r\n\r\n"} {
		if malformed([]byte(bad)) == "" {
			t.Errorf("%q passed", bad)
		}
	}
	resp := badRequest([]byte("REGISTER sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9\r\nCall-ID: q\r\n\r\n"), "missing from")
	if !bytes.HasPrefix(resp, []byte("SIP/2.0 400 ")) || !bytes.Contains(resp, []byte("Call-ID: q\r\n")) {
		t.Errorf("400: %q", resp)
	}
}

// FuzzMalformed: the pre-parse screen and the 400 builder never panic on any input.
func FuzzMalformed(f *testing.F) {
	f.Add([]byte(validRegister))
	f.Add([]byte("SIP/2.0 200 OK\r\nVia: x\r\n\r\n"))
	f.Add([]byte("\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if reason := malformed(data); reason != "" {
			badRequest(data, reason)
		}
	})
}
