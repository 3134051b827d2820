package gb28181

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"

	"github.com/vionet/vionet/internal/domain"
	"github.com/vionet/vionet/internal/media/formats/mpegps"
	"github.com/vionet/vionet/internal/southbound/gb28181/refdevice"
	"github.com/vionet/vionet/internal/southbound/gb28181/sdp"
)

// The media-session tests run vionet's SIP server and reference devices on loopback: real
// INVITE/200/ACK/BYE exchanges over UDP and TCP, and real PS-over-RTP streams received on
// sockets the tests open.

const (
	testServerID = "34020000002000000001"
	testDomain   = "3402000000"
	testPassword = "Secret123"
)

// testSink is the app's side of the driver, reduced to what registration needs.
type testSink struct {
	mu      sync.Mutex
	offline []string
}

func (k *testSink) SIPPassword(context.Context, string) (string, error) { return testPassword, nil }
func (k *testSink) DeviceOnline(context.Context, domain.Registration) error {
	return nil
}
func (k *testSink) DeviceOffline(_ context.Context, sn, _ string) error {
	k.mu.Lock()
	k.offline = append(k.offline, sn)
	k.mu.Unlock()
	return nil
}
func (k *testSink) ApplyCatalog(context.Context, string, []domain.CatalogChannel) error { return nil }
func (k *testSink) ApplyDeviceInfo(context.Context, string, domain.DeviceInfo) error    { return nil }
func (k *testSink) DeviceAlarm(context.Context, domain.Alarm) error                     { return nil }
func (k *testSink) Registrations(context.Context) ([]domain.Registration, error)        { return nil, nil }

func TestMain(m *testing.M) {
	// sipgo logs through its package logger too ("TCP ref went negative" whenever a TCP
	// connection closes); set once, before any user agent runs.
	sip.SetDefaultLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	sip.SIPDebug = os.Getenv("SIP_DEBUG") == "true" // print every SIP message sent and read
	os.Exit(m.Run())
}

func testLog() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func startTestServer(t *testing.T) *Server {
	t.Helper()
	s, err := New(Config{Addr: "127.0.0.1:0", ServerID: testServerID, Domain: testDomain, RequestTimeout: 3 * time.Second},
		&testSink{}, nil, testLog())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); s.Wait() })
	return s
}

// startTestDevice registers a reference IPC (its own channel) with s over sipTransport.
func startTestDevice(t *testing.T, s *Server, id, sipTransport string, tweak func(*refdevice.Config)) *refdevice.Device {
	t.Helper()
	cfg := refdevice.Config{ServerID: testServerID, ServerDomain: testDomain, ServerAddr: s.UDPAddr(),
		Transport: sipTransport, DeviceID: id, Password: testPassword, Logger: testLog()}
	if tweak != nil {
		tweak(&cfg)
	}
	d, err := refdevice.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := d.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.StopSilently)
	return d
}

func invite(t *testing.T, s *Server, r InviteRequest) *Call {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := s.Invite(ctx, r)
	if err != nil {
		t.Fatalf("INVITE: %v", err)
	}
	return c
}

// checkStream reads RTP packets until one second of video (a keyframe and 25 frames) has
// been demuxed, and checks what a GB/T 28181 receiver relies on: PT 96, the SSRC, a PS pack
// header at the start of the first payload, frames of the right codec.
func checkStream(t *testing.T, next func() ([]byte, error), ssrc string, codec mpegps.Codec) {
	t.Helper()
	want, err := sdp.SSRCValue(ssrc)
	if err != nil {
		t.Fatal(err)
	}
	demux := mpegps.NewDemuxer()
	var frames, keyframes, packets int
	var ps []byte
	for frames < 25 || keyframes == 0 {
		raw, err := next()
		if err != nil {
			t.Fatalf("after %d packets, %d frames: %v", packets, frames, err)
		}
		var p rtp.Packet
		if err := p.Unmarshal(raw); err != nil {
			t.Fatalf("packet %d: %v", packets, err)
		}
		if p.PayloadType != 96 || p.SSRC != want {
			t.Fatalf("packet %d: PT %d SSRC %d, want 96 and %d (%s)", packets, p.PayloadType, p.SSRC, want, ssrc)
		}
		if packets == 0 && !bytes.HasPrefix(p.Payload, []byte{0, 0, 1, 0xBA}) {
			t.Fatalf("first payload starts % x, want a PS pack header", p.Payload[:min(8, len(p.Payload))])
		}
		packets++
		ps = append(ps, p.Payload...)
		out, _ := demux.Write(p.Payload)
		for _, f := range out {
			if f.Codec != codec {
				t.Fatalf("frame codec %v, want %v", f.Codec, codec)
			}
			frames++
			if f.Keyframe {
				keyframes++
			}
		}
	}
	probePS(t, ps, codec)
}

// probePS has ffprobe read the Program Stream carried by the RTP payloads: a real demuxer and
// decoder must see the sample's codec and picture size.
func probePS(t *testing.T, ps []byte, codec mpegps.Codec) {
	t.Helper()
	if _, err := exec.LookPath("ffprobe"); err != nil {
		t.Log("ffprobe not installed: stream not probed")
		return
	}
	file := filepath.Join(t.TempDir(), "stream.ps")
	if err := os.WriteFile(file, ps, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("ffprobe", "-v", "error", "-f", "mpeg", "-show_entries", "stream=codec_name,width,height",
		"-of", "csv=p=0", file).CombinedOutput()
	if err != nil {
		t.Fatalf("ffprobe: %v\n%s", err, out)
	}
	want := map[mpegps.Codec]string{mpegps.H264: "h264,320,240", mpegps.H265: "hevc,320,240"}[codec]
	if got := strings.TrimSpace(string(out)); got != want {
		t.Errorf("ffprobe sees %q, want %q", got, want)
	}
}

func udpReader(t *testing.T, pc net.PacketConn) func() ([]byte, error) {
	buf := make([]byte, 65536)
	return func() ([]byte, error) {
		_ = pc.SetReadDeadline(time.Now().Add(3 * time.Second))
		n, _, err := pc.ReadFrom(buf)
		return append([]byte(nil), buf[:n]...), err
	}
}

// rfc4571Reader reads RTP packets framed with a 2-byte length (RFC 4571).
func rfc4571Reader(conn net.Conn) func() ([]byte, error) {
	return func() ([]byte, error) {
		_ = conn.SetReadDeadline(time.Now().Add(3 * time.Second))
		var l [2]byte
		if _, err := io.ReadFull(conn, l[:]); err != nil {
			return nil, err
		}
		p := make([]byte, binary.BigEndian.Uint16(l[:]))
		_, err := io.ReadFull(conn, p)
		return p, err
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// UDP both ways (SIP and media): INVITE, 200, ACK, H.264 PS over RTP with the offered
// SSRC, then Bye stops the stream; a second Bye is a no-op; a device BYE ends a second call.
func TestInviteUDP(t *testing.T) {
	s := startTestServer(t)
	dev := startTestDevice(t, s, "34020000001320000001", refdevice.TransportUDP, nil)
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	c := invite(t, s, InviteRequest{DeviceSn: dev.ID(), Kind: Play, Transport: UDP, ReceiveIP: "127.0.0.1",
		ReceivePort: pc.LocalAddr().(*net.UDPAddr).Port})
	if c.SSRC != c.OfferedSSRC || !sdp.ValidSSRC(c.SSRC) || c.SSRC[0] != '0' {
		t.Errorf("SSRC %q offered %q: want the same live SSRC", c.SSRC, c.OfferedSSRC)
	}
	if c.ChannelSn != dev.ID() || c.Answer == nil || c.Answer.Name != sdp.Play || c.Answer.Direction != sdp.SendOnly {
		t.Errorf("call %+v", c)
	}
	checkStream(t, udpReader(t, pc), c.SSRC, mpegps.H264)
	if st := dev.Streams(); len(st) != 1 || st[0].CallID != c.ID || !st[0].Acked || st[0].OfferedSSRC != c.SSRC {
		t.Fatalf("device streams %+v", st)
	}
	if s.ActiveCalls() != 1 {
		t.Errorf("active calls %d", s.ActiveCalls())
	}

	if err := s.Bye(context.Background(), c.ID); err != nil {
		t.Fatal(err)
	}
	if !closed(c.Done()) || !errors.Is(c.Err(), ErrCallClosed) {
		t.Errorf("after Bye: done %v err %v", closed(c.Done()), c.Err())
	}
	waitFor(t, "the device to stop streaming", func() bool { return dev.MediaStats().StreamsActive == 0 })
	if st := dev.MediaStats(); st.ByesReceived != 1 || st.StreamsStarted != 1 || st.PacketsSent == 0 {
		t.Errorf("device media stats %+v", st)
	}
	// Drain what was in flight, then nothing more arrives.
	_ = pc.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	buf := make([]byte, 2048)
	for {
		if _, _, err := pc.ReadFrom(buf); err != nil {
			break
		}
	}
	_ = pc.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if _, _, err := pc.ReadFrom(buf); err == nil {
		t.Error("RTP still arriving after BYE")
	}
	if err := s.Bye(context.Background(), c.ID); err != nil {
		t.Errorf("second Bye: %v", err)
	}
	if s.ActiveCalls() != 0 || dev.MediaStats().ByesReceived != 1 {
		t.Errorf("after the second Bye: %d calls, device %+v", s.ActiveCalls(), dev.MediaStats())
	}

	// The device hangs up over UDP: its BYE leaves from its SIP socket and ends the call.
	c = invite(t, s, InviteRequest{DeviceSn: dev.ID(), Transport: UDP, ReceiveIP: "127.0.0.1",
		ReceivePort: pc.LocalAddr().(*net.UDPAddr).Port})
	if err := dev.HangUp(context.Background(), c.ID); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.Done():
	case <-time.After(3 * time.Second):
		t.Fatal("Done not closed after the device's BYE")
	}
	if !errors.Is(c.Err(), ErrDeviceBye) || dev.MediaStats().ByesSent != 1 {
		t.Errorf("err %v, device %+v", c.Err(), dev.MediaStats())
	}
}

// SIP over TCP, media TCP passive (vionet listens, the device connects), H.265; the device
// hangs up and the call's Done closes with ErrDeviceBye.
func TestInviteTCPPassiveDeviceBye(t *testing.T) {
	s := startTestServer(t)
	dev := startTestDevice(t, s, "34020000001320000002", refdevice.TransportTCP, func(c *refdevice.Config) {
		c.VideoCodec = refdevice.CodecH265
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c := invite(t, s, InviteRequest{DeviceSn: dev.ID(), Kind: Play, Transport: TCPPassive, ReceiveIP: "127.0.0.1",
		ReceivePort: ln.Addr().(*net.TCPAddr).Port, StreamNumber: 1})
	if !c.Answer.TCP || c.Answer.Setup != sdp.SetupActive {
		t.Errorf("answer TCP %v setup %q, want TCP active (the device connects)", c.Answer.TCP, c.Answer.Setup)
	}
	_ = ln.(*net.TCPListener).SetDeadline(time.Now().Add(3 * time.Second))
	conn, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	checkStream(t, rfc4571Reader(conn), c.SSRC, mpegps.H265)

	if err := dev.HangUp(context.Background(), c.ID); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.Done():
	case <-time.After(3 * time.Second):
		t.Fatal("Done not closed after the device's BYE")
	}
	if !errors.Is(c.Err(), ErrDeviceBye) || s.ActiveCalls() != 0 {
		t.Errorf("err %v, %d calls", c.Err(), s.ActiveCalls())
	}
	next := rfc4571Reader(conn)
	for {
		if _, err := next(); err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatal("media connection still open after the device's BYE")
			}
			break
		}
	}
	if err := s.Bye(context.Background(), c.ID); err != nil {
		t.Errorf("Bye of a call the device ended: %v", err)
	}
}

// Media TCP active: the device listens on the port of its answer and vionet (here the test)
// dials Call.DeviceAddr. A device that answers another SSRC than offered is reported, and
// a playback control reaches it in the dialog.
func TestInviteTCPActivePlayback(t *testing.T) {
	s := startTestServer(t)
	dev := startTestDevice(t, s, "34020000001320000003", refdevice.TransportUDP, func(c *refdevice.Config) {
		c.Channels = 2
		c.AnswerSSRC = "1200009999"
	})
	ch := dev.ChannelIDs()[1]
	start := time.Now().Add(-time.Hour).Truncate(time.Second)
	c := invite(t, s, InviteRequest{DeviceSn: dev.ID(), ChannelSn: ch, Kind: Playback, Transport: TCPActive,
		ReceiveIP: "127.0.0.1", Start: start, End: start.Add(10 * time.Minute)})
	if c.SSRC != "1200009999" || c.OfferedSSRC == c.SSRC || c.OfferedSSRC[0] != '1' {
		t.Errorf("answered SSRC %q, offered %q", c.SSRC, c.OfferedSSRC)
	}
	if c.Answer.Name != sdp.Playback || c.Answer.Setup != sdp.SetupPassive || !strings.HasPrefix(c.DeviceAddr, "127.0.0.1:") {
		t.Errorf("answer %+v, device address %q", *c.Answer, c.DeviceAddr)
	}
	conn, err := net.DialTimeout("tcp", c.DeviceAddr, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	checkStream(t, rfc4571Reader(conn), c.SSRC, mpegps.H264)

	ctl := "PLAY RTSP/1.0\r\nCSeq: 2\r\nScale: 2.0\r\n\r\n"
	if err := s.PlaybackControl(context.Background(), c.ID, ctl); err != nil {
		t.Fatal(err)
	}
	if st := dev.Streams(); len(st) != 1 || st[0].ChannelID != ch || len(st[0].Controls) != 1 || st[0].Controls[0] != ctl {
		t.Errorf("device streams %+v", st)
	}
	if err := s.Bye(context.Background(), c.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.PlaybackControl(context.Background(), c.ID, ctl); !errors.Is(err, ErrNoCall) {
		t.Errorf("control after BYE: %v", err)
	}
	waitFor(t, "the device to stop streaming", func() bool { return dev.MediaStats().StreamsActive == 0 })
}

// A device that refuses (488), one that is not registered, one that does not answer in time
// (CANCELled after its 100 Trying, over TCP and UDP), one that answers after a 100 Trying,
// and a call that ends when its device unregisters.
func TestInviteFailures(t *testing.T) {
	s := startTestServer(t)
	ctx := context.Background()
	req := func(id string) InviteRequest {
		return InviteRequest{DeviceSn: id, Transport: UDP, ReceiveIP: "127.0.0.1", ReceivePort: 9}
	}

	refusing := startTestDevice(t, s, "34020000001320000004", refdevice.TransportUDP, func(c *refdevice.Config) {
		c.RejectInvite = true
	})
	_, err := s.Invite(ctx, req(refusing.ID()))
	var rej *RejectedError
	if !errors.Is(err, ErrInviteRejected) || !errors.As(err, &rej) || rej.StatusCode != 488 ||
		!strings.Contains(err.Error(), "488 Not Acceptable Here") {
		t.Errorf("refused INVITE: %v", err)
	}

	if _, err := s.Invite(ctx, req("34020000001320000999")); !errors.Is(err, ErrDeviceOffline) {
		t.Errorf("unregistered device: %v", err)
	}

	for i, transport := range []string{refdevice.TransportTCP, refdevice.TransportUDP} {
		slow := startTestDevice(t, s, "3402000000132000001"+strconv.Itoa(i), transport, func(c *refdevice.Config) {
			c.InviteDelay = 5 * time.Second
		})
		tctx, cancel := context.WithTimeout(ctx, 700*time.Millisecond)
		began := time.Now()
		_, err = s.Invite(tctx, req(slow.ID()))
		cancel()
		if !errors.Is(err, ErrInviteTimeout) || time.Since(began) > 2*time.Second {
			t.Errorf("silent device (%s): %v after %v", transport, err, time.Since(began))
		}
		waitFor(t, "the INVITE to be CANCELled over "+transport, func() bool { return slow.MediaStats().InvitesCancelled == 1 })
	}

	// 100 Trying, then the 200 in time.
	late := startTestDevice(t, s, "34020000001320000005", refdevice.TransportUDP, func(c *refdevice.Config) {
		c.InviteDelay = 300 * time.Millisecond
		c.NoMedia = true
	})
	if c := invite(t, s, req(late.ID())); c.Answer == nil {
		t.Error("no answer")
	} else if err := s.Bye(ctx, c.ID); err != nil {
		t.Error(err)
	}

	quiet := startTestDevice(t, s, "34020000001320000006", refdevice.TransportUDP, func(c *refdevice.Config) {
		c.NoMedia = true
	})
	c := invite(t, s, req(quiet.ID()))
	waitFor(t, "the ACK", func() bool { return quiet.MediaStats().StreamsActive == 1 })
	if err := quiet.Stop(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.Done():
	case <-time.After(3 * time.Second):
		t.Fatal("call not ended when its device unregistered")
	}
	if !errors.Is(c.Err(), ErrDeviceOffline) || quiet.MediaStats().PacketsSent != 0 {
		t.Errorf("err %v, packets %d", c.Err(), quiet.MediaStats().PacketsSent)
	}
	if _, err := s.Invite(ctx, req(quiet.ID())); !errors.Is(err, ErrDeviceOffline) {
		t.Errorf("unregistered device: %v", err)
	}
	if _, err := s.Invite(ctx, InviteRequest{DeviceSn: refusing.ID(), ReceiveIP: "not an IP", ReceivePort: 1}); err == nil ||
		errors.Is(err, ErrInviteRejected) {
		t.Errorf("bad receive address: %v", err)
	}
}
