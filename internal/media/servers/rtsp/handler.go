package rtsp

import (
	"errors"
	"strings"
	"sync/atomic"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/headers"

	"github.com/vionet/vionet/internal/media/hub"
	"github.com/vionet/vionet/internal/media/token"
)

// counters are the server's atomic statistics.
type counters struct {
	sessionsTotal atomic.Uint64
	bytesClosed   atomic.Uint64 // bytes sent by sessions that have ended
	tokensRefused atomic.Uint64
	demandErrors  atomic.Uint64
	notFound      atomic.Uint64
	writeDrops    atomic.Uint64
	unitErrors    atomic.Uint64
}

// sessionInfo is what the server knows about one RTSP session.
type sessionInfo struct {
	ps     *pathStream
	claims token.Claims
	warned atomic.Bool // a write drop was logged already
}

// handler implements gortsplib's server callbacks. gortsplib calls them
// from its connection and session goroutines.
type handler struct{ s *Server }

var (
	_ gortsplib.ServerHandlerOnDescribe         = (*handler)(nil)
	_ gortsplib.ServerHandlerOnSetup            = (*handler)(nil)
	_ gortsplib.ServerHandlerOnPlay             = (*handler)(nil)
	_ gortsplib.ServerHandlerOnResponse         = (*handler)(nil)
	_ gortsplib.ServerHandlerOnSessionClose     = (*handler)(nil)
	_ gortsplib.ServerHandlerOnConnClose        = (*handler)(nil)
	_ gortsplib.ServerHandlerOnStreamWriteError = (*handler)(nil)
)

func status(code base.StatusCode) *base.Response {
	return &base.Response{StatusCode: code}
}

// hubPath maps the path of an RTSP URL to a hub path: "/live/a/b" and
// "/live/a/b/" are "live/a/b".
func hubPath(p string) string {
	return strings.Trim(p, "/")
}

// OnDescribe checks the token, opens the path (on demand) and answers
// with the SDP of the path's shared stream.
func (h *handler) OnDescribe(ctx *gortsplib.ServerHandlerOnDescribeCtx) (*base.Response, *gortsplib.ServerStream, error) {
	s := h.s
	path := hubPath(ctx.Path)
	c, err := s.authorize(ctx.Conn, ctx.Query, path, nil)
	if err != nil {
		return status(base.StatusUnauthorized), nil, nil
	}
	ps, err := s.acquire(path, c, nil)
	if err != nil {
		return s.refusal(err), nil, nil
	}
	s.mu.Lock()
	s.connAuth[ctx.Conn] = c
	s.mu.Unlock()
	return status(base.StatusOK), ps.stream, nil
}

// OnSetup checks the token (or the connection's authorized DESCRIBE of the
// same path) and attaches the session to the path's shared stream.
func (h *handler) OnSetup(ctx *gortsplib.ServerHandlerOnSetupCtx) (*base.Response, *gortsplib.ServerStream, error) {
	s := h.s
	path := hubPath(ctx.Path)
	s.mu.Lock()
	info := s.sessions[ctx.Session]
	var fallback *token.Claims
	if info != nil {
		fallback = &info.claims
	} else if c, ok := s.connAuth[ctx.Conn]; ok {
		fallback = &c
	}
	s.mu.Unlock()
	c, err := s.authorize(ctx.Conn, ctx.Query, path, fallback)
	if err != nil {
		return status(base.StatusUnauthorized), nil, nil
	}
	if info != nil {
		// A further media of a session: gortsplib requires the same stream.
		if info.ps.path != path {
			return status(base.StatusBadRequest), nil, nil
		}
		return status(base.StatusOK), info.ps.stream, nil
	}
	ps, err := s.acquire(path, c, ctx.Session)
	if err != nil {
		return s.refusal(err), nil, nil
	}
	s.mu.Lock()
	s.sessions[ctx.Session] = &sessionInfo{ps: ps, claims: c}
	s.mu.Unlock()
	s.stats.sessionsTotal.Add(1)
	s.log.Debug("rtsp: session set up", "path", path, "appid", c.AppID,
		"remote", remote(ctx.Conn), "transport", ctx.Transport.Protocol.String())
	return status(base.StatusOK), ps.stream, nil
}

// OnPlay checks the token of the PLAY URL, if any, and replays the GOP
// cache so the session starts on a keyframe.
func (h *handler) OnPlay(ctx *gortsplib.ServerHandlerOnPlayCtx) (*base.Response, error) {
	s := h.s
	s.mu.Lock()
	info := s.sessions[ctx.Session]
	s.mu.Unlock()
	if info == nil {
		return status(base.StatusSessionNotFound), nil
	}
	if _, err := s.authorize(ctx.Conn, ctx.Query, info.ps.path, &info.claims); err != nil {
		return status(base.StatusUnauthorized), nil
	}
	if ctx.Session.State() != gortsplib.ServerSessionStatePlay {
		info.ps.replayGOP(ctx.Session, ctx.Conn)
	}
	return status(base.StatusOK), nil
}

// OnResponse runs after gortsplib has handled a request, just before the
// response is written. For a PLAY whose session was sent the GOP cache the
// session is an active stream reader by now: the feeder may go on. The
// RTP-Info header is corrected to name the first replayed packets.
func (h *handler) OnResponse(sc *gortsplib.ServerConn, res *base.Response) {
	ps := h.s.takeGate(sc)
	if ps == nil {
		return
	}
	g := ps.takeGate(sc)
	if g == nil {
		return
	}
	if res.StatusCode == base.StatusOK {
		fixRTPInfo(res, g)
	}
	close(g.released)
}

// fixRTPInfo points each RTP-Info entry of a PLAY response at the first
// packet the session was sent for that media.
func fixRTPInfo(res *base.Response, g *playGate) {
	v, ok := res.Header["RTP-Info"]
	if !ok {
		return
	}
	var ri headers.RTPInfo
	if ri.Unmarshal(v) != nil || len(ri) != len(g.medias) {
		delete(res.Header, "RTP-Info")
		return
	}
	for i, m := range g.medias {
		if st, ok := g.first[m]; ok {
			seq, ts := st.seq, st.ts
			ri[i].SequenceNumber, ri[i].Timestamp = &seq, &ts
		}
	}
	res.Header["RTP-Info"] = ri.Marshal()
}

// OnSessionClose detaches the session from its path.
func (h *handler) OnSessionClose(ctx *gortsplib.ServerHandlerOnSessionCloseCtx) {
	s := h.s
	s.mu.Lock()
	info := s.sessions[ctx.Session]
	delete(s.sessions, ctx.Session)
	s.mu.Unlock()
	if info == nil {
		return
	}
	s.stats.bytesClosed.Add(ctx.Session.Stats().OutboundBytes)
	s.release(info.ps, ctx.Session)
}

// OnConnClose forgets the connection's authorization and any PLAY gate.
func (h *handler) OnConnClose(ctx *gortsplib.ServerHandlerOnConnCloseCtx) {
	s := h.s
	s.mu.Lock()
	delete(s.connAuth, ctx.Conn)
	s.mu.Unlock()
	if ps := s.takeGate(ctx.Conn); ps != nil {
		if g := ps.takeGate(ctx.Conn); g != nil {
			close(g.released)
		}
	}
}

// OnStreamWriteError counts packets a session could not take (its queue
// was full: the client reads slower than the stream) and logs it once.
func (h *handler) OnStreamWriteError(ctx *gortsplib.ServerHandlerOnStreamWriteErrorCtx) {
	s := h.s
	s.stats.writeDrops.Add(1)
	s.mu.Lock()
	info := s.sessions[ctx.Session]
	s.mu.Unlock()
	if info != nil && info.warned.CompareAndSwap(false, true) {
		s.log.Warn("rtsp: session too slow, dropping packets", "path", info.ps.path, "err", ctx.Error)
	}
}

// refusal maps an error opening a path to the RTSP status returned.
func (s *Server) refusal(err error) *base.Response {
	var de errDemand
	switch {
	case errors.As(err, &de):
		return status(base.StatusServiceUnavailable)
	case errors.Is(err, hub.ErrNoPublisher):
		return status(base.StatusNotFound)
	default:
		s.log.Warn("rtsp: cannot serve path", "err", err)
		return status(base.StatusServiceUnavailable)
	}
}

func remote(sc *gortsplib.ServerConn) string {
	if sc == nil || sc.NetConn() == nil {
		return ""
	}
	return sc.NetConn().RemoteAddr().String()
}
