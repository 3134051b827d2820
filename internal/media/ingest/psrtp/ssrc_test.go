package psrtp

import (
	"context"
	"errors"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vionet/vionet/internal/media/hub"
	"github.com/vionet/vionet/internal/media/ingest/psrtp/send"
)

func TestAllocSSRC(t *testing.T) {
	r := sharedReceiver(t, newHub(), nil)
	re := regexp.MustCompile(`^[01]\d{9}$`)
	live := r.AllocSSRC(false, "3402000000")
	if live != "0200000001" {
		t.Errorf("first live SSRC %s, want 0200000001", live)
	}
	if h := r.AllocSSRC(true, "44010200492000000001"); h != "1102000002" {
		t.Errorf("history SSRC %s, want 1102000002", h)
	}
	if y := r.AllocSSRC(false, "abc"); y != "0000000003" {
		t.Errorf("SSRC for a bad domain %s", y)
	}
	// Sequence numbers of open sessions are skipped when the counter wraps.
	open(t, r, Request{Path: "a", SSRC: "0200000005", Transport: UDP})
	seen := map[string]bool{}
	for range 9999 {
		y := r.AllocSSRC(false, "3402000000")
		if !re.MatchString(y) {
			t.Fatalf("bad SSRC %q", y)
		}
		if y == "0200000005" {
			t.Fatal("allocated the SSRC of an open session")
		}
		seen[y] = true
	}
	if len(seen) != 9998 {
		t.Errorf("%d distinct SSRCs in a cycle, want 9998", len(seen))
	}
	if _, err := r.Open(context.Background(), Request{Path: "b", SSRC: "0200000005"}); !errors.Is(err, ErrInUse) {
		t.Errorf("duplicate SSRC: %v", err)
	}
	if _, err := r.Open(context.Background(), Request{Path: "a", SSRC: "0200000006"}); !errors.Is(err, ErrInUse) {
		t.Errorf("duplicate path: %v", err)
	}
	for _, bad := range []Request{{Path: "c", SSRC: "123"}, {Path: "c", SSRC: "9999999999"}, {Path: ""}, {Path: "c"}, {Path: "c", SSRC: "0200000007", Transport: 7}} {
		if _, err := r.Open(context.Background(), bad); !errors.Is(err, ErrBadRequest) {
			t.Errorf("Open(%+v): %v", bad, err)
		}
	}
}

// A camera that ignores the offered SSRC: in shared mode its packets are
// bound to the one session waiting for that source address.
func TestSharedBindsUnknownSSRCByAddress(t *testing.T) {
	h := newHub()
	r := sharedReceiver(t, h, nil)
	s := open(t, r, Request{Path: "live/bound", SSRC: "0200000001", Transport: UDP, ExpectFrom: net.IPv4(127, 0, 0, 1)})
	write, _ := udpSender(t, r.SharedPort())
	frames := makeStream(t, hub.H264, streamOpts{})
	sendPaced(t, write, rtpPackets(frames, 0x12345678))
	waitPublished(t, s)
	_, units := readUnits(t, h, s.Path(), 1)
	if len(units) == 0 || !units[0].Keyframe {
		t.Fatal("no keyframe from the bound stream")
	}
	st := s.Stats()
	if st.WrongSSRC != st.Packets || st.Packets == 0 || st.SSRC != 0x12345678 {
		t.Errorf("stats %+v: every accepted packet should count as wrong SSRC", st)
	}
	if rs := r.Stats(); rs.Bound != 1 || rs.UnknownSSRC != 0 || rs.Sessions != 1 {
		t.Errorf("receiver stats %+v", rs)
	}
}

// Without a unique waiting session for the source, unknown SSRCs are dropped
// and the diagnosis names both SSRCs and the source address.
func TestWrongSSRCDiagnosis(t *testing.T) {
	t.Run("shared ambiguous", func(t *testing.T) {
		r := sharedReceiver(t, newHub(), func(o *Options) { o.NoRTPTimeout = 400 * time.Millisecond })
		lo := net.IPv4(127, 0, 0, 1)
		a := open(t, r, Request{Path: "a", SSRC: "0200000001", ExpectFrom: lo})
		open(t, r, Request{Path: "b", SSRC: "0200000002", ExpectFrom: lo})
		write, from := udpSender(t, r.SharedPort())
		sendPaced(t, write, rtpPackets(makeStream(t, hub.H264, streamOpts{})[:3], 1300000009))
		err := a.Wait(context.Background())
		if !errors.Is(err, ErrWrongSSRC) {
			t.Fatalf("Wait: %v", err)
		}
		for _, want := range []string{"0200000001", "1300000009", from.String()} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%q does not name %s", err, want)
			}
		}
		if rs := r.Stats(); rs.UnknownSSRC == 0 || rs.Bound != 0 {
			t.Errorf("receiver stats %+v", rs)
		}
	})
	t.Run("port strict", func(t *testing.T) {
		r := portReceiver(t, newHub(), func(o *Options) { o.NoRTPTimeout = 400 * time.Millisecond; o.StrictSSRC = true })
		s := open(t, r, Request{Path: "strict", SSRC: "0200000001"})
		write, from := udpSender(t, s.LocalPort())
		sendPaced(t, write, rtpPackets(makeStream(t, hub.H264, streamOpts{})[:3], 7))
		err := s.Wait(context.Background())
		if !errors.Is(err, ErrWrongSSRC) || !strings.Contains(err.Error(), "0000000007") || !strings.Contains(err.Error(), from.String()) {
			t.Fatalf("Wait: %v", err)
		}
		if st := s.Stats(); st.WrongSSRC == 0 || st.Packets != 0 {
			t.Errorf("stats %+v", st)
		}
	})
}

// In port-range mode the first SSRC is accepted and mismatches counted; a
// second SSRC on the same port is refused.
func TestPortModeAcceptsFirstSSRC(t *testing.T) {
	h := newHub()
	r := portReceiver(t, h, nil)
	s := open(t, r, Request{Path: "first", SSRC: "0200000001"})
	write, _ := udpSender(t, s.LocalPort())
	pkts := rtpPackets(makeStream(t, hub.H264, streamOpts{}), 42)
	other := rtpPackets(makeStream(t, hub.H264, streamOpts{})[:2], 43)
	sendPaced(t, write, append(pkts[:4:4], append(other, pkts[4:]...)...))
	waitPublished(t, s)
	eventually(t, "all packets", func() bool { return s.Stats().WrongSSRC >= uint64(len(pkts)+len(other)) })
	st := s.Stats()
	if st.SSRC != 42 || st.Packets != uint64(len(pkts)) || st.WrongSSRC != uint64(len(pkts)+len(other)) {
		t.Errorf("stats %+v (%d + %d packets sent)", st, len(pkts), len(other))
	}
}

// Two sessions on one shared port at once, one over UDP and one over TCP.
func TestSharedTwoSessions(t *testing.T) {
	h := newHub()
	r := sharedReceiver(t, h, nil)
	y1, y2 := r.AllocSSRC(false, "3402000000"), r.AllocSSRC(false, "3402000000")
	s1 := open(t, r, Request{Path: "live/one", SSRC: y1, Transport: UDP})
	s2 := open(t, r, Request{Path: "live/two", SSRC: y2, Transport: TCPPassive})
	if s1.LocalPort() != r.SharedPort() || s2.LocalPort() != r.SharedPort() {
		t.Fatalf("ports %d %d, shared %d", s1.LocalPort(), s2.LocalPort(), r.SharedPort())
	}
	read1, read2 := startReader(t, h, s1.Path()), startReader(t, h, s2.Path())
	f1 := makeStream(t, hub.H264, streamOpts{loops: 2})
	f2 := makeStream(t, hub.H265, streamOpts{loops: 2})
	udp, _ := udpSender(t, r.SharedPort())
	c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", itoa(r.SharedPort())))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	done := make(chan struct{})
	go func() { defer close(done); sendStream(t, h, s2, tcpWriter(c), rtpPackets(f2, ssrcOf(t, y2))) }()
	sendStream(t, h, s1, udp, rtpPackets(f1, ssrcOf(t, y1)))
	<-done
	waitPublished(t, s1)
	waitPublished(t, s2)
	tr1, u1 := read1(len(f1) - 1)
	tr2, u2 := read2(len(f2) - 1)
	checkVideo(t, hub.H264, tr1, u1, len(f1)-1)
	checkVideo(t, hub.H265, tr2, u2, len(f2)-1)
	if rs := r.Stats(); rs.UnknownSSRC != 0 || rs.TCPAccepted != 1 || rs.Sessions != 2 {
		t.Errorf("receiver stats %+v", rs)
	}
	if st := s2.Stats(); st.Transport != TCPPassive || st.Lost != 0 {
		t.Errorf("TCP session stats %+v", st)
	}
	_ = send.FormatSSRC
}
