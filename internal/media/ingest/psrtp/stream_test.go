package psrtp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vionet/vionet/internal/media/formats/h26x"
	"github.com/vionet/vionet/internal/media/formats/mpegps"
	"github.com/vionet/vionet/internal/media/hub"
	"github.com/vionet/vionet/internal/media/ingest/psrtp/send"
	"github.com/vionet/vionet/internal/media/mediatest"
)

func TestReorder(t *testing.T) {
	h := newHub()
	r := portReceiver(t, h, nil)
	s := open(t, r, Request{Path: "reorder", SSRC: "0200000001"})
	read := startReader(t, h, s.Path())
	write, _ := udpSender(t, s.LocalPort())
	frames := makeStream(t, hub.H264, streamOpts{loops: 2})
	pkts := rtpPackets(frames, ssrcOf(t, "0200000001"))
	swaps := 0
	for i := 3; i+3 < len(pkts); i += 7 {
		pkts[i], pkts[i+2] = pkts[i+2], pkts[i] // i+2 overtakes i and i+1
		swaps++
	}
	pkts = append(pkts[:10:10], append([][]byte{pkts[9]}, pkts[10:]...)...) // a duplicate
	sendStream(t, h, s, write, pkts)
	tracks, units := read(len(frames) - 1)
	checkVideo(t, hub.H264, tracks, units, len(frames)-1)
	st := s.Stats()
	if st.Lost != 0 || st.Reordered < uint64(swaps) || st.Late != 1 || st.DroppedFrames != 0 {
		t.Errorf("stats %+v after %d swaps and one duplicate", st, swaps)
	}
}

// One lost packet in a P frame: the demuxer is reset, video is dropped up
// to the next keyframe, the reader sees the stream resume on that keyframe.
func TestLossResumesOnKeyframe(t *testing.T) {
	for _, tr := range []Transport{UDP, TCPPassive} {
		t.Run(tr.String(), func(t *testing.T) {
			h := newHub()
			r := portReceiver(t, h, func(o *Options) { o.JitterDelay = 30 * time.Millisecond })
			y := "0200000001"
			s := open(t, r, Request{Path: "loss", SSRC: y, Transport: tr})
			read := startReader(t, h, s.Path())
			frames := makeStream(t, hub.H264, streamOpts{loops: 2})
			p := send.NewPacketizer(ssrcOf(t, y))
			var pkts [][]byte
			for i, f := range frames {
				fp := p.Packetize(f.ps, f.ts)
				if i == 5 {
					fp = fp[1:] // the first packet of frame 5 is lost
				}
				pkts = append(pkts, fp...)
			}
			write := sendTo(t, tr, s)
			sendStream(t, h, s, write, pkts)
			_, units := read(len(frames) - 1 - 21)
			var got []int
			for _, u := range units {
				got = append(got, int(u.PTS/(40*time.Millisecond)))
			}
			// Frame 4 is still being assembled when the gap is seen (the demuxer
			// completes a frame at the start of the next), so it goes too.
			want := []int{0, 1, 2, 3}
			for i := 25; len(want) < len(got); i++ {
				want = append(want, i)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("frames %v\nwant   %v", got, want)
			}
			if len(units) < 5 || !units[4].Keyframe {
				t.Error("stream did not resume on a keyframe")
			}
			st := s.Stats()
			// Frame 5 lost its start and is never assembled: not a frame.
			if st.Lost != 1 || st.DroppedFrames != 20 {
				t.Errorf("stats %+v: want 1 lost packet, 20 dropped frames (4, 6..24)", st)
			}
		})
	}
}

// sendTo connects to a UDP or TCP-passive session and returns a writer.
func sendTo(t *testing.T, tr Transport, s *Session) func([]byte) error {
	t.Helper()
	if tr == UDP {
		w, _ := udpSender(t, s.LocalPort())
		return w
	}
	c, err := dialTCP(s.LocalPort())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return tcpWriter(c)
}

func TestAudio(t *testing.T) {
	for _, tc := range []struct {
		audio   mpegps.Codec
		codec   hub.Codec
		rate    int
		config  []byte
		payload func(i int) []byte
	}{
		{mpegps.G711A, hub.G711A, 8000, nil, func(i int) []byte { return audioFrame(t, mpegps.G711A, i) }},
		{mpegps.G711U, hub.G711U, 8000, nil, func(i int) []byte { return audioFrame(t, mpegps.G711U, i) }},
		// AAC-LC, 48 kHz, mono: AudioSpecificConfig 00010 0011 0001 000.
		{mpegps.AAC, hub.AAC, 48000, []byte{0x11, 0x88}, func(i int) []byte { return []byte{0x21, 0x10, 0x04, byte(i), 0x60, 0x8C, 0x1C} }},
	} {
		t.Run(tc.codec.String(), func(t *testing.T) {
			h := newHub()
			r := portReceiver(t, h, nil)
			s := open(t, r, Request{Path: "audio", SSRC: "0200000001"})
			read := startReader(t, h, s.Path())
			write, _ := udpSender(t, s.LocalPort())
			frames := makeStream(t, hub.H265, streamOpts{audio: tc.audio})
			sendStream(t, h, s, write, rtpPackets(frames, ssrcOf(t, "0200000001")))
			tracks, units := read(3 * (len(frames) - 1))
			if len(tracks) != 2 || tracks[1].Codec != tc.codec || tracks[1].ClockRate != tc.rate || !bytes.Equal(tracks[1].Config, tc.config) {
				t.Fatalf("tracks %+v", tracks)
			}
			checkVideo(t, hub.H265, tracks, units, len(frames)-1)
			var audio []hub.Unit
			for _, u := range units {
				if u.Track == 1 {
					audio = append(audio, u)
				}
			}
			if len(audio) < 2*(len(frames)-2) {
				t.Fatalf("%d audio units for %d video frames", len(audio), len(frames))
			}
			// Audio before the first keyframe was published is dropped; the first
			// published one is the first of frame 0's pair or later.
			first := int(audio[0].PTS / (20 * time.Millisecond))
			for i, u := range audio {
				n := first + i
				if want := time.Duration(n) * 20 * time.Millisecond; u.PTS != want || u.Keyframe {
					t.Fatalf("audio %d: PTS %v key %v, want %v", i, u.PTS, u.Keyframe, want)
				}
				if want := tc.payload(n + 2); !bytes.Equal(u.Data, want) {
					t.Fatalf("audio %d: data %x, want %x", i, u.Data, want)
				}
			}
		})
	}
}

// Timestamps keep increasing across the 33-bit PTS wrap, and across the
// 32-bit RTP timestamp wrap for frames without PES timestamps.
func TestTimestampWrap(t *testing.T) {
	for _, noPTS := range []bool{false, true} {
		t.Run(fmt.Sprintf("noPTS=%v", noPTS), func(t *testing.T) {
			h := newHub()
			r := portReceiver(t, h, nil)
			s := open(t, r, Request{Path: "wrap", SSRC: "0200000001"})
			read := startReader(t, h, s.Path())
			write, _ := udpSender(t, s.LocalPort())
			frames := makeStream(t, hub.H264, streamOpts{ptsBase: 1<<33 - 45000, noPTS: noPTS, loops: 2})
			sendStream(t, h, s, write, rtpPackets(frames, ssrcOf(t, "0200000001")))
			tracks, units := read(len(frames) - 1)
			checkVideo(t, hub.H264, tracks, units, len(frames)-1)
		})
	}
}

func TestNoRTP(t *testing.T) {
	r := portReceiver(t, newHub(), func(o *Options) { o.NoRTPTimeout = 300 * time.Millisecond })
	s := open(t, r, Request{Path: "silent", SSRC: "0200000001"})
	start := time.Now()
	err := s.Wait(context.Background())
	took := time.Since(start)
	if !errors.Is(err, ErrNoRTP) {
		t.Fatalf("Wait: %v", err)
	}
	if took < 300*time.Millisecond || took > 2*time.Second {
		t.Errorf("diagnosed after %v, want about 300ms", took)
	}
	want := fmt.Sprintf("no RTP at all on UDP port %d within 300ms", s.LocalPort())
	if !strings.Contains(err.Error(), want) {
		t.Errorf("%q does not say %q", err, want)
	}
	<-s.Done()
	if !errors.Is(s.Err(), ErrNoRTP) {
		t.Errorf("Err: %v", s.Err())
	}
	if rs := r.Stats(); rs.Sessions != 0 {
		t.Errorf("ended session still counted: %+v", rs)
	}
	// The port is free for the next session.
	s2 := open(t, r, Request{Path: "silent", SSRC: "0200000001"})
	if s2.LocalPort() == 0 {
		t.Error("no port")
	}
}

func TestNotPS(t *testing.T) {
	t.Run("raw H264", func(t *testing.T) {
		r := portReceiver(t, newHub(), nil)
		s := open(t, r, Request{Path: "raw", SSRC: "0200000001"})
		write, _ := udpSender(t, s.LocalPort())
		p := send.NewPacketizer(ssrcOf(t, "0200000001"))
		p.MaxPayload = 100
		var pkts [][]byte
		for i, u := range mediatest.Load(hub.H264).Units {
			pkts = append(pkts, p.Packetize(u.Data, uint32(i*3600))...)
		}
		if len(pkts) < notPSPackets {
			t.Fatalf("only %d packets", len(pkts))
		}
		start := time.Now()
		sendUntilError(write, pkts)
		err := s.Wait(context.Background())
		if !errors.Is(err, ErrNotPS) || !strings.Contains(err.Error(), "without a pack header") {
			t.Fatalf("Wait: %v", err)
		}
		if time.Since(start) > 3*time.Second {
			t.Errorf("took %v: should be diagnosed early", time.Since(start))
		}
	})
	t.Run("payload type 98", func(t *testing.T) {
		r := portReceiver(t, newHub(), func(o *Options) { o.NoRTPTimeout = 300 * time.Millisecond })
		s := open(t, r, Request{Path: "pt98", SSRC: "0200000001"})
		write, _ := udpSender(t, s.LocalPort())
		p := send.NewPacketizer(ssrcOf(t, "0200000001"))
		p.PayloadType = 98
		sendPaced(t, write, p.Packetize(makeStream(t, hub.H264, streamOpts{})[0].ps, 0))
		err := s.Wait(context.Background())
		if !errors.Is(err, ErrNotPS) || !strings.Contains(err.Error(), "payload type 98") {
			t.Fatalf("Wait: %v", err)
		}
	})
}

func TestNoKeyframe(t *testing.T) {
	strip := func(f mpegps.Frame) mpegps.Frame {
		var keep [][]byte
		for _, n := range h26x.SplitAnnexB(f.Data) {
			if tp := h26x.NALType(h26x.H264, n); tp != 7 && tp != 8 {
				keep = append(keep, n)
			}
		}
		f.Data = h26x.JoinAnnexB(keep...)
		return f
	}
	for _, tc := range []struct {
		name string
		mod  func(i int, f mpegps.Frame) (mpegps.Frame, bool)
		want string
	}{
		{"only P frames", func(i int, f mpegps.Frame) (mpegps.Frame, bool) { return f, !f.Keyframe }, "none a keyframe"},
		{"no parameter sets", func(i int, f mpegps.Frame) (mpegps.Frame, bool) { return strip(f), true }, "keyframes but no SPS and PPS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := portReceiver(t, newHub(), func(o *Options) { o.KeyframeTimeout = 400 * time.Millisecond })
			s := open(t, r, Request{Path: "nokey", SSRC: "0200000001"})
			write, _ := udpSender(t, s.LocalPort())
			m := mpegps.NewMuxer(mpegps.H264, mpegps.Unknown)
			p := send.NewPacketizer(ssrcOf(t, "0200000001"))
			var pkts [][]byte
			for i, u := range mediatest.Load(hub.H264).Units {
				f, ok := tc.mod(i, mpegps.Frame{Codec: mpegps.H264, PTS: int64(i) * 3600, DTS: -1, Data: u.Data, Keyframe: u.Keyframe})
				if ok {
					pkts = append(pkts, p.Packetize(m.Write(f), uint32(i*3600))...)
				}
			}
			go func() {
				// Keep sending so the session is not ended as stalled first.
				for range 4 {
					sendUntilError(write, pkts)
					time.Sleep(100 * time.Millisecond)
				}
			}()
			err := s.Wait(context.Background())
			if !errors.Is(err, ErrNoKeyframe) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Wait: %v", err)
			}
		})
	}
}

// A running stream that stops ends the session with ErrStalled and closes the
// hub path.
func TestStall(t *testing.T) {
	h := newHub()
	r := sharedReceiver(t, h, func(o *Options) { o.NoRTPTimeout = 300 * time.Millisecond })
	s := open(t, r, Request{Path: "stall", SSRC: "0200000001"})
	write, _ := udpSender(t, r.SharedPort())
	sendPaced(t, write, rtpPackets(makeStream(t, hub.H264, streamOpts{}), ssrcOf(t, "0200000001")))
	waitPublished(t, s)
	rd, err := h.Read(context.Background(), "stall", hub.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	select {
	case <-s.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("session did not end")
	}
	if !errors.Is(s.Err(), ErrStalled) {
		t.Errorf("Err: %v", s.Err())
	}
	if err := s.Wait(context.Background()); err != nil {
		t.Errorf("Wait after publishing: %v", err)
	}
	for {
		if _, err := rd.Next(context.Background()); err != nil {
			if !errors.Is(err, hub.ErrClosed) {
				t.Errorf("reader: %v", err)
			}
			break
		}
	}
}

func TestCloseBeforePublish(t *testing.T) {
	r := portReceiver(t, newHub(), nil)
	s := open(t, r, Request{Path: "closed", SSRC: "0200000001", Transport: TCPPassive})
	go func() { time.Sleep(50 * time.Millisecond); s.Close() }()
	if err := s.Wait(context.Background()); !errors.Is(err, ErrSessionClosed) {
		t.Errorf("Wait: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s2 := open(t, r, Request{Path: "ctx", SSRC: "0200000002"})
	if err := s2.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Wait with canceled ctx: %v", err)
	}
	r.Close()
	if _, err := r.Open(context.Background(), Request{Path: "late"}); !errors.Is(err, ErrReceiverClosed) {
		t.Errorf("Open after Close: %v", err)
	}
	if !errors.Is(s2.Err(), ErrSessionClosed) {
		t.Errorf("session after receiver Close: %v", s2.Err())
	}
}

// The audio codec is learnt from the Program Stream Map alone, so the audio
// track is published even if no audio frame precedes the first keyframe.
func TestSniffPSM(t *testing.T) {
	for _, tc := range []struct {
		audio mpegps.Codec
		want  hub.Codec
		known bool
	}{{mpegps.G711A, hub.G711A, true}, {mpegps.G711U, hub.G711U, true}, {mpegps.AAC, hub.AAC, false}, {mpegps.Unknown, 0, false}} {
		m := mpegps.NewMuxer(mpegps.H264, tc.audio)
		ps := m.Write(mpegps.Frame{Codec: mpegps.H264, PTS: 0, DTS: -1, Data: []byte{0, 0, 0, 1, 0x65, 1}, Keyframe: true})
		var a audioState
		a.sniffPSM(ps)
		if a.codec != tc.want || a.known() != tc.known {
			t.Errorf("%v: codec %v known %v", tc.audio, a.codec, a.known())
		}
		for i := range ps { // truncated maps are ignored, never misread
			var b audioState
			b.sniffPSM(ps[:i])
			if b.codec != 0 && b.codec != tc.want {
				t.Fatalf("%v cut at %d: %v", tc.audio, i, b.codec)
			}
		}
	}
}
