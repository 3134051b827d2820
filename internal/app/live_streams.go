package app

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vionet/vionet/internal/domain"
)

// Live streams on demand: the first request for a camera's stream INVITEs the device; every
// later viewer shares that one stream; when no reader has been on the path for IdleTimeout
// the device gets a BYE. A stream that stalls or that the device hangs up is torn down, and
// the next request starts it again.

// Causes of a failed stream start, as counted (StreamError.Cause) and named in resultMsg.
const (
	CauseInviteRejected = "invite_rejected" // the device answered the INVITE with an error
	CauseInviteTimeout  = "invite_timeout"  // the device did not answer the INVITE
	CauseNoRTP          = "no_rtp"          // the device accepted but sent nothing
	CauseWrongSSRC      = "wrong_ssrc"      // RTP arrived with another SSRC than offered
	CauseTCPConnect     = "tcp_connect"     // vionet could not connect to the device (TCP active)
	CauseNoKeyframe     = "no_keyframe"     // RTP arrived but no decodable keyframe
	CauseOther          = "other"
)

// StreamError is a failed stream start with its cause; adapters wrap their errors in it so
// app can count and explain them.
type StreamError struct {
	Cause string
	Err   error
}

func (e *StreamError) Error() string { return e.Err.Error() }
func (e *StreamError) Unwrap() error { return e.Err }

// StreamCause returns the cause of a stream start failure (CauseOther if unknown).
func StreamCause(err error) string {
	var se *StreamError
	if errors.As(err, &se) {
		return se.Cause
	}
	return CauseOther
}

// livePath is the hub path of a camera's live stream. The path is inside every URL token,
// so it needs no secrecy; it names the registered device, the camera and the stream number.
func livePath(deviceSn, target string, streamNumber int) string {
	return "live/" + deviceSn + "/" + target + "/" + strconv.Itoa(streamNumber)
}

// parseLivePath is livePath's inverse.
func parseLivePath(path string) (deviceSn, target string, streamNumber int, ok bool) {
	f := strings.Split(path, "/")
	if len(f) != 4 || f[0] != "live" {
		return "", "", 0, false
	}
	n, err := strconv.Atoi(f[3])
	if err != nil || n < 0 || n > 9 {
		return "", "", 0, false
	}
	return f[1], f[2], n, true
}

type liveStream struct {
	path  string
	ready chan struct{} // closed when the start finished (err says how)
	err   error
	call  StreamCall
	sess  IngestSession
	idle  *time.Timer
	gone  bool // torn down
}

type liveStreams struct {
	mu sync.Mutex
	m  map[string]*liveStream
}

// ensureStream returns once path carries the camera's stream, starting it if needed.
func (a *App) ensureStream(ctx context.Context, d *domain.Device, target string, streamNumber int) (string, error) {
	m := &a.media
	if m.opts.Ingest == nil || a.streams == nil {
		return "", domain.Errorf(domain.CodeUnavailable, "live streaming is not configured on this node")
	}
	path := livePath(d.DeviceSn, target, streamNumber)
	a.live.mu.Lock()
	s := a.live.m[path]
	if s == nil {
		s = &liveStream{path: path, ready: make(chan struct{})}
		a.live.m[path] = s
		go a.startStream(s, d, target, streamNumber)
	}
	a.live.mu.Unlock()
	select {
	case <-s.ready:
	case <-ctx.Done():
		return "", domain.Errorf(domain.CodeUnavailable, "stream of %s did not start before the request ended", target)
	}
	if s.err != nil {
		return "", s.err
	}
	return path, nil
}

// startStream INVITEs the device and waits for its first keyframe. It runs detached from the
// request that caused it: other viewers may be waiting for the same stream.
func (a *App) startStream(s *liveStream, d *domain.Device, target string, streamNumber int) {
	o := a.media.opts
	ctx, cancel := context.WithTimeout(context.Background(), o.StartTimeout)
	defer cancel()
	began := a.now()
	err := a.inviteInto(ctx, s, d, StreamRequest{Target: target, StreamNumber: streamNumber}, 1)
	if err != nil {
		s.err = a.streamFailure(s.path, target, err)
		a.live.mu.Lock()
		if a.live.m[s.path] == s {
			delete(a.live.m, s.path)
		}
		a.live.mu.Unlock()
		close(s.ready)
		return
	}
	a.log.Info("live stream up", "path", s.path, "call", s.call.ID, "ssrc", s.sess.SSRC(), "took", a.now().Sub(began))
	close(s.ready)
	a.armIdle(s)
	go a.watchStream(s)
}

func codeForCause(cause string) domain.Code {
	if cause == CauseInviteRejected {
		return domain.CodeValidation
	}
	return domain.CodeUnavailable
}

// inviteInto asks the device for the stream req describes (live, playback or download) into
// a new receiving session for s.path and waits for its first keyframe; a playback at a speed
// other than 1 gets the MANSRTSP Scale. On failure everything is hung up.
func (a *App) inviteInto(ctx context.Context, s *liveStream, d *domain.Device, req StreamRequest, speed float64) error {
	o := a.media.opts
	sess, err := o.Ingest.Open(ctx, s.path, req.Playback, o.Transport, d.RemoteIP)
	if err != nil {
		return fmt.Errorf("receiver: %w", err)
	}
	req.DeviceSn, req.SSRC, req.Transport = d.DeviceSn, sess.SSRC(), o.Transport
	req.ReceiveIP, req.ReceivePort = o.Ingest.ReceiveIP(), sess.Port()
	call, err := a.streams.StartStream(ctx, req)
	if err != nil {
		sess.Close()
		return err
	}
	s.call, s.sess = call, sess
	if o.Transport == domain.TransportTCPActive {
		err = sess.Connect(ctx, call.DeviceAddr)
	}
	if err == nil && req.Playback && !req.Download && speed != 1 {
		err = a.streams.ControlStream(ctx, call.ID, fmt.Sprintf("PLAY RTSP/1.0\r\nCSeq: 1\r\nScale: %s\r\n\r\n", strconv.FormatFloat(speed, 'f', -1, 64)))
	}
	if err == nil {
		err = sess.Wait(ctx)
	}
	if err != nil {
		a.stopStream(s, "start failed")
	}
	return err
}

// watchStream tears the stream down when the device hangs up or the stream stalls.
func (a *App) watchStream(s *liveStream) {
	select {
	case <-s.call.Done:
		a.teardown(s, "device hung up")
	case <-s.sess.Done():
		reason := "stream ended"
		if err := s.sess.Err(); err != nil {
			reason = err.Error()
		}
		a.teardown(s, reason)
	}
}

// teardown stops a running stream once.
func (a *App) teardown(s *liveStream, reason string) {
	a.live.mu.Lock()
	if s.gone {
		a.live.mu.Unlock()
		return
	}
	s.gone = true
	if s.idle != nil {
		s.idle.Stop()
	}
	if a.live.m[s.path] == s {
		delete(a.live.m, s.path)
	}
	a.live.mu.Unlock()
	a.stopStream(s, reason)
}

func (a *App) stopStream(s *liveStream, reason string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if s.call.ID != "" {
		if err := a.streams.StopStream(ctx, s.call.ID); err != nil {
			a.log.Debug("BYE failed", "path", s.path, "err", err)
		}
	}
	if s.sess != nil {
		s.sess.Close()
	}
	a.log.Info("live stream stopped", "path", s.path, "reason", reason)
}

// armIdle starts the idle countdown of a path without readers.
func (a *App) armIdle(s *liveStream) {
	a.live.mu.Lock()
	defer a.live.mu.Unlock()
	if s.gone || a.media.opts.Hub.Readers(s.path) > 0 {
		return
	}
	if s.idle != nil {
		s.idle.Stop()
	}
	s.idle = time.AfterFunc(a.media.opts.IdleTimeout, func() {
		if a.media.opts.Hub.Readers(s.path) == 0 {
			a.teardown(s, "idle")
		}
	})
}

// ReadersChanged is called by the hub's event stream when a path's reader count changed: the
// last reader leaving starts the idle countdown, a new reader cancels it.
func (a *App) ReadersChanged(path string, readers int) {
	if strings.HasPrefix(path, "rec/") {
		a.playbackReadersChanged(path, readers)
		return
	}
	a.live.mu.Lock()
	s := a.live.m[path]
	if s != nil && readers > 0 && s.idle != nil {
		s.idle.Stop()
	}
	a.live.mu.Unlock()
	if s != nil && readers == 0 {
		select {
		case <-s.ready:
			a.armIdle(s)
		default:
		}
	}
}

// DemandStream starts the stream at path for a viewer whose URL token names appID (the media
// servers call it when a reader arrives at a path nobody publishes, e.g. after an idle BYE).
func (a *App) DemandStream(ctx context.Context, appID, path string) error {
	if strings.HasPrefix(path, "rec/") {
		return a.demandPlayback(ctx, appID, path)
	}
	sn, target, n, ok := parseLivePath(path)
	if !ok {
		return fmt.Errorf("no on-demand source for %q", path)
	}
	d, err := a.store.Device(ctx, sn)
	if err != nil {
		return err
	}
	if d.AppID != appID {
		return fmt.Errorf("device %s belongs to another tenant", sn)
	}
	if err := online(d); err != nil {
		return err
	}
	_, err = a.ensureStream(ctx, d, target, n)
	return err
}

// StopStreams tears every live stream and playback down (shutdown).
func (a *App) StopStreams() {
	a.plays.mu.Lock()
	var plays []string
	for path := range a.plays.m {
		plays = append(plays, path)
	}
	a.plays.mu.Unlock()
	for _, path := range plays {
		a.stopPlayback(path, "shutdown")
	}
	a.live.mu.Lock()
	all := make([]*liveStream, 0, len(a.live.m))
	for _, s := range a.live.m {
		all = append(all, s)
	}
	a.live.mu.Unlock()
	for _, s := range all {
		select {
		case <-s.ready:
			if s.err == nil {
				a.teardown(s, "shutdown")
			}
		default:
		}
	}
}
