package rtsp

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/pion/rtp"

	"github.com/vionet/vionet/internal/media/hub"
)

// rtpRecord is one packet of the RTP GOP cache.
type rtpRecord struct {
	media *description.Media
	pkt   *rtp.Packet
	ntp   time.Time
}

// playGate holds the feeder of a path while a session that was just sent
// the GOP cache becomes an active reader of the shared ServerStream, so the
// session sees neither a gap nor a duplicate between cache and live packets.
type playGate struct {
	released chan struct{}
	deadline time.Time
	medias   []*description.Media // the session's media, in SETUP order (RTP-Info order)
	first    map[*description.Media]rtpStart
}

// rtpStart is where a session's packets of one media begin.
type rtpStart struct {
	seq uint16
	ts  uint32
}

// pathStream serves one hub path to all its RTSP sessions: one hub reader
// (the feeder) encodes each unit once into RTP and writes it to one
// gortsplib ServerStream, which fans the packets out to the sessions.
type pathStream struct {
	srv    *Server
	path   string
	reader *hub.Reader
	stream *gortsplib.ServerStream
	outs   map[int]*trackOut // by hub track ID
	video  *trackOut         // the track whose keyframes start a GOP, if any
	cancel context.CancelFunc
	done   chan struct{}

	// mu serializes the feeder's writes with the GOP cache replay of PLAY.
	mu       sync.Mutex
	gop      []rtpRecord
	gopValid bool // gop starts at a keyframe and is complete
	gates    map[*gortsplib.ServerConn]*playGate

	// Guarded by srv.mu: the sessions set up on this path and the timer
	// that closes the path once it has had none for Options.Linger.
	sessions map[*gortsplib.ServerSession]struct{}
	linger   *time.Timer
	closing  bool
}

// newPathStream builds the RTSP description of r's tracks and starts the
// feeder. The reader is owned by the path stream from then on.
func newPathStream(s *Server, path string, r *hub.Reader) (*pathStream, error) {
	ps := &pathStream{
		srv:      s,
		path:     path,
		reader:   r,
		outs:     make(map[int]*trackOut),
		done:     make(chan struct{}),
		gates:    make(map[*gortsplib.ServerConn]*playGate),
		sessions: make(map[*gortsplib.ServerSession]struct{}),
	}
	desc := &description.Session{}
	pt := uint8(96)
	for _, t := range r.Tracks() {
		o, err := newTrackOut(t, pt)
		if err != nil {
			s.log.Warn("rtsp: track not served", "path", path, "track", t.ID, "codec", t.Codec.String(), "err", err)
			continue
		}
		pt++
		ps.outs[t.ID] = o
		desc.Medias = append(desc.Medias, o.media)
		if ps.video == nil && t.Codec.IsVideo() {
			ps.video = o
		}
	}
	if len(desc.Medias) == 0 {
		return nil, fmt.Errorf("rtsp: %s: no track can be sent over RTSP", path)
	}
	ps.stream = &gortsplib.ServerStream{Server: s.rs, Desc: desc}
	if err := ps.stream.Initialize(); err != nil {
		return nil, err
	}
	var ctx context.Context
	ctx, ps.cancel = context.WithCancel(s.ctx)
	// Add under s.mu, after checking closed, so it happens before Close's Wait.
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ps.cancel()
		ps.stream.Close()
		return nil, errors.New("rtsp: server closed")
	}
	s.wg.Add(1)
	s.mu.Unlock()
	go ps.feed(ctx)
	return ps, nil
}

// feed copies the hub path into the ServerStream until the publisher goes
// away or the path stream is closed.
func (ps *pathStream) feed(ctx context.Context) {
	defer ps.srv.wg.Done()
	defer close(ps.done)
	err := ps.feedLoop(ctx)
	ps.reader.Close()
	ps.srv.detach(ps)
	// Closing the stream closes every session reading it.
	ps.stream.Close()
	ps.releaseGates()
	if err != nil && !errors.Is(err, hub.ErrClosed) && ctx.Err() == nil {
		ps.srv.log.Warn("rtsp: path feed ended", "path", ps.path, "err", err)
	}
}

func (ps *pathStream) feedLoop(ctx context.Context) error {
	for {
		u, err := ps.reader.Next(ctx)
		if err != nil {
			return err
		}
		o := ps.outs[u.Track]
		if o == nil {
			continue
		}
		pkts, err := o.packets(u)
		if err != nil {
			ps.srv.stats.unitErrors.Add(1)
			continue
		}
		if o.applyParams() {
			ps.stream.ReloadDesc()
		}
		ntp := u.Received
		if ntp.IsZero() {
			ntp = time.Now()
		}
		if !ps.lockUngated(ctx) {
			return ctx.Err()
		}
		ps.cacheAndWrite(o, u, pkts, ntp)
		ps.mu.Unlock()
	}
}

// cacheAndWrite writes pkts to every active session and keeps them in the
// GOP cache for sessions that start later. ps.mu must be held.
func (ps *pathStream) cacheAndWrite(o *trackOut, u hub.Unit, pkts []*rtp.Packet, ntp time.Time) {
	if ps.video != nil {
		if o == ps.video && u.Keyframe {
			clear(ps.gop)
			ps.gop = ps.gop[:0]
			ps.gopValid = true
		}
		if ps.gopValid && len(ps.gop)+len(pkts) > ps.srv.maxBurst {
			// The GOP outgrew what a session queue can take at once:
			// late joiners start live until the next keyframe.
			clear(ps.gop)
			ps.gop = ps.gop[:0]
			ps.gopValid = false
		}
	}
	for _, p := range pkts {
		if err := ps.stream.WritePacketRTPWithNTP(o.media, p, ntp); err != nil {
			return
		}
		if ps.gopValid {
			ps.gop = append(ps.gop, rtpRecord{media: o.media, pkt: p, ntp: ntp})
		}
	}
}

// lockUngated locks ps.mu once no PLAY is between its GOP replay and its
// activation. It gives up on a gate after its deadline (a lost response
// must not stall the path) and returns false if ctx ends.
func (ps *pathStream) lockUngated(ctx context.Context) bool {
	ps.mu.Lock()
	for len(ps.gates) > 0 {
		var sc *gortsplib.ServerConn
		var g *playGate
		for sc, g = range ps.gates {
			break
		}
		ps.mu.Unlock()
		t := time.NewTimer(time.Until(g.deadline))
		select {
		case <-g.released:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return false
		}
		t.Stop()
		ps.mu.Lock()
		if ps.gates[sc] == g {
			delete(ps.gates, sc)
			ps.srv.log.Warn("rtsp: PLAY response not seen in time; releasing the stream", "path", ps.path)
		}
	}
	return true
}

// replayGOP sends the GOP cache to a session that is about to start
// playing and gates the feeder until the session is active. It runs in
// OnPlay, before gortsplib makes the session a reader of the stream.
func (ps *pathStream) replayGOP(ss *gortsplib.ServerSession, sc *gortsplib.ServerConn) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if !ps.gopValid || len(ps.gop) == 0 {
		return
	}
	medias := ss.Medias()
	setup := make(map[*description.Media]bool, len(medias))
	for _, m := range medias {
		setup[m] = true
	}
	g := &playGate{
		released: make(chan struct{}),
		deadline: time.Now().Add(gateTimeout),
		medias:   medias,
		first:    make(map[*description.Media]rtpStart),
	}
	for _, rec := range ps.gop {
		if !setup[rec.media] {
			continue
		}
		if _, ok := g.first[rec.media]; !ok {
			g.first[rec.media] = rtpStart{seq: rec.pkt.SequenceNumber, ts: rec.pkt.Timestamp}
		}
		if err := ss.WritePacketRTPWithNTP(rec.media, rec.pkt, rec.ntp); err != nil {
			ps.srv.stats.writeDrops.Add(1)
			break
		}
	}
	ps.gates[sc] = g
	ps.srv.setGate(sc, ps)
}

// takeGate removes and returns the gate of sc's pending PLAY, if any.
func (ps *pathStream) takeGate(sc *gortsplib.ServerConn) *playGate {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	g := ps.gates[sc]
	delete(ps.gates, sc)
	return g
}

// releaseGates opens every gate; used when the path stream ends.
func (ps *pathStream) releaseGates() {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	for sc, g := range ps.gates {
		delete(ps.gates, sc)
		close(g.released)
	}
}

// close stops the feeder; it returns at once, the feeder cleans up.
func (ps *pathStream) close() {
	ps.cancel()
}
