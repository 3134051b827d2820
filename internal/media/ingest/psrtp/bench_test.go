package psrtp

import (
	"bufio"
	"context"
	"encoding/binary"
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"github.com/vionet/vionet/internal/media/formats/mpegps"
	"github.com/vionet/vionet/internal/media/hub"
	"github.com/vionet/vionet/internal/media/ingest/psrtp/send"
)

// benchStream is 20 s of the H.264 sample with G.711 audio as RTP packets
// (sequence numbers and timestamps are rewritten per pass so the stream
// looks continuous).
func benchStream(b *testing.B) (pkts [][]byte, bytes int) {
	frames := makeStream(b, hub.H264, streamOpts{audio: mpegps.G711A, loops: 10})
	pkts = rtpPackets(frames, 100000001)
	for _, p := range pkts {
		bytes += len(p)
	}
	return pkts, bytes
}

// restamp gives pass n of the stream continuous sequence numbers and RTP
// timestamps (the PES timestamps inside repeat; the ingest treats the jump
// back as a clock discontinuity).
func restamp(pkts [][]byte, n int) {
	for i, p := range pkts {
		binary.BigEndian.PutUint16(p[2:], uint16(n*len(pkts)+i))
		ts := binary.BigEndian.Uint32(p[4:])
		binary.BigEndian.PutUint32(p[4:], ts+uint32(n*20*90000))
	}
}

// BenchmarkIngestPath measures the packet path alone (RTP parsing, jitter
// buffer, PS demuxing, keyframe gating, hub publishing) on one core.
func BenchmarkIngestPath(b *testing.B) {
	pkts, size := benchStream(b)
	h := hub.New(hub.Options{})
	cfg := ingestConfig{
		path: "bench", hub: h, log: slog.New(slog.DiscardHandler), transport: UDP, port: 1,
		expect: 100000001, hasExpect: true, noRTP: time.Hour, keyTimeout: time.Hour,
		jitterN: DefaultJitterPackets, jitterWait: DefaultJitterDelay,
	}
	c := newIngest(cfg, &statsBox{}, time.Now())
	defer c.close()
	from := netip.MustParseAddrPort("127.0.0.1:5000")
	now := time.Now()
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for n := 0; b.Loop(); n++ {
		restamp(pkts, n)
		for _, p := range pkts {
			if err := c.packet(p, from, now); err != nil {
				b.Fatal(err)
			}
		}
	}
	if c.st.Lost != 0 || c.st.Frames == 0 {
		b.Fatalf("stats %+v", c.st)
	}
}

// BenchmarkIngestTCP measures a whole session: RFC 4571 over loopback TCP
// into a shared-port receiver, published to the hub and drained by a reader.
func BenchmarkIngestTCP(b *testing.B) {
	pkts, size := benchStream(b)
	h := hub.New(hub.Options{})
	r := sharedReceiver(b, h, func(o *Options) { o.NoRTPTimeout = time.Minute })
	s := open(b, r, Request{Path: "bench", SSRC: "0100000001", Transport: TCPPassive})
	c, err := dialTCP(r.SharedPort())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	w := bufio.NewWriterSize(c, 64<<10)
	go func() {
		ctx := context.Background()
		rd, err := h.Read(ctx, "bench", hub.ReadOptions{Wait: time.Minute, QueueSize: 1 << 14})
		if err != nil {
			return
		}
		defer rd.Close()
		for {
			if _, err := rd.Next(ctx); err != nil {
				return
			}
		}
	}()
	b.SetBytes(int64(size))
	sent := 0
	for n := 0; b.Loop(); n++ {
		restamp(pkts, n)
		for _, p := range pkts {
			if err := send.WriteRFC4571(w, p); err != nil {
				b.Fatal(err)
			}
		}
		sent += len(pkts)
	}
	w.Flush()
	for s.Stats().Packets < uint64(sent) {
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	if st := s.Stats(); st.Lost != 0 || st.Frames == 0 {
		b.Fatalf("stats %+v", st)
	}
}
