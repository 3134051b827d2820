package rtmp

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/bluenviron/gortmplib"
	"github.com/bluenviron/gortmplib/pkg/codecs"

	"github.com/vionet/vionet/internal/media/formats/h26x"
	"github.com/vionet/vionet/internal/media/hub"
)

var errNoTracks = errors.New("rtmp: publisher has no H.264/H.265/AAC/G.711 track")

func (s *Server) publish(nc net.Conn, sc *gortmplib.ServerConn, path string, log *slog.Logger) error {
	// Refuse a busy path before gortmplib spends seconds probing tracks;
	// hub.Publish below settles any race.
	if s.published(path) {
		s.c.publishRefused.Add(1)
		log.Warn("rtmp publish refused: path busy")
		writeStatus(sc, "NetStream.Publish.BadName", "path busy")
		return hub.ErrPathBusy
	}
	_ = nc.SetDeadline(time.Now().Add(handshakeTimeout))
	r := &gortmplib.Reader{Conn: sc}
	if err := r.Initialize(); err != nil {
		return fmt.Errorf("publish tracks: %w", err)
	}
	in := &ingest{}
	tracks := in.setup(r)
	if len(tracks) == 0 {
		s.c.publishRefused.Add(1)
		log.Warn("rtmp publish refused", "err", errNoTracks)
		return errNoTracks
	}
	pub, err := s.opts.Hub.Publish(path, tracks)
	if err != nil {
		s.c.publishRefused.Add(1)
		log.Warn("rtmp publish refused", "err", err)
		writeStatus(sc, "NetStream.Publish.BadName", err.Error())
		return err
	}
	defer pub.Close()
	in.pub = pub
	s.c.publishers.Add(1)
	s.c.publishersTotal.Add(1)
	defer s.c.publishers.Add(-1)
	log.Info("rtmp publish started", "tracks", trackNames(tracks))

	_ = nc.SetWriteDeadline(time.Time{})
	var seen uint64
	for {
		_ = nc.SetReadDeadline(time.Now().Add(publishTimeout))
		err := r.Read()
		got := sc.BytesReceived()
		s.c.bytesIn.Add(got - seen)
		seen = got
		if err != nil {
			log.Info("rtmp publish ended", "err", err)
			return err
		}
	}
}

func (s *Server) published(path string) bool {
	for _, p := range s.opts.Hub.Paths() {
		if p.Path == path {
			return true
		}
	}
	return false
}

func trackNames(tracks []hub.Track) []string {
	names := make([]string, len(tracks))
	for i, t := range tracks {
		names[i] = t.Codec.String()
	}
	return names
}

// ingest converts gortmplib's callbacks into hub units for one publisher.
type ingest struct {
	pub *hub.Publisher
	// params holds parameter sets that arrived alone (a sequence header
	// in mid-stream); they are put in front of the next access unit so
	// that readers see them in-band.
	params [][]byte
}

// setup registers a callback for every track gortmplib found (it calls a
// nil callback otherwise) and returns the hub tracks: the first video and
// the first audio track of a supported codec.
func (in *ingest) setup(r *gortmplib.Reader) []hub.Track {
	var tracks []hub.Track
	var haveVideo, haveAudio bool
	add := func(t hub.Track) int {
		t.ID = len(tracks)
		tracks = append(tracks, t)
		return t.ID
	}
	for _, rt := range r.Tracks() {
		switch c := rt.Codec.(type) {
		case *codecs.H264:
			if t, ok := videoHubTrack(hub.H264, nil, c.SPS, c.PPS); ok && !haveVideo {
				haveVideo = true
				id := add(t)
				r.OnDataH264(rt, func(pts, dts time.Duration, au [][]byte) { in.video(id, hub.H264, pts, dts, au) })
				continue
			}
			r.OnDataH264(rt, func(time.Duration, time.Duration, [][]byte) {})
		case *codecs.H265:
			if t, ok := videoHubTrack(hub.H265, c.VPS, c.SPS, c.PPS); ok && !haveVideo {
				haveVideo = true
				id := add(t)
				r.OnDataH265(rt, func(pts, dts time.Duration, au [][]byte) { in.video(id, hub.H265, pts, dts, au) })
				continue
			}
			r.OnDataH265(rt, func(time.Duration, time.Duration, [][]byte) {})
		case *codecs.MPEG4Audio:
			var conf []byte
			if c.Config != nil {
				conf, _ = c.Config.Marshal()
			}
			if conf != nil && !haveAudio {
				haveAudio = true
				id := add(hub.Track{Codec: hub.AAC, ClockRate: c.Config.SampleRate, Config: conf})
				r.OnDataMPEG4Audio(rt, func(pts time.Duration, au []byte) { in.audio(id, pts, au) })
				continue
			}
			r.OnDataMPEG4Audio(rt, func(time.Duration, []byte) {})
		case *codecs.G711:
			if c.ChannelCount == 1 && !haveAudio {
				haveAudio = true
				codec := hub.G711A
				if c.MULaw {
					codec = hub.G711U
				}
				id := add(hub.Track{Codec: codec, ClockRate: 8000})
				r.OnDataG711(rt, func(pts time.Duration, samples []byte) { in.audio(id, pts, samples) })
				continue
			}
			r.OnDataG711(rt, func(time.Duration, []byte) {})
		case *codecs.AV1:
			r.OnDataAV1(rt, func(time.Duration, [][]byte) {})
		case *codecs.VP9:
			r.OnDataVP9(rt, func(time.Duration, []byte) {})
		case *codecs.Opus:
			r.OnDataOpus(rt, func(time.Duration, []byte) {})
		case *codecs.FLAC:
			r.OnDataFLAC(rt, func(time.Duration, []byte) {})
		case *codecs.MPEG1Audio:
			r.OnDataMPEG1Audio(rt, func(time.Duration, []byte) {})
		case *codecs.AC3:
			r.OnDataAC3(rt, func(time.Duration, []byte) {})
		case *codecs.LPCM:
			r.OnDataLPCM(rt, func(time.Duration, []byte) {})
		}
	}
	return tracks
}

// videoHubTrack builds the hub track for parameter sets from the sequence
// header, with the picture size read from the SPS.
func videoHubTrack(codec hub.Codec, vps, sps, pps []byte) (hub.Track, bool) {
	if len(sps) == 0 || len(pps) == 0 || (codec == hub.H265 && len(vps) == 0) {
		return hub.Track{}, false
	}
	w, h, err := h26x.Dimensions(h26xCodec(codec), sps)
	if err != nil {
		return hub.Track{}, false
	}
	var conf []byte
	if codec == hub.H265 {
		conf = h26x.JoinAnnexB(vps, sps, pps)
	} else {
		conf = h26x.JoinAnnexB(sps, pps)
	}
	return hub.Track{Codec: codec, ClockRate: 90000, Width: w, Height: h, Config: conf}, true
}

func (in *ingest) video(id int, codec hub.Codec, pts, dts time.Duration, au [][]byte) {
	onlyParams := true
	for _, n := range au {
		if !isParamSet(codec, n) {
			onlyParams = false
			break
		}
	}
	if onlyParams {
		// A sequence header: gortmplib passes it (including the first one,
		// which it replays) as an access unit of parameter sets.
		in.params = append(in.params[:0], au...)
		return
	}
	if len(in.params) > 0 {
		au = append(in.params, au...)
		in.params = nil
	}
	// A fresh buffer: the hub shares Data with every reader.
	data := h26x.JoinAnnexB(au...)
	in.pub.Write(hub.Unit{Track: id, PTS: pts, DTS: dts, Keyframe: h26x.IsKeyframe(h26xCodec(codec), data), Data: data})
}

func (in *ingest) audio(id int, pts time.Duration, frame []byte) {
	if len(frame) == 0 {
		return
	}
	data := make([]byte, len(frame))
	copy(data, frame)
	in.pub.Write(hub.Unit{Track: id, PTS: pts, DTS: pts, Data: data})
}

func isParamSet(codec hub.Codec, n []byte) bool {
	t := h26x.NALType(h26xCodec(codec), n)
	if codec == hub.H264 {
		return t == 7 || t == 8
	}
	return t >= 32 && t <= 34
}
