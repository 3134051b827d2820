package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vionet/vionet/internal/app"
	"github.com/vionet/vionet/internal/conf"
	"github.com/vionet/vionet/internal/domain"
	"github.com/vionet/vionet/internal/media/hub"
	"github.com/vionet/vionet/internal/media/ingest/psrtp"
	"github.com/vionet/vionet/internal/media/snapshot"
	"github.com/vionet/vionet/internal/media/token"
	"github.com/vionet/vionet/internal/southbound/gb28181"
)

// The adapters between app's media ports and the media and southbound packages, which never
// import each other.

// newReceiver builds the PS/RTP receiver from rtp-ports: a range, or one shared port.
func newReceiver(cfg conf.Config, h *hub.Hub, log *slog.Logger) (*psrtp.Receiver, error) {
	low, high, err := cfg.RTPPortRange()
	if err != nil {
		return nil, err
	}
	o := psrtp.Options{Hub: h, ListenIP: cfg.RTPListenIP, Logger: log.With("component", "rtp"), StrictSSRC: cfg.StrictSSRC}
	if low == high {
		o.SharedAddr = net.JoinHostPort(cfg.RTPListenIP, strconv.Itoa(low))
	} else {
		o.PortMin, o.PortMax = low, high
	}
	r, err := psrtp.NewReceiver(o)
	if err != nil {
		return nil, fmt.Errorf("rtp receiver: %w", err)
	}
	return r, nil
}

func describeReceiver(cfg conf.Config, r *psrtp.Receiver) string {
	if p := r.SharedPort(); p != 0 {
		return "shared:" + strconv.Itoa(p)
	}
	return "range:" + cfg.RTPPorts
}

// ingestAdapter is app.MediaIngest over psrtp.
type ingestAdapter struct {
	r      *psrtp.Receiver
	ip     string
	domain string
}

func (a *ingestAdapter) ReceiveIP() string { return a.ip }

func (a *ingestAdapter) Open(ctx context.Context, path string, history bool, t domain.StreamTransport, deviceIP string) (app.IngestSession, error) {
	req := psrtp.Request{Path: path, SSRC: a.r.AllocSSRC(history, a.domain), Transport: psrtp.Transport(t)}
	if ip := net.ParseIP(deviceIP); ip != nil {
		req.ExpectFrom = ip
	}
	s, err := a.r.Open(ctx, req)
	if err != nil {
		return nil, err
	}
	return ingestSession{s}, nil
}

type ingestSession struct{ s *psrtp.Session }

func (i ingestSession) SSRC() string          { return i.s.SSRC() }
func (i ingestSession) Port() int             { return i.s.LocalPort() }
func (i ingestSession) Done() <-chan struct{} { return i.s.Done() }
func (i ingestSession) Err() error            { return i.s.Err() }
func (i ingestSession) Close()                { i.s.Close() }

func (i ingestSession) Connect(ctx context.Context, remote string) error {
	return streamCause(i.s.Connect(ctx, remote))
}

// Wait waits for the stream to be published. When the start deadline passes first, the
// session's counters tell why (nothing arrived, only other SSRCs, or no usable keyframe), so
// the answer names a cause rather than "timeout".
func (i ingestSession) Wait(ctx context.Context) error {
	err := i.s.Wait(ctx)
	if err == nil || ctx.Err() == nil {
		return streamCause(err)
	}
	st := i.s.Stats()
	switch {
	case st.Packets == 0 && st.WrongSSRC > 0:
		return &app.StreamError{Cause: app.CauseWrongSSRC, Err: fmt.Errorf("%d RTP packets arrived on port %d, all with another SSRC than %s", st.WrongSSRC, st.LocalPort, i.s.SSRC())}
	case st.Packets == 0:
		return &app.StreamError{Cause: app.CauseNoRTP, Err: fmt.Errorf("no RTP arrived on %s port %d", st.Transport, st.LocalPort)}
	default:
		return &app.StreamError{Cause: app.CauseNoKeyframe, Err: fmt.Errorf("%d RTP packets from %s but no decodable keyframe", st.Packets, st.RemoteAddr)}
	}
}

// streamCause labels receiver and driver errors with app's stream failure causes.
func streamCause(err error) error {
	if err == nil {
		return nil
	}
	for _, c := range []struct {
		target error
		cause  string
	}{
		{psrtp.ErrNoRTP, app.CauseNoRTP},
		{psrtp.ErrWrongSSRC, app.CauseWrongSSRC},
		{psrtp.ErrTCPConnect, app.CauseTCPConnect},
		{psrtp.ErrNoKeyframe, app.CauseNoKeyframe},
		{psrtp.ErrNotPS, app.CauseNoKeyframe},
		{gb28181.ErrInviteRejected, app.CauseInviteRejected},
		{gb28181.ErrInviteTimeout, app.CauseInviteTimeout},
	} {
		if errors.Is(err, c.target) {
			return &app.StreamError{Cause: c.cause, Err: err}
		}
	}
	return err
}

// gbStreams is app.StreamDriver over the GB/T 28181 server.
type gbStreams struct{ s *gb28181.Server }

func (g gbStreams) StartStream(ctx context.Context, r app.StreamRequest) (app.StreamCall, error) {
	req := gb28181.InviteRequest{
		DeviceSn: r.DeviceSn, ChannelSn: r.Target, Kind: gb28181.Play, SSRC: r.SSRC, Transport: r.Transport,
		ReceiveIP: r.ReceiveIP, ReceivePort: r.ReceivePort, StreamNumber: r.StreamNumber,
	}
	if r.Playback {
		req.Kind, req.Start, req.End = gb28181.Playback, r.Start, r.End
		if r.Download {
			req.Kind, req.Speed = gb28181.Download, r.DownloadSpeed
		}
	}
	call, err := g.s.Invite(ctx, req)
	if err != nil {
		return app.StreamCall{}, streamCause(err)
	}
	return app.StreamCall{ID: call.ID, SSRC: call.SSRC, DeviceAddr: call.DeviceAddr, Done: call.Done()}, nil
}

func (g gbStreams) StopStream(ctx context.Context, callID string) error { return g.s.Bye(ctx, callID) }

func (g gbStreams) ControlStream(ctx context.Context, callID, body string) error {
	return g.s.PlaybackControl(ctx, callID, body)
}

// hubAdapter is app.MediaHub.
type hubAdapter struct{ h *hub.Hub }

func (a hubAdapter) Published(path string) bool { _, ok := a.h.Info(path); return ok }
func (a hubAdapter) Readers(path string) int    { return a.h.Readers(path) }
func (a hubAdapter) Codecs(path string) (video, audio string) {
	info, _ := a.h.Info(path)
	for _, t := range info.Tracks {
		if t.Codec.IsVideo() && video == "" {
			video = t.Codec.String()
		} else if !t.Codec.IsVideo() && audio == "" {
			audio = t.Codec.String()
		}
	}
	return video, audio
}

// snapshotter is app.Snapshotter over the ffmpeg-based snapshot package.
type snapshotter struct {
	hub    *hub.Hub
	ffmpeg string
}

func (s snapshotter) Grab(ctx context.Context, path string, w, h int) ([]byte, error) {
	return snapshot.Grab(ctx, s.hub, path, snapshot.Options{Width: w, Height: h, Wait: 5 * time.Second, FFmpeg: s.ffmpeg})
}

// signer is app.URLSigner over the media key.
type signer struct{ k token.Key }

func (s signer) Sign(path, appID string, exp time.Time) string {
	return s.k.Sign(token.Claims{Path: path, AppID: appID, Action: token.Read, Expires: exp})
}

// liveFailures counts failed stream starts by cause.
func liveFailures(reg prometheus.Registerer) func(string) {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "vionet_live_start_failures_total",
		Help: "Live streams that did not start, by cause (invite_rejected, invite_timeout, no_rtp, wrong_ssrc, tcp_connect, no_keyframe, other).",
	}, []string{"cause"})
	reg.MustRegister(c)
	for _, cause := range []string{app.CauseInviteRejected, app.CauseInviteTimeout, app.CauseNoRTP, app.CauseWrongSSRC, app.CauseTCPConnect, app.CauseNoKeyframe, app.CauseOther} {
		c.WithLabelValues(cause)
	}
	return func(cause string) { c.WithLabelValues(cause).Inc() }
}
