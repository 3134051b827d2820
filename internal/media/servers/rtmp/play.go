package rtmp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/bluenviron/gortmplib"
	"github.com/bluenviron/gortmplib/pkg/codecs"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"

	"github.com/vionet/vionet/internal/media/formats/h26x"
	"github.com/vionet/vionet/internal/media/hub"
	"github.com/vionet/vionet/internal/media/token"
)

// errNoParams: a video track whose parameter sets never showed up.
var errNoParams = errors.New("rtmp: no usable parameter sets for the video track")

// outTrack is a hub track as written to a viewer.
type outTrack struct {
	id    int
	codec hub.Codec
	rt    *gortmplib.Track
}

func (s *Server) play(nc net.Conn, sc *gortmplib.ServerConn, path string, claims token.Claims, log *slog.Logger) error {
	ctx, cancel := context.WithCancel(s.ctx)
	defer cancel()
	// Demand and the wait for the publisher may outlast the handshake
	// deadline; nothing is read from the viewer meanwhile.
	_ = nc.SetDeadline(time.Time{})
	rd, err := s.openReader(ctx, path, claims)
	_ = nc.SetDeadline(time.Now().Add(s.opts.ReadWait + handshakeTimeout))
	if err != nil {
		if ctx.Err() == nil {
			s.c.notFound.Add(1)
			log.Info("rtmp play refused", "err", err)
			writeStatus(sc, "NetStream.Play.StreamNotFound", "stream not found")
		}
		return err
	}
	defer rd.Close()

	video, audio, pending, err := s.playTracks(ctx, rd)
	if err != nil {
		s.c.notFound.Add(1)
		writeStatus(sc, "NetStream.Play.Failed", err.Error())
		return err
	}
	var tracks []*gortmplib.Track
	for _, t := range []*outTrack{video, audio} {
		if t != nil {
			tracks = append(tracks, t.rt)
		}
	}
	w := &gortmplib.Writer{Conn: sc, Tracks: tracks}
	if err := w.Initialize(); err != nil {
		return fmt.Errorf("play start: %w", err)
	}
	_ = nc.SetDeadline(time.Time{})

	s.c.readers.Add(1)
	s.c.readersTotal.Add(1)
	defer s.c.readers.Add(-1)
	log.Info("rtmp play started")

	// The viewer sends little after play (acknowledgements, buffer length);
	// reading and discarding it raw is how its departure is noticed. Raw,
	// because gortmplib's message reader answers pings through the writer,
	// which is not safe next to our writes.
	go func() {
		_, _ = io.Copy(io.Discard, nc)
		cancel()
	}()

	p := player{w: w, sc: sc, nc: nc, video: video, audio: audio, c: &s.c}
	for _, u := range pending {
		if err := p.write(u); err != nil {
			return err
		}
	}
	for {
		u, err := rd.Next(ctx)
		if err != nil {
			if errors.Is(err, hub.ErrClosed) {
				log.Info("rtmp play ended: publisher gone")
			}
			return err
		}
		if err := p.write(u); err != nil {
			return err
		}
	}
}

// openReader attaches to path, asking for the stream on demand.
func (s *Server) openReader(ctx context.Context, path string, claims token.Claims) (*hub.Reader, error) {
	rd, err := s.opts.Hub.Read(ctx, path, hub.ReadOptions{MaxLag: maxLag})
	if !errors.Is(err, hub.ErrNoPublisher) || s.opts.Demand == nil {
		return rd, err
	}
	if err := s.opts.Demand(ctx, path, claims); err != nil {
		return nil, fmt.Errorf("demand: %w", err)
	}
	return s.opts.Hub.Read(ctx, path, hub.ReadOptions{Wait: s.opts.ReadWait, MaxLag: maxLag})
}

// playTracks picks the first video and first audio track RTMP carries. A
// video track without usable parameter sets in Config takes them from its
// first keyframe, which is then returned in pending (with any unit read
// after it) so that it is written first.
func (s *Server) playTracks(ctx context.Context, rd *hub.Reader) (video, audio *outTrack, pending []hub.Unit, err error) {
	var needParams *hub.Track
	for _, t := range rd.Tracks() {
		switch t.Codec {
		case hub.H264, hub.H265:
			if video != nil {
				continue
			}
			ps := h26x.FindParamSets(h26xCodec(t.Codec), t.Config)
			if rt := videoTrack(t.Codec, ps); rt != nil {
				video = &outTrack{id: t.ID, codec: t.Codec, rt: rt}
			} else if needParams == nil {
				needParams = &t
			}
		case hub.AAC:
			if audio != nil {
				continue
			}
			var asc mpeg4audio.AudioSpecificConfig
			if asc.Unmarshal(t.Config) == nil {
				audio = &outTrack{id: t.ID, codec: t.Codec, rt: &gortmplib.Track{Codec: &codecs.MPEG4Audio{Config: &asc}}}
			}
		case hub.G711A, hub.G711U:
			if audio == nil {
				audio = &outTrack{id: t.ID, codec: t.Codec,
					rt: &gortmplib.Track{Codec: &codecs.G711{MULaw: t.Codec == hub.G711U, ChannelCount: 1}}}
			}
		}
	}
	if video == nil && needParams != nil {
		wctx, cancel := context.WithTimeout(ctx, s.opts.ReadWait)
		defer cancel()
		for video == nil {
			u, err := rd.Next(wctx)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("%w: %w", errNoParams, err)
			}
			if u.Track != needParams.ID || !u.Keyframe {
				continue // nothing is played before the first keyframe anyway
			}
			ps := h26x.FindParamSets(h26xCodec(needParams.Codec), u.Data)
			if rt := videoTrack(needParams.Codec, ps); rt != nil {
				video = &outTrack{id: needParams.ID, codec: needParams.Codec, rt: rt}
				pending = append(pending, u)
			}
		}
	}
	if video == nil && audio == nil {
		return nil, nil, nil, errors.New("rtmp: no track RTMP can carry")
	}
	return video, audio, pending, nil
}

// videoTrack returns the gortmplib track for complete, parseable parameter
// sets, or nil. gortmplib builds the decoder configuration record from the
// SPS and panics on one it cannot parse, hence the check.
func videoTrack(codec hub.Codec, ps h26x.ParamSets) *gortmplib.Track {
	c := h26xCodec(codec)
	if !ps.Complete(c) {
		return nil
	}
	if _, _, err := h26x.Dimensions(c, ps.SPS[0]); err != nil {
		return nil
	}
	if codec == hub.H264 {
		return &gortmplib.Track{Codec: &codecs.H264{SPS: ps.SPS[0], PPS: ps.PPS[0]}}
	}
	return &gortmplib.Track{Codec: &codecs.H265{VPS: ps.VPS[0], SPS: ps.SPS[0], PPS: ps.PPS[0]}}
}

func h26xCodec(c hub.Codec) h26x.Codec {
	if c == hub.H265 {
		return h26x.H265
	}
	return h26x.H264
}

// player writes hub units to one viewer.
type player struct {
	w            *gortmplib.Writer
	sc           *gortmplib.ServerConn
	nc           net.Conn
	video, audio *outTrack
	c            *counters

	started bool // the first video keyframe went out (or there is no video)
	baseSet bool
	base    time.Duration
	lastDTS time.Duration
	sent    uint64
}

func (p *player) write(u hub.Unit) error {
	var t *outTrack
	switch {
	case p.video != nil && u.Track == p.video.id:
		t = p.video
		if !p.started && !u.Keyframe {
			return nil
		}
		p.started = true
	case p.audio != nil && u.Track == p.audio.id:
		t = p.audio
		if p.video != nil && !p.started {
			return nil // start with a picture
		}
	default:
		return nil
	}
	dts, pts := p.times(u)
	_ = p.nc.SetWriteDeadline(time.Now().Add(writeTimeout))
	var err error
	switch t.codec {
	case hub.H264:
		err = p.w.WriteH264(t.rt, pts, dts, h26x.SplitAnnexB(u.Data))
	case hub.H265:
		err = p.w.WriteH265(t.rt, pts, dts, h26x.SplitAnnexB(u.Data))
	case hub.AAC:
		err = p.w.WriteMPEG4Audio(t.rt, pts, u.Data)
	case hub.G711A, hub.G711U:
		err = p.w.WriteG711(t.rt, pts, u.Data)
	}
	sent := p.sc.BytesSent()
	p.c.bytesOut.Add(sent - p.sent)
	p.sent = sent
	return err
}

// times returns the unit's timestamps relative to the first unit played,
// DTS never going back (RTMP players reject that).
func (p *player) times(u hub.Unit) (dts, pts time.Duration) {
	if !p.baseSet {
		p.base, p.baseSet = u.DTS, true
	}
	dts = max(u.DTS-p.base, p.lastDTS)
	p.lastDTS = dts
	pts = max(u.PTS-p.base, dts)
	return dts, pts
}
