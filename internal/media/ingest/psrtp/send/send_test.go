package send

import (
	"bytes"
	"testing"

	"github.com/pion/rtp"
)

func TestPacketize(t *testing.T) {
	p := NewPacketizer(123456789)
	p.SetSequence(65534) // wraps inside the frame
	ps := make([]byte, 3000)
	for i := range ps {
		ps[i] = byte(i)
	}
	pkts := p.Packetize(ps, 90000)
	if len(pkts) != 3 {
		t.Fatalf("%d packets, want 3", len(pkts))
	}
	var got []byte
	for i, b := range pkts {
		var r rtp.Packet
		if err := r.Unmarshal(b); err != nil {
			t.Fatal(err)
		}
		if r.Version != 2 || r.PayloadType != 96 || r.SSRC != 123456789 || r.Timestamp != 90000 {
			t.Errorf("packet %d header %+v", i, r.Header)
		}
		if want := uint16(65534 + i); r.SequenceNumber != want {
			t.Errorf("packet %d seq %d, want %d", i, r.SequenceNumber, want)
		}
		if r.Marker != (i == 2) {
			t.Errorf("packet %d marker %v", i, r.Marker)
		}
		if len(r.Payload) > DefaultMaxPayload {
			t.Errorf("payload %d bytes", len(r.Payload))
		}
		got = append(got, r.Payload...)
	}
	if !bytes.Equal(got, ps) {
		t.Error("payloads do not reassemble the input")
	}
	if p.Sequence() != 1 {
		t.Errorf("next seq %d, want 1", p.Sequence())
	}
	if p.Packetize(nil, 0) != nil {
		t.Error("empty input gave packets")
	}
}

func TestWriteRFC4571(t *testing.T) {
	var b bytes.Buffer
	if err := WriteRFC4571(&b, []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), []byte{0, 3, 1, 2, 3}) {
		t.Errorf("framed %x", b.Bytes())
	}
	if WriteRFC4571(&b, make([]byte, 70000)) != ErrTooLarge {
		t.Error("oversize packet accepted")
	}
}

func TestSSRC(t *testing.T) {
	for y, want := range map[string]uint32{"0100000001": 100000001, "1340200001": 1340200001, "4294967295": 4294967295} {
		if v, err := ParseSSRC(y); err != nil || v != want {
			t.Errorf("ParseSSRC(%s) = %d, %v", y, v, err)
		}
		if FormatSSRC(want) != y {
			t.Errorf("FormatSSRC(%d) = %s", want, FormatSSRC(want))
		}
	}
	for _, y := range []string{"", "123", "01000000011", "010000000a", "4294967296", "-100000000"} {
		if _, err := ParseSSRC(y); err == nil {
			t.Errorf("ParseSSRC(%q) accepted", y)
		}
	}
}
