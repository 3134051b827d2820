package psrtp

import (
	"context"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/vionet/vionet/internal/media/hub"
)

// Closing a receiver ends every goroutine it started: readers, accept loops,
// session goroutines and connections, in both modes and all transports,
// including connections that never sent anything routable.
func TestCloseLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	for _, shared := range []bool{false, true} {
		h := newHub()
		o := Options{Hub: h, ListenIP: "127.0.0.1", NoRTPTimeout: time.Minute}
		if shared {
			o.SharedAddr = "127.0.0.1:0"
		} else {
			o.PortMin = freePortBase(t)
			o.PortMax = o.PortMin + 9
		}
		r, err := NewReceiver(o)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		udp, _ := r.Open(ctx, Request{Path: "u", SSRC: "0200000001", Transport: UDP})
		tcp, _ := r.Open(ctx, Request{Path: "t", SSRC: "0200000002", Transport: TCPPassive})
		act, _ := r.Open(ctx, Request{Path: "a", SSRC: "0200000003", Transport: TCPActive})
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		if err := act.Connect(ctx, ln.Addr().String()); err != nil {
			t.Fatal(err)
		}
		dev, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		// A publishing TCP stream, plus an idle connection.
		c1, err := dialTCP(tcp.LocalPort())
		if err != nil {
			t.Fatal(err)
		}
		idle, err := dialTCP(tcp.LocalPort())
		if err != nil {
			t.Fatal(err)
		}
		pkts := rtpPackets(makeStream(t, hub.H264, streamOpts{}), ssrcOf(t, "0200000002"))
		sendPaced(t, tcpWriter(c1), pkts[:20])
		w, _ := udpSender(t, udp.LocalPort())
		sendPaced(t, w, rtpPackets(makeStream(t, hub.H264, streamOpts{}), ssrcOf(t, "0200000001"))[:20])
		eventually(t, "UDP packets", func() bool { return udp.Stats().Packets > 0 })
		r.Close()
		for _, c := range []net.Conn{dev, c1, idle} {
			c.Close()
		}
		ln.Close()
		for _, s := range []*Session{udp, tcp, act} {
			select {
			case <-s.Done():
			default:
				t.Errorf("session %s not done after Receiver.Close", s.Path())
			}
		}
	}
	eventually(t, "goroutines to end", func() bool { return runtime.NumGoroutine() <= before })
}
