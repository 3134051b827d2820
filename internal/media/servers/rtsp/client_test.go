package rtsp

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"
	"github.com/pion/rtp"

	"github.com/vionet/vionet/internal/media/hub"
	"github.com/vionet/vionet/internal/media/mediatest"
)

// player is an in-process gortsplib client that records what it receives.
type player struct {
	c    *gortsplib.Client
	desc *description.Session

	mu      sync.Mutex
	seqs    map[*description.Media][]uint16
	aus     [][][]byte // decoded H264 access units, in order
	payload map[*description.Media][][]byte
}

func play(t testing.TB, url string, proto gortsplib.Protocol) *player {
	t.Helper()
	u, err := base.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	p := &player{
		c:       &gortsplib.Client{Scheme: u.Scheme, Host: u.Host, Protocol: &proto},
		seqs:    make(map[*description.Media][]uint16),
		payload: make(map[*description.Media][][]byte),
	}
	if err := p.c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.c.Close)
	p.desc, _, err = p.c.Describe(u)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.c.SetupAll(p.desc.BaseURL, p.desc.Medias); err != nil {
		t.Fatal(err)
	}
	var h264f *format.H264
	if m := p.desc.FindFormat(&h264f); m != nil {
		dec, err := h264f.CreateDecoder()
		if err != nil {
			t.Fatal(err)
		}
		p.c.OnPacketRTP(m, h264f, func(pkt *rtp.Packet) {
			au, err := dec.Decode(pkt)
			p.mu.Lock()
			defer p.mu.Unlock()
			p.seqs[m] = append(p.seqs[m], pkt.SequenceNumber)
			if err == nil {
				p.aus = append(p.aus, au)
			}
		})
	}
	for _, m := range p.desc.Medias {
		if m.Type == description.MediaTypeVideo {
			continue
		}
		p.c.OnPacketRTP(m, m.Formats[0], func(pkt *rtp.Packet) {
			p.mu.Lock()
			defer p.mu.Unlock()
			p.seqs[m] = append(p.seqs[m], pkt.SequenceNumber)
			p.payload[m] = append(p.payload[m], pkt.Payload)
		})
	}
	if _, err := p.c.Play(nil); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *player) auCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.aus)
}

func TestLateJoinerStartsOnKeyframeWithoutGap(t *testing.T) {
	e := newTestEnv(t, nil)
	const path = "live/late/0"
	e.publish(t, path, hub.H264)
	url := e.url(path, e.readToken(path, time.Minute))
	// The first player keeps the shared stream alive; the others join at
	// different points of the 1 s GOP.
	first := play(t, url, gortsplib.ProtocolTCP)
	for i, proto := range []gortsplib.Protocol{gortsplib.ProtocolTCP, gortsplib.ProtocolUDP, gortsplib.ProtocolTCP} {
		time.Sleep(time.Duration(230+170*i) * time.Millisecond)
		p := play(t, url, proto)
		waitFor(t, 5*time.Second, "frames", func() bool { return p.auCount() >= 30 })
		p.mu.Lock()
		if !h264.IsRandomAccess(p.aus[0]) {
			t.Errorf("joiner %d (%v): first access unit is not a keyframe", i, proto)
		}
		for m, seqs := range p.seqs {
			for j := 1; j < len(seqs); j++ {
				if seqs[j] != seqs[j-1]+1 {
					t.Errorf("joiner %d (%v): media %v: sequence %d follows %d", i, proto, m.Type, seqs[j], seqs[j-1])
				}
			}
		}
		p.mu.Unlock()
		p.c.Close()
	}
	if n := first.auCount(); n < 25 {
		t.Fatalf("first player got %d access units", n)
	}
	if st := e.srv.Stats(); st.Paths != 1 || e.hub.Readers(path) != 1 {
		t.Fatalf("stats = %+v, hub readers = %d; want one shared stream", st, e.hub.Readers(path))
	}
}

func TestSharedStreamLingersThenCloses(t *testing.T) {
	e := newTestEnv(t, nil)
	const path = "live/linger/0"
	e.publish(t, path, hub.H264)
	url := e.url(path, e.readToken(path, time.Minute))
	a := play(t, url, gortsplib.ProtocolTCP)
	b := play(t, url, gortsplib.ProtocolUDP)
	waitFor(t, 5*time.Second, "frames", func() bool { return a.auCount() > 5 && b.auCount() > 5 })
	if st := e.srv.Stats(); st.Readers != 2 || st.Paths != 1 || e.hub.Readers(path) != 1 {
		t.Fatalf("stats = %+v, hub readers %d", st, e.hub.Readers(path))
	}
	a.c.Close()
	b.c.Close()
	waitFor(t, 3*time.Second, "path closed after linger", func() bool {
		st := e.srv.Stats()
		return st.Readers == 0 && st.Paths == 0 && e.hub.Readers(path) == 0
	})
}

func TestPublisherGoneEndsSessions(t *testing.T) {
	e := newTestEnv(t, nil)
	const path = "live/gone/0"
	pub := e.publish(t, path, hub.H264)
	p := play(t, e.url(path, e.readToken(path, time.Minute)), gortsplib.ProtocolTCP)
	waitFor(t, 5*time.Second, "frames", func() bool { return p.auCount() > 5 })
	pub.Close()
	done := make(chan error, 1)
	go func() { done <- p.c.Wait() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("session not closed after the publisher left")
	}
	waitFor(t, 2*time.Second, "path gone", func() bool { return e.srv.Stats().Paths == 0 })
}

// TestAudioTracks serves H264 with AAC and G.711 tracks and checks the SDP
// formats and that the audio frames arrive intact.
func TestAudioTracks(t *testing.T) {
	e := newTestEnv(t, nil)
	const path = "live/av/0"
	conf := mpeg4audio.AudioSpecificConfig{Type: mpeg4audio.ObjectTypeAACLC, SampleRate: 16000, ChannelCount: 1}
	confBytes, err := conf.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	video := mediatest.Load(hub.H264)
	tracks := []hub.Track{
		video.Track,
		{ID: 1, Codec: hub.AAC, ClockRate: 16000, Config: confBytes},
		{ID: 2, Codec: hub.G711A, ClockRate: 8000},
		{ID: 3, Codec: hub.G711U, ClockRate: 8000},
	}
	pub, err := e.hub.Publish(path, tracks)
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	aacFrame := bytes.Repeat([]byte{0x21, 0x10}, 40)
	alaw := bytes.Repeat([]byte{0xd5}, 160)
	ulaw := bytes.Repeat([]byte{0xff}, 160)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for i := 0; ctx.Err() == nil; i++ {
			ts := time.Duration(i) * 20 * time.Millisecond
			if i%2 == 0 {
				u := video.Units[(i/2)%len(video.Units)]
				u.PTS, u.DTS, u.Received = ts, ts, time.Time{}
				pub.Write(u)
			}
			pub.Write(hub.Unit{Track: 1, PTS: ts, DTS: ts, Data: aacFrame})
			pub.Write(hub.Unit{Track: 2, PTS: ts, DTS: ts, Data: alaw})
			pub.Write(hub.Unit{Track: 3, PTS: ts, DTS: ts, Data: ulaw})
			time.Sleep(20 * time.Millisecond)
		}
	}()
	url := e.url(path, e.readToken(path, time.Minute))
	streams, stderr, err := ffprobe(t, url, "tcp")
	if err != nil {
		t.Fatalf("ffprobe: %v: %s", err, stderr)
	}
	var names []string
	for _, s := range streams {
		names = append(names, s.CodecName)
	}
	if got := strings.Join(names, ","); got != "h264,aac,pcm_alaw,pcm_mulaw" {
		t.Fatalf("ffprobe codecs = %s", got)
	}
	p := play(t, url, gortsplib.ProtocolTCP)
	if len(p.desc.Medias) != 4 {
		t.Fatalf("medias = %d", len(p.desc.Medias))
	}
	var aac *format.MPEG4Audio
	var g711 []*format.G711
	for _, m := range p.desc.Medias {
		switch f := m.Formats[0].(type) {
		case *format.MPEG4Audio:
			aac = f
		case *format.G711:
			g711 = append(g711, f)
		}
	}
	if aac == nil || aac.Config.SampleRate != 16000 || len(g711) != 2 {
		t.Fatalf("formats: aac=%v g711=%v", aac, g711)
	}
	if g711[0].MULaw || g711[0].PayloadTyp != 8 || !g711[1].MULaw || g711[1].PayloadTyp != 0 {
		t.Fatalf("G.711 formats = %+v %+v", g711[0], g711[1])
	}
	waitFor(t, 5*time.Second, "audio", func() bool {
		p.mu.Lock()
		defer p.mu.Unlock()
		return len(p.payload[p.desc.Medias[1]]) > 5 && len(p.payload[p.desc.Medias[2]]) > 5
	})
	p.mu.Lock()
	defer p.mu.Unlock()
	dec, err := aac.CreateDecoder()
	if err != nil {
		t.Fatal(err)
	}
	aus, err := dec.Decode(&rtp.Packet{Header: rtp.Header{Marker: true}, Payload: p.payload[p.desc.Medias[1]][0]})
	if err != nil || len(aus) != 1 || !bytes.Equal(aus[0], aacFrame) {
		t.Fatalf("AAC frame = %x, %v", aus, err)
	}
	if got := p.payload[p.desc.Medias[2]][0]; !bytes.Equal(got, alaw) {
		t.Fatalf("G.711 payload = %x", got)
	}
}
