package psrtp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"testing/iotest"
	"time"

	"github.com/vionet/vionet/internal/media/formats/h26x"
	"github.com/vionet/vionet/internal/media/formats/mpegps"
	"github.com/vionet/vionet/internal/media/hub"
	"github.com/vionet/vionet/internal/media/ingest/psrtp/send"
	"github.com/vionet/vionet/internal/media/mediatest"
)

// fuzzIngest runs packets through a session's packet path (the code behind
// the sockets) with a real hub and checks what a hub reader receives.
type fuzzIngest struct {
	t   *testing.T
	h   *hub.Hub
	c   *ingest
	rd  *hub.Reader
	now time.Time
}

func newFuzzIngest(t *testing.T, tr Transport) *fuzzIngest {
	h := hub.New(hub.Options{QueueSize: 1 << 14})
	cfg := ingestConfig{
		path: "fuzz", hub: h, log: slog.New(slog.DiscardHandler), transport: tr, port: 1,
		expect: 100000001, hasExpect: true, noRTP: time.Second, keyTimeout: 2 * time.Second,
		jitterN: 64, jitterWait: 50 * time.Millisecond,
	}
	now := time.Unix(1000, 0)
	return &fuzzIngest{t: t, h: h, c: newIngest(cfg, &statsBox{}, now), now: now}
}

// packet feeds one datagram, then advances the clock by adv milliseconds
// and runs the timers. It reports whether the session is still running.
func (f *fuzzIngest) packet(b []byte, adv byte) bool {
	from := netip.MustParseAddrPort("192.0.2.1:5000")
	if err := f.c.packet(b, from, f.now); err != nil {
		return false
	}
	if f.c.pub != nil && f.rd == nil {
		rd, err := f.h.Read(context.Background(), "fuzz", hub.ReadOptions{})
		if err != nil {
			f.t.Fatalf("published path not readable: %v", err)
		}
		f.rd = rd
	}
	f.now = f.now.Add(time.Duration(adv) * time.Millisecond)
	return f.c.check(f.now) == nil
}

// finish closes the publisher and checks the units: video starts on a
// keyframe, timestamps never go back within a track, track IDs exist.
func (f *fuzzIngest) finish() {
	f.c.close()
	st := f.c.box.get()
	if st.Lost > 1<<16*uint64(st.Packets+1) || st.Frames > 0 && !st.Published {
		f.t.Fatalf("inconsistent stats %+v", st)
	}
	if f.rd == nil {
		if st.Frames != 0 {
			f.t.Fatalf("%d frames without a publisher", st.Frames)
		}
		return
	}
	tracks := f.rd.Tracks()
	if len(tracks) == 0 || !tracks[0].Codec.IsVideo() || len(tracks[0].Config) == 0 {
		f.t.Fatalf("tracks %+v", tracks)
	}
	last := map[int]time.Duration{}
	n := 0
	for {
		u, err := f.rd.Next(context.Background())
		if err != nil {
			break
		}
		if u.Track < 0 || u.Track >= len(tracks) {
			f.t.Fatalf("unit for track %d of %d", u.Track, len(tracks))
		}
		if n == 0 && (u.Track != 0 || !u.Keyframe) {
			f.t.Fatalf("first unit track %d key %v", u.Track, u.Keyframe)
		}
		if d, ok := last[u.Track]; ok && u.DTS < d {
			f.t.Fatalf("track %d: DTS %v after %v", u.Track, u.DTS, d)
		}
		if u.PTS < u.DTS {
			f.t.Fatalf("PTS %v before DTS %v", u.PTS, u.DTS)
		}
		last[u.Track] = u.DTS
		n++
	}
}

// fuzzStream returns a short stream like a camera's: frames of the real
// sample with SEI dropped and every NAL unit cut to 100 bytes, so the seeds
// stay small (the ingest does not decode slices), with G.711 audio, muxed
// and packetized.
func fuzzStream(t testing.TB, codec hub.Codec, frames int, maxPayload int) [][]byte {
	vc := mpegps.H264
	if codec == hub.H265 {
		vc = mpegps.H265
	}
	m := mpegps.NewMuxer(vc, mpegps.G711A)
	p := send.NewPacketizer(100000001)
	p.MaxPayload = maxPayload
	var out [][]byte
	for i, u := range mediatest.Load(codec).Units[:frames] {
		pts := int64(i) * 3600
		var nals [][]byte
		for _, n := range h26x.SplitAnnexB(u.Data) {
			if t := h26x.NALType(h26x.H264, n); vc == mpegps.H264 && t == 6 {
				continue
			}
			if t := h26x.NALType(h26x.H265, n); vc == mpegps.H265 && (t == 39 || t == 40) {
				continue
			}
			nals = append(nals, n[:min(len(n), 100)])
		}
		ps := m.Write(mpegps.Frame{Codec: vc, PTS: pts, DTS: -1, Data: h26x.JoinAnnexB(nals...), Keyframe: u.Keyframe})
		ps = append(ps, m.Write(mpegps.Frame{Codec: mpegps.G711A, PTS: pts, DTS: -1, Data: audioFrame(t, mpegps.G711A, i)[:40]})...)
		out = append(out, p.Packetize(ps, uint32(pts))...)
	}
	return out
}

// datagrams encodes packets for FuzzRTPPacket: each is a 2-byte length, a
// 1-byte clock advance in ms, then the datagram.
func datagrams(pkts [][]byte, adv byte) []byte {
	var b []byte
	for _, p := range pkts {
		b = binary.BigEndian.AppendUint16(b, uint16(len(p)))
		b = append(b, adv)
		b = append(b, p...)
	}
	return b
}

func rtpSeeds(t testing.TB) [][]byte {
	h264 := fuzzStream(t, hub.H264, 4, 1400)
	h265 := fuzzStream(t, hub.H265, 3, 200)
	reordered := append([][]byte{}, h264...)
	reordered[1], reordered[2] = reordered[2], reordered[1]
	rtcp := []byte{0x80, 201, 0, 1, 0, 0, 0, 1}
	ext := []byte{0x90, 96, 0, 1, 0, 0, 0, 0, 0x05, 0xF5, 0xE1, 0x01, 0xBE, 0xDE, 0, 1, 1, 2, 3, 4, 0, 0, 1, 0xBA}
	pad := []byte{0xA0, 96, 0, 2, 0, 0, 0, 0, 0x05, 0xF5, 0xE1, 0x01, 0, 0, 1, 0xBA, 0, 0, 2}
	return [][]byte{
		datagrams(h264, 1),
		datagrams(h265, 0),
		datagrams(reordered, 10),
		datagrams(append(h264[:2:2], h264[3:]...), 60), // frame 2 lost
		datagrams([][]byte{rtcp, ext, pad, {0x80, 8, 0, 0}}, 200),
		datagrams(fuzzStream(t, hub.H264, 2, 40)[:5], 255),
	}
}

func FuzzRTPPacket(f *testing.F) {
	for _, s := range rtpSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fi := newFuzzIngest(t, UDP)
		for len(data) >= 3 {
			n := int(binary.BigEndian.Uint16(data))
			adv := data[2]
			data = data[3:]
			n = min(n, len(data))
			// The socket hands over a copy per datagram; so does this.
			if !fi.packet(bytes.Clone(data[:n]), adv) {
				break
			}
			data = data[n:]
		}
		fi.finish()
	})
}

func FuzzRFC4571(f *testing.F) {
	frame := func(pkts [][]byte) []byte {
		var b bytes.Buffer
		for _, p := range pkts {
			if err := send.WriteRFC4571(&b, p); err != nil {
				f.Fatal(err)
			}
		}
		return b.Bytes()
	}
	h264 := fuzzStream(f, hub.H264, 4, 1400)
	f.Add(frame(h264))
	f.Add(frame(fuzzStream(f, hub.H265, 3, 100)))
	f.Add(frame(append(h264[:1:1], h264[2:]...)))
	f.Add(append([]byte{0, 0, 0, 5, 1, 2, 3, 4, 5}, frame(h264[:2])...))
	f.Add([]byte{0xFF, 0xFF, 0x80, 0x60})
	f.Fuzz(func(t *testing.T, data []byte) {
		fi := newFuzzIngest(t, TCPPassive)
		var r io.Reader = bytes.NewReader(data)
		if len(data)%2 == 1 {
			r = iotest.HalfReader(r) // TCP delivers arbitrary chunks
		}
		var sl slab
		_ = readFrames(bufio.NewReaderSize(r, 16), &sl, func(b []byte) bool {
			return fi.packet(b, 1)
		})
		fi.finish()
	})
}

// The seeds reach the deep end of the packet path: they publish.
func TestFuzzSeedsPublish(t *testing.T) {
	for i, s := range rtpSeeds(t)[:4] {
		fi := newFuzzIngest(t, UDP)
		for data := s; len(data) >= 3; {
			n := int(binary.BigEndian.Uint16(data))
			fi.packet(bytes.Clone(data[3:3+n]), data[2])
			data = data[3+n:]
		}
		if !fi.c.st.Published {
			t.Errorf("seed %d: not published: %+v", i, fi.c.st)
		}
		fi.finish()
	}
}

// TestWriteSeedCorpus writes the seeds as files under testdata/fuzz (run
// with PSRTP_WRITE_SEEDS=1 after changing them), so that plain `go test`
// and other tools see the corpus without running this package's code.
func TestWriteSeedCorpus(t *testing.T) {
	if os.Getenv("PSRTP_WRITE_SEEDS") == "" {
		t.Skip("set PSRTP_WRITE_SEEDS=1 to rewrite testdata/fuzz")
	}
	write := func(name string, seeds [][]byte) {
		dir := filepath.Join("testdata", "fuzz", name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i, s := range seeds {
			body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s)
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%02d", i)), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	write("FuzzRTPPacket", rtpSeeds(t))
	var tcp [][]byte
	for _, s := range rtpSeeds(t)[:4] {
		var b bytes.Buffer
		for data := s; len(data) >= 3; {
			n := int(binary.BigEndian.Uint16(data))
			_ = send.WriteRFC4571(&b, data[3:3+n])
			data = data[3+n:]
		}
		tcp = append(tcp, b.Bytes())
	}
	write("FuzzRFC4571", tcp)
}
