package psrtp

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vionet/vionet/internal/media/hub"
	"github.com/vionet/vionet/internal/media/mediatest"
)

// checkVideo asserts that units start with a keyframe and that the video
// track matches the sample: codec, size, parameter sets; the access units
// must be the sample's, in order.
func checkVideo(t *testing.T, codec hub.Codec, tracks []hub.Track, units []hub.Unit, want int) {
	t.Helper()
	s := mediatest.Load(codec)
	if len(tracks) == 0 {
		t.Fatal("no tracks")
	}
	v := tracks[0]
	if v.Codec != codec || v.Width != mediatest.Width || v.Height != mediatest.Height || v.ClockRate != 90000 {
		t.Errorf("video track %v %dx%d @%d, want %v %dx%d", v.Codec, v.Width, v.Height, v.ClockRate, codec, mediatest.Width, mediatest.Height)
	}
	if !bytes.Equal(v.Config, s.Track.Config) {
		t.Errorf("Config %x, want %x", v.Config, s.Track.Config)
	}
	var video []hub.Unit
	for _, u := range units {
		if u.Track == 0 {
			video = append(video, u)
		}
	}
	if len(video) < want {
		t.Fatalf("%d video units, want at least %d", len(video), want)
	}
	if !video[0].Keyframe {
		t.Error("first unit is not a keyframe")
	}
	first := int(video[0].PTS / (40 * time.Millisecond)) // where the reader joined
	for i, u := range video {
		ref := s.Units[(first+i)%len(s.Units)]
		if !bytes.Equal(u.Data, ref.Data) || u.Keyframe != ref.Keyframe {
			t.Fatalf("unit %d: %d bytes key=%v, want %d bytes key=%v", i, len(u.Data), u.Keyframe, len(ref.Data), ref.Keyframe)
		}
		if i > 0 && u.DTS <= video[i-1].DTS {
			t.Fatalf("unit %d: DTS %v after %v", i, u.DTS, video[i-1].DTS)
		}
		if want := time.Duration(first+i) * 40 * time.Millisecond; u.PTS != want || u.DTS != want {
			t.Fatalf("unit %d: PTS %v, want %v", i, u.PTS, want)
		}
	}
}

func TestUDP(t *testing.T) {
	for _, codec := range []hub.Codec{hub.H264, hub.H265} {
		t.Run(codec.String(), func(t *testing.T) {
			h := newHub()
			r := portReceiver(t, h, nil)
			y := r.AllocSSRC(false, "3402000000")
			s := open(t, r, Request{Path: "live/udp/" + codec.String(), SSRC: y, Transport: UDP})
			read := startReader(t, h, s.Path())
			write, _ := udpSender(t, s.LocalPort())
			frames := makeStream(t, codec, streamOpts{loops: 2})
			pkts := rtpPackets(frames, ssrcOf(t, y))
			// RTCP on the RTP port (RFC 5761 style) and on port+1.
			sr := []byte{0x80, 200, 0, 6, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
			pkts = append(pkts[:5:5], append([][]byte{sr}, pkts[5:]...)...)
			rtcp, _ := udpSender(t, s.LocalPort()+1)
			if err := rtcp(sr); err != nil {
				t.Fatal(err)
			}
			sendStream(t, h, s, write, pkts)
			waitPublished(t, s)
			tracks, units := read(len(frames) - 1)
			checkVideo(t, codec, tracks, units, len(frames)-1)
			if len(tracks) != 1 {
				t.Errorf("%d tracks, want video only", len(tracks))
			}
			st := s.Stats()
			if st.Packets != uint64(len(pkts)-1) || st.Lost != 0 || st.WrongSSRC != 0 || !st.Published || st.Transport != UDP {
				t.Errorf("stats %+v", st)
			}
			if st.RTCP != 2 {
				t.Errorf("RTCP %d, want 2", st.RTCP)
			}
			if !strings.HasPrefix(st.RemoteAddr, "127.0.0.1:") {
				t.Errorf("remote %q", st.RemoteAddr)
			}
		})
	}
}

func TestTCPPassive(t *testing.T) {
	h := newHub()
	r := portReceiver(t, h, nil)
	y := r.AllocSSRC(false, "3402000000")
	s := open(t, r, Request{Path: "live/tcp-passive", SSRC: y, Transport: TCPPassive})
	read := startReader(t, h, s.Path())
	c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", itoa(s.LocalPort())))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	frames := makeStream(t, hub.H265, streamOpts{loops: 2})
	pkts := rtpPackets(frames, ssrcOf(t, y))
	sendStream(t, h, s, tcpWriter(c), pkts)
	waitPublished(t, s)
	tracks, units := read(len(frames) - 1)
	checkVideo(t, hub.H265, tracks, units, len(frames)-1)
	if st := s.Stats(); st.Packets != uint64(len(pkts)) || st.Lost != 0 || st.Transport != TCPPassive {
		t.Errorf("stats %+v", st)
	}
}

func TestTCPActive(t *testing.T) {
	h := newHub()
	r := portReceiver(t, h, nil)
	y := r.AllocSSRC(false, "3402000000")
	s := open(t, r, Request{Path: "live/tcp-active", SSRC: y, Transport: TCPActive})
	if s.LocalPort() != 9 {
		t.Errorf("LocalPort %d, want 9 for an active session", s.LocalPort())
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0") // the device's passive media port
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	read := startReader(t, h, s.Path())
	if err := s.Connect(context.Background(), ln.Addr().String()); err != nil {
		t.Fatal(err)
	}
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	frames := makeStream(t, hub.H264, streamOpts{loops: 2})
	sendStream(t, h, s, tcpWriter(c), rtpPackets(frames, ssrcOf(t, y)))
	waitPublished(t, s)
	tracks, units := read(len(frames) - 1)
	checkVideo(t, hub.H264, tracks, units, len(frames)-1)
	if err := s.Connect(context.Background(), ln.Addr().String()); !errors.Is(err, ErrBadRequest) {
		t.Errorf("second Connect: %v", err)
	}
}

func TestTCPConnectFails(t *testing.T) {
	r := portReceiver(t, newHub(), nil)
	s := open(t, r, Request{Path: "live/refused", SSRC: "0000000001", Transport: TCPActive})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	err = s.Connect(context.Background(), addr)
	if !errors.Is(err, ErrTCPConnect) || !errors.Is(err, syscall.ECONNREFUSED) || !strings.Contains(err.Error(), addr) {
		t.Fatalf("Connect: %v", err)
	}
	<-s.Done()
	if err := s.Wait(context.Background()); !errors.Is(err, ErrTCPConnect) {
		t.Errorf("Wait: %v", err)
	}
}

func itoa(n int) string { return strconvItoa(n) }

func TestTCPActiveSilent(t *testing.T) {
	r := portReceiver(t, newHub(), func(o *Options) { o.NoRTPTimeout = 300 * time.Millisecond })
	never := open(t, r, Request{Path: "never", SSRC: "0000000001", Transport: TCPActive})
	silent := open(t, r, Request{Path: "silent", SSRC: "0000000002", Transport: TCPActive})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := silent.Connect(context.Background(), ln.Addr().String()); err != nil {
		t.Fatal(err)
	}
	if err := never.Wait(context.Background()); !errors.Is(err, ErrNoRTP) || !strings.Contains(err.Error(), "Connect not called") {
		t.Errorf("never connected: %v", err)
	}
	if err := silent.Wait(context.Background()); !errors.Is(err, ErrNoRTP) || !strings.Contains(err.Error(), "TCP connection to "+ln.Addr().String()) {
		t.Errorf("connected but silent: %v", err)
	}
}
