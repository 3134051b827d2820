package mediatest

import (
	"fmt"
	"sync"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/pion/rtp"
)

// Relay is a minimal RTSP server built from gortsplib's server example, standing in for an
// RTSP camera: a publisher (ffmpeg) ANNOUNCEs and RECORDs a stream that readers then PLAY,
// whatever the URL path. ffmpeg cannot serve RTSP to players itself (its "listen" mode
// only receives), so tests publish through this relay.
type Relay struct {
	srv *gortsplib.Server

	mu        sync.Mutex
	stream    *gortsplib.ServerStream
	publisher *gortsplib.ServerSession
}

// StartRelay starts a relay on addr (TCP; UDP too when rtpAddr and rtcpAddr, an even port
// and the next one, are set).
func StartRelay(addr, rtpAddr, rtcpAddr string) (*Relay, error) {
	r := &Relay{}
	r.srv = &gortsplib.Server{Handler: r, RTSPAddress: addr, UDPRTPAddress: rtpAddr, UDPRTCPAddress: rtcpAddr}
	if err := r.srv.Start(); err != nil {
		return nil, fmt.Errorf("relay: %w", err)
	}
	return r, nil
}

// Addr is the relay's RTSP address.
func (r *Relay) Addr() string { return r.srv.NetListener().Addr().String() }

// Close stops the relay.
func (r *Relay) Close() {
	r.mu.Lock()
	if r.stream != nil {
		r.stream.Close()
		r.stream = nil
	}
	r.mu.Unlock()
	r.srv.Close()
}

// Serve makes the relay serve desc without a publisher; the caller writes packets to the
// returned stream.
func (r *Relay) Serve(desc *description.Session) (*gortsplib.ServerStream, error) {
	st := &gortsplib.ServerStream{Server: r.srv, Desc: desc}
	if err := st.Initialize(); err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.stream = st
	r.mu.Unlock()
	return st, nil
}

// OnSessionClose implements gortsplib.ServerHandlerOnSessionClose.
func (r *Relay) OnSessionClose(ctx *gortsplib.ServerHandlerOnSessionCloseCtx) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stream != nil && ctx.Session == r.publisher {
		r.stream.Close()
		r.stream, r.publisher = nil, nil
	}
}

// OnDescribe implements gortsplib.ServerHandlerOnDescribe.
func (r *Relay) OnDescribe(_ *gortsplib.ServerHandlerOnDescribeCtx) (*base.Response, *gortsplib.ServerStream, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stream == nil {
		return &base.Response{StatusCode: base.StatusNotFound}, nil, nil
	}
	return &base.Response{StatusCode: base.StatusOK}, r.stream, nil
}

// OnAnnounce implements gortsplib.ServerHandlerOnAnnounce.
func (r *Relay) OnAnnounce(ctx *gortsplib.ServerHandlerOnAnnounceCtx) (*base.Response, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stream != nil {
		r.stream.Close()
	}
	r.stream = &gortsplib.ServerStream{Server: r.srv, Desc: ctx.Description}
	if err := r.stream.Initialize(); err != nil {
		return &base.Response{StatusCode: base.StatusBadRequest}, err
	}
	r.publisher = ctx.Session
	return &base.Response{StatusCode: base.StatusOK}, nil
}

// OnSetup implements gortsplib.ServerHandlerOnSetup.
func (r *Relay) OnSetup(ctx *gortsplib.ServerHandlerOnSetupCtx) (*base.Response, *gortsplib.ServerStream, error) {
	if ctx.Session.State() == gortsplib.ServerSessionStatePreRecord {
		return &base.Response{StatusCode: base.StatusOK}, nil, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stream == nil {
		return &base.Response{StatusCode: base.StatusNotFound}, nil, nil
	}
	return &base.Response{StatusCode: base.StatusOK}, r.stream, nil
}

// OnPlay implements gortsplib.ServerHandlerOnPlay.
func (r *Relay) OnPlay(_ *gortsplib.ServerHandlerOnPlayCtx) (*base.Response, error) {
	return &base.Response{StatusCode: base.StatusOK}, nil
}

// OnRecord implements gortsplib.ServerHandlerOnRecord: packets go to the readers.
func (r *Relay) OnRecord(ctx *gortsplib.ServerHandlerOnRecordCtx) (*base.Response, error) {
	r.mu.Lock()
	st := r.stream
	r.mu.Unlock()
	ctx.Session.OnPacketRTPAny(func(m *description.Media, _ format.Format, p *rtp.Packet) {
		_ = st.WritePacketRTP(m, p)
	})
	return &base.Response{StatusCode: base.StatusOK}, nil
}
