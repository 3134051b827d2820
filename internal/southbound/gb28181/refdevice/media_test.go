package refdevice

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"
)

// The sample goes out paced at 25 fps: PS packs in RTP with PT 96, the SSRC asked for, the
// marker on each frame's last packet and timestamps 3600 (90 kHz / 25) apart.
func TestSampleSource(t *testing.T) {
	for _, codec := range []string{CodecH264, CodecH265} {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		var pkts []rtp.Packet
		err := newSampleSource(codec, 4242).run(ctx, func(b []byte) error {
			var p rtp.Packet
			if err := p.Unmarshal(b); err != nil {
				return err
			}
			p.Payload = bytes.Clone(p.Payload)
			pkts = append(pkts, p)
			return nil
		})
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("%s: run ended with %v", codec, err)
		}
		if len(pkts) == 0 || !bytes.HasPrefix(pkts[0].Payload, []byte{0, 0, 1, 0xBA}) {
			t.Fatalf("%s: %d packets, first does not start with a pack header", codec, len(pkts))
		}
		var frames []uint32
		for i, p := range pkts {
			if p.PayloadType != 96 || p.SSRC != 4242 || p.SequenceNumber != pkts[0].SequenceNumber+uint16(i) {
				t.Fatalf("%s: packet %d: PT %d SSRC %d seq %d", codec, i, p.PayloadType, p.SSRC, p.SequenceNumber)
			}
			if p.Marker {
				frames = append(frames, p.Timestamp)
			}
		}
		// 300 ms at 25 fps: the first frame at once, then one every 40 ms.
		if len(frames) < 3 || len(frames) > 9 { // generous: the machine may be busy
			t.Errorf("%s: %d frames in 300 ms", codec, len(frames))
		}
		for i := 1; i < len(frames); i++ {
			if frames[i]-frames[i-1] != 3600 {
				t.Errorf("%s: frame %d is %d ticks after the previous", codec, i, frames[i]-frames[i-1])
			}
		}
	}
}

func TestMediaConfigValidation(t *testing.T) {
	base := Config{ServerID: "34020000002000000001", ServerDomain: "3402000000", ServerAddr: "127.0.0.1:5060",
		DeviceID: "34020000001320000001"}
	for _, tc := range []struct {
		tweak func(*Config)
		want  string
	}{
		{func(c *Config) { c.VideoCodec = "VP8" }, "video codec"},
		{func(c *Config) { c.AnswerSSRC = "123" }, "answer SSRC"},
		{func(c *Config) { c.SendSSRC = "9999999999" }, "send SSRC"},
		{func(c *Config) { c.InviteDelay = -time.Second }, "invite delay"},
	} {
		c := base
		tc.tweak(&c)
		if _, err := New(c); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("want an error about %s, got %v", tc.want, err)
		}
	}
	c := base
	c.VideoCodec = "h265"
	d, err := New(c)
	if err != nil || d.Config().VideoCodec != CodecH265 {
		t.Errorf("lower-case codec: %v", err)
	}
}
