package psrtp

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"

	"github.com/vionet/vionet/internal/media/formats/mpegps"
	"github.com/vionet/vionet/internal/media/hub"
	"github.com/vionet/vionet/internal/media/ingest/psrtp/send"
	"github.com/vionet/vionet/internal/media/mediatest"
)

// psFrame is the Program Stream of one frame, as a camera sends it.
type psFrame struct {
	ps  []byte
	ts  uint32 // 90 kHz RTP timestamp
	key bool
}

// streamOpts shape a synthetic camera stream.
type streamOpts struct {
	audio   mpegps.Codec // Unknown: none
	loops   int          // passes over the 2 s sample (default 1)
	ptsBase int64        // first PTS (90 kHz)
	noPTS   bool         // leave PES timestamps out (RTP timestamps only)
}

// makeStream muxes the mediatest sample into PS frames with mpegps.Muxer:
// one video frame every 40 ms and, with audio, two 20 ms audio frames after
// it (G.711: 160 samples; AAC: one ADTS frame).
func makeStream(t testing.TB, codec hub.Codec, o streamOpts) []psFrame {
	t.Helper()
	s := mediatest.Load(codec)
	vc := mpegps.H264
	if codec == hub.H265 {
		vc = mpegps.H265
	}
	m := mpegps.NewMuxer(vc, o.audio)
	if o.loops <= 0 {
		o.loops = 1
	}
	var out []psFrame
	n := 0
	for range o.loops {
		for _, u := range s.Units {
			pts := o.ptsBase + int64(n)*3600
			n++
			ps := pts
			if o.noPTS {
				ps = -1
			}
			b := m.Write(mpegps.Frame{Codec: vc, PTS: ps, DTS: -1, Data: u.Data, Keyframe: u.Keyframe})
			for k := range 2 {
				if o.audio == mpegps.Unknown {
					break
				}
				apts := pts + int64(k)*1800
				if o.noPTS {
					apts = -1
				}
				b = append(b, m.Write(mpegps.Frame{Codec: o.audio, PTS: apts, DTS: -1, Data: audioFrame(t, o.audio, n*2+k)})...)
			}
			out = append(out, psFrame{ps: b, ts: uint32(pts), key: u.Keyframe})
		}
	}
	return out
}

// audioFrame returns 20 ms of audio: G.711 samples, or an ADTS-wrapped AAC
// access unit (its content is opaque to the ingest).
func audioFrame(t testing.TB, c mpegps.Codec, i int) []byte {
	if c != mpegps.AAC {
		b := make([]byte, 160)
		for j := range b {
			b[j] = byte(i + j)
		}
		return b
	}
	au := []byte{0x21, 0x10, 0x04, byte(i), 0x60, 0x8C, 0x1C}
	b, err := mpeg4audio.ADTSPackets{{Type: mpeg4audio.ObjectTypeAACLC, SampleRate: 48000, ChannelConfig: 1, ChannelCount: 1, AU: au}}.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rtpPackets turns frames into RTP packets with send.Packetizer.
func rtpPackets(frames []psFrame, ssrc uint32) [][]byte {
	p := send.NewPacketizer(ssrc)
	var out [][]byte
	for _, f := range frames {
		out = append(out, p.Packetize(f.ps, f.ts)...)
	}
	return out
}

// sendPaced writes packets with a short pause every few, so that loopback
// UDP buffers never overflow even under -race.
func sendPaced(t testing.TB, write func([]byte) error, pkts [][]byte) {
	t.Helper()
	if i, err := sendUntilError(write, pkts); err != nil {
		t.Errorf("send packet %d: %v", i, err)
	}
}

// sendUntilError is sendPaced for senders whose peer may go away (a session
// that ends early closes its port).
func sendUntilError(write func([]byte) error, pkts [][]byte) (int, error) {
	for i, p := range pkts {
		if err := write(p); err != nil {
			return i, err
		}
		if i%8 == 7 {
			time.Sleep(500 * time.Microsecond)
		}
	}
	return len(pkts), nil
}

// udpSender returns a write function that sends datagrams to port on
// 127.0.0.1, and the local address it sends from.
func udpSender(t testing.TB, port int) (func([]byte) error, *net.UDPAddr) {
	t.Helper()
	c, err := net.DialUDP("udp", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return func(b []byte) error { _, err := c.Write(b); return err }, c.LocalAddr().(*net.UDPAddr)
}

// tcpWriter returns a write function that frames packets per RFC 4571.
func tcpWriter(c net.Conn) func([]byte) error {
	return func(b []byte) error { return send.WriteRFC4571(c, b) }
}

func newHub() *hub.Hub { return hub.New(hub.Options{}) }

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("PSRTP_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return nil
}

// portReceiver starts a port-range receiver on 127.0.0.1 with ports the
// kernel reports free.
func portReceiver(t testing.TB, h *hub.Hub, mod func(*Options)) *Receiver {
	t.Helper()
	o := Options{Hub: h, ListenIP: "127.0.0.1", Logger: testLogger(t)}
	o.PortMin = freePortBase(t)
	o.PortMax = o.PortMin + 19
	if mod != nil {
		mod(&o)
	}
	r, err := NewReceiver(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

// freePortBase picks an even port that was free a moment ago; the receiver
// skips ports that turn out taken.
func freePortBase(t testing.TB) int {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	p := c.LocalAddr().(*net.UDPAddr).Port
	c.Close()
	if p > 65000 {
		p -= 1000
	}
	return p &^ 1
}

func sharedReceiver(t testing.TB, h *hub.Hub, mod func(*Options)) *Receiver {
	t.Helper()
	o := Options{Hub: h, SharedAddr: "127.0.0.1:0", Logger: testLogger(t)}
	if mod != nil {
		mod(&o)
	}
	r, err := NewReceiver(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

func open(t testing.TB, r *Receiver, req Request) *Session {
	t.Helper()
	s, err := r.Open(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func ssrcOf(t testing.TB, y string) uint32 {
	v, err := send.ParseSSRC(y)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// waitPublished waits for the session's path to be published.
func waitPublished(t testing.TB, s *Session) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Wait(ctx); err != nil {
		t.Fatalf("Wait: %v (stats %+v)", err, s.Stats())
	}
}

// readUnits attaches a hub reader to path and collects units until n have
// arrived or the stream closes.
func readUnits(t testing.TB, h *hub.Hub, path string, n int) ([]hub.Track, []hub.Unit) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	rd, err := h.Read(ctx, path, hub.ReadOptions{Wait: 5 * time.Second, QueueSize: 4096})
	if err != nil {
		t.Fatalf("hub read %s: %v", path, err)
	}
	defer rd.Close()
	var units []hub.Unit
	for len(units) < n {
		u, err := rd.Next(ctx)
		if errors.Is(err, hub.ErrClosed) {
			break
		}
		if err != nil {
			t.Fatalf("after %d units: %v", len(units), err)
		}
		units = append(units, u)
	}
	return rd.Tracks(), units
}

// startReader attaches a hub reader now (before the stream is sent, so that
// it sees every unit) and returns a function that collects n units.
func startReader(t testing.TB, h *hub.Hub, path string) func(n int) ([]hub.Track, []hub.Unit) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	ch := make(chan *hub.Reader, 1)
	go func() {
		rd, err := h.Read(ctx, path, hub.ReadOptions{Wait: 15 * time.Second, QueueSize: 8192})
		if err != nil {
			t.Errorf("hub read %s: %v", path, err)
			ch <- nil
			return
		}
		ch <- rd
	}()
	return func(n int) ([]hub.Track, []hub.Unit) {
		defer cancel()
		rd := <-ch
		if rd == nil {
			t.FailNow()
		}
		defer rd.Close()
		var units []hub.Unit
		for len(units) < n {
			u, err := rd.Next(ctx)
			if err != nil {
				break
			}
			units = append(units, u)
		}
		return rd.Tracks(), units
	}
}

func strconvItoa(n int) string { return strconv.Itoa(n) }

// eventually polls cond for up to 5 s.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func dialTCP(port int) (net.Conn, error) {
	return net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
}

// sendStream is sendPaced for a stream read through startReader. Until the
// reader is attached it sends in lockstep with the session (each packet
// processed before the next is sent) and, once the path is published, waits
// for the reader: so the reader sees every unit however the goroutines are
// scheduled.
func sendStream(t testing.TB, h *hub.Hub, s *Session, write func([]byte) error, pkts [][]byte) {
	t.Helper()
	attached := false
	for i, p := range pkts {
		if err := write(p); err != nil {
			t.Errorf("send packet %d: %v", i, err)
			return
		}
		if i%8 == 7 {
			time.Sleep(500 * time.Microsecond)
		}
		if attached {
			continue
		}
		eventually(t, "packet processed", func() bool { st := s.Stats(); return st.Packets+st.RTCP > uint64(i) })
		if h.Readers(s.Path()) > 0 {
			attached = true
		} else if s.Stats().Published {
			eventually(t, "reader of "+s.Path(), func() bool { return h.Readers(s.Path()) > 0 })
			attached = true
		}
	}
}
