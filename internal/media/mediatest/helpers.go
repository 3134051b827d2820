package mediatest

import (
	"context"
	"fmt"
	"net"
	"testing"

	"github.com/vionet/vionet/internal/media/hub"
)

// Publish publishes the sample of codec at path on h and feeds it in a loop at real time
// until the test ends (then the publisher is closed).
func Publish(t testing.TB, h *hub.Hub, path string, codec hub.Codec) *hub.Publisher {
	t.Helper()
	s := Load(codec)
	pub, err := h.Publish(path, []hub.Track{s.Track})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		Feed(ctx, pub, s, 0)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		pub.Close()
	})
	return pub
}

// FreeUDPPair returns two consecutive free UDP ports on 127.0.0.1, the first even, as
// RTSP servers need for RTP and RTCP (closed again, so a small race remains).
func FreeUDPPair(t testing.TB) (rtp, rtcp string) {
	t.Helper()
	for range 100 {
		a, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := a.LocalAddr().(*net.UDPAddr).Port
		if port%2 != 0 || port >= 65535 {
			a.Close()
			continue
		}
		b, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port+1))
		a.Close()
		if err != nil {
			continue
		}
		b.Close()
		return fmt.Sprintf("127.0.0.1:%d", port), fmt.Sprintf("127.0.0.1:%d", port+1)
	}
	t.Fatal("no free UDP port pair")
	return "", ""
}
