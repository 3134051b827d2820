package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/bluenviron/gortmplib/pkg/message"
	"github.com/pion/rtp"
)

// startLatency is the time from a viewer's first byte on the wire (TCP connect, then RTSP
// DESCRIBE / RTMP handshake / HTTP GET) to the first keyframe data it receives, over
// repeated runs on one path.
type startLatency struct {
	proto, path string
	runs        []time.Duration
	err         error
}

// latencyRun measures start latency on the live push path (the stream is already in the
// hub: this is the server's own set-up plus the GOP cache) and on an on-demand path: a
// --media-pull of the push path's RTSP URL, so each viewer of pull/bench makes vionet start
// an RTSP pull first (stopped again --live-idle-timeout after the viewer left).
type latencyRun struct {
	o    options
	bin  string // serves
	cli  string // signs URLs
	file string
}

func (l latencyRun) run(ctx context.Context) (res []startLatency, logs []string, err error) {
	dir, err := os.MkdirTemp(l.o.workDir, "run-latency-")
	if err != nil {
		return nil, nil, err
	}
	if !l.o.keep {
		defer os.RemoveAll(dir)
	}
	set, err := newSettings(filepath.Join(dir, "data"))
	if err != nil {
		return nil, nil, err
	}
	push, err := signURLs(ctx, l.cli, set, "push/bench")
	if err != nil {
		return nil, nil, err
	}
	set.extra = []string{"--media-pull", "pull/bench=" + push.RTSP, "--live-idle-timeout", "1s"}
	pull, err := signURLs(ctx, l.cli, set, "pull/bench")
	if err != nil {
		return nil, nil, err
	}
	srv, err := startServer(ctx, l.bin, set, false)
	if err != nil {
		return nil, nil, err
	}
	defer func() { srv.stop(); logs = srv.logSummary() }()
	p, err := startPusher(l.file, push.Publish)
	if err != nil {
		return nil, nil, err
	}
	defer p.stop()
	if err := srv.waitPath(ctx, 20*time.Second); err != nil {
		return nil, nil, err
	}
	if err := sleep(ctx, 2*time.Second); err != nil { // a full GOP in the cache
		return nil, nil, err
	}
	hc := newFLVClient()
	for _, path := range []struct {
		name string
		u    urls
	}{{"push/bench (live)", push}, {"pull/bench (on demand)", pull}} {
		for _, proto := range latencyProtocols(l.o.protocols) {
			sl := startLatency{proto: proto, path: path.name}
			for range l.o.latencyRuns {
				if path.u.Path == "pull/bench" {
					// Only the push path may be in the hub: the previous pull must have stopped.
					if err := waitPaths(ctx, srv, 1, 15*time.Second); err != nil {
						sl.err = err
						break
					}
				}
				rctx, cancel := context.WithTimeout(ctx, 15*time.Second)
				d, err := firstKeyframe(rctx, proto, urlFor(proto, path.u), hc)
				cancel()
				if err != nil {
					sl.err = err
					break
				}
				sl.runs = append(sl.runs, d)
			}
			logf("start latency %s %s: %s", proto, path.name, sl.summary())
			res = append(res, sl)
		}
	}
	return res, nil, nil
}

// latencyProtocols are the protocols whose start latency is measured: rtsp-lean counts as
// rtsp (start latency is measured with gortsplib's client), each once.
func latencyProtocols(protocols []string) []string {
	var out []string
	for _, p := range protocols {
		if p == "rtsp-lean" {
			p = "rtsp"
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// waitPaths polls /metrics until exactly n paths are published.
func waitPaths(ctx context.Context, srv *server, n float64, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		v, err := srv.metric(ctx, "vionet_media_paths")
		if err == nil && v == n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("still %v paths after %s (want %v; %v)", v, timeout, n, err)
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			return err
		}
	}
}

func (s startLatency) summary() string {
	if len(s.runs) == 0 {
		return fmt.Sprintf("failed: %v", s.err)
	}
	r := slices.Clone(s.runs)
	slices.Sort(r)
	out := fmt.Sprintf("min %s  median %s  max %s  (%d runs)", ms(r[0]), ms(r[len(r)/2]), ms(r[len(r)-1]), len(r))
	if s.err != nil {
		out += fmt.Sprintf("; then failed: %v", s.err)
	}
	return out
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }

// firstKeyframe opens one proto viewer and returns the time to its first keyframe data.
func firstKeyframe(ctx context.Context, proto, rawURL string, hc *http.Client) (time.Duration, error) {
	got := make(chan time.Time, 1)
	signal := func() {
		select {
		case got <- time.Now():
		default:
		}
	}
	ended := make(chan error, 1)
	t0 := time.Now()
	switch proto {
	case "rtsp":
		r := &rtspReader{}
		err := r.start(ctx, rawURL, func(p *rtp.Packet) {
			if h264IDR(p.Payload) {
				signal()
			}
		})
		if err != nil {
			return 0, err
		}
		defer r.close()
	case "rtmp":
		r := &rtmpReader{}
		if err := r.start(ctx, rawURL); err != nil {
			return 0, err
		}
		defer r.close()
		go func() {
			ended <- r.loop(func(m message.Message) {
				if v, ok := m.(*message.Video); ok && v.IsKeyFrame && v.Type == message.VideoTypeAU {
					signal()
				}
			})
		}()
	case "httpflv":
		r := &flvReader{}
		if err := r.start(ctx, hc, rawURL); err != nil {
			return 0, err
		}
		defer r.close()
		go func() {
			err := flvUntilKeyframe(r.body)
			if err == nil {
				signal()
			}
			ended <- err
		}()
	default:
		return 0, fmt.Errorf("unknown protocol %q", proto)
	}
	select {
	case t := <-got:
		return t.Sub(t0), nil
	case err := <-ended:
		return 0, fmt.Errorf("ended before a keyframe: %w", err)
	case <-ctx.Done():
		return 0, fmt.Errorf("no keyframe: %w", ctx.Err())
	}
}

// h264IDR reports whether an RTP payload (RFC 6184) carries IDR slice data: a single IDR
// NAL unit, an aggregate holding one, or the first fragment of one.
func h264IDR(p []byte) bool {
	if len(p) < 2 {
		return false
	}
	switch p[0] & 0x1f {
	case 5:
		return true
	case 24: // STAP-A: 2-byte sizes, then NAL units
		for b := p[1:]; len(b) > 2; {
			n := int(binary.BigEndian.Uint16(b))
			b = b[2:]
			if n == 0 || n > len(b) {
				return false
			}
			if b[0]&0x1f == 5 {
				return true
			}
			b = b[n:]
		}
	case 28: // FU-A: start bit and the fragmented unit's type
		return p[1]&0x80 != 0 && p[1]&0x1f == 5
	}
	return false
}

// flvUntilKeyframe reads an FLV stream until the first H.264 keyframe NAL-unit tag
// (FrameType 1, AVCPacketType 1).
func flvUntilKeyframe(r io.Reader) error {
	br := bufio.NewReader(r)
	hdr := make([]byte, 9)
	if _, err := io.ReadFull(br, hdr); err != nil {
		return err
	}
	if string(hdr[:3]) != "FLV" {
		return errors.New("not FLV: " + strings.ToValidUTF8(string(hdr[:3]), "?"))
	}
	if _, err := br.Discard(int(binary.BigEndian.Uint32(hdr[5:9])) - 9 + 4); err != nil { // rest of header, PreviousTagSize0
		return err
	}
	th := make([]byte, 11)
	for {
		if _, err := io.ReadFull(br, th); err != nil {
			return err
		}
		size := int(th[1])<<16 | int(th[2])<<8 | int(th[3])
		if th[0]&0x1f == 9 && size >= 2 {
			b, err := br.Peek(2)
			if err != nil {
				return err
			}
			if b[0]>>4 == 1 && b[0]&0x0f == 7 && b[1] == 1 {
				return nil
			}
		}
		if _, err := br.Discard(size + 4); err != nil {
			return err
		}
	}
}
