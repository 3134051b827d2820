package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/headers"
	"github.com/bluenviron/gortsplib/v5/pkg/sdpunmarshaler"
)

// leanRTSPReader is the "rtsp-lean" reader: DESCRIBE, SETUP (TCP interleaved) and PLAY
// with gortsplib's message types, then it only walks the interleaved frames in a 64 KiB
// read buffer, counting bytes and RTP packets. gortsplib's client parses and allocates
// every packet and runs RTCP receiver statistics, which on 2 cores made the readers cost
// more CPU than the server they measure; this one costs about what an HTTP-FLV reader does.
// It sends a GET_PARAMETER every 20 s to keep the session (the server's idle timeout is 60 s).
type leanRTSPReader struct {
	endState
	nc      net.Conn
	bytes   atomic.Uint64
	packets atomic.Uint64
	closed  atomic.Bool
	once    sync.Once
	done    chan struct{} // closed by close: stops the keepalives
}

const leanKeepalive = 20 * time.Second

func dialRTSPLean(ctx context.Context, rawURL string) (reader, error) {
	u, err := base.ParseURL(rawURL)
	if err != nil {
		return nil, err
	}
	nc, err := (&net.Dialer{}).DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return nil, err
	}
	r := &leanRTSPReader{nc: nc, done: make(chan struct{})}
	// ctx bounds the set-up: its end unblocks any read or write.
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Now()) })
	br := bufio.NewReaderSize(nc, 64<<10)
	session, err := r.setup(u, br)
	if !stop() || err != nil {
		nc.Close()
		if err == nil {
			err = ctx.Err()
		}
		return nil, err
	}
	go r.keepalive(u, session)
	go func() {
		err := r.readFrames(br)
		if r.closed.Load() {
			err = errClosed
		}
		r.end(err)
	}()
	return r, nil
}

// setup runs DESCRIBE, a SETUP per media and PLAY, and returns the session ID.
func (r *leanRTSPReader) setup(u *base.URL, br *bufio.Reader) (string, error) {
	cseq := 0
	do := func(method base.Method, u *base.URL, h base.Header) (*base.Response, error) {
		cseq++
		if h == nil {
			h = base.Header{}
		}
		h["CSeq"] = base.HeaderValue{strconv.Itoa(cseq)}
		req := base.Request{Method: method, URL: u, Header: h}
		b, err := req.Marshal()
		if err != nil {
			return nil, err
		}
		if _, err := r.nc.Write(b); err != nil {
			return nil, err
		}
		var res base.Response
		if err := res.Unmarshal(br); err != nil {
			return nil, fmt.Errorf("%s: %w", method, err)
		}
		if res.StatusCode != base.StatusOK {
			return nil, fmt.Errorf("%s: %d %s", method, res.StatusCode, res.StatusMessage)
		}
		return &res, nil
	}
	res, err := do(base.Describe, u, base.Header{"Accept": base.HeaderValue{"application/sdp"}})
	if err != nil {
		return "", err
	}
	ssd, err := sdpunmarshaler.Unmarshal(res.Body)
	if err != nil {
		return "", fmt.Errorf("describe: SDP: %w", err)
	}
	var desc description.Session
	if err := desc.Unmarshal2(ssd); err != nil {
		return "", fmt.Errorf("describe: SDP: %w", err)
	}
	baseURL := u
	if cb, ok := res.Header["Content-Base"]; ok && len(cb) == 1 {
		if baseURL, err = base.ParseURL(cb[0]); err != nil {
			return "", fmt.Errorf("describe: Content-Base: %w", err)
		}
	}
	session := ""
	for i, m := range desc.Medias {
		mu, err := m.URL(baseURL)
		if err != nil {
			return "", err
		}
		ch := 2 * i
		th := headers.Transport{
			Protocol:       headers.TransportProtocolTCP,
			Delivery:       ptrTo(headers.TransportDeliveryUnicast),
			InterleavedIDs: &[2]int{ch, ch + 1},
		}
		h := base.Header{"Transport": th.Marshal()}
		if session != "" {
			h["Session"] = base.HeaderValue{session}
		}
		res, err := do(base.Setup, mu, h)
		if err != nil {
			return "", err
		}
		var sh headers.Session
		if err := sh.Unmarshal(res.Header["Session"]); err != nil {
			return "", fmt.Errorf("setup: Session: %w", err)
		}
		session = sh.Session
	}
	if session == "" {
		return "", fmt.Errorf("describe: no media")
	}
	if _, err := do(base.Play, baseURL, base.Header{"Session": base.HeaderValue{session}}); err != nil {
		return "", err
	}
	return session, nil
}

// readFrames walks interleaved frames and the responses to the keepalives until the
// connection ends.
func (r *leanRTSPReader) readFrames(br *bufio.Reader) error {
	for {
		h, err := br.Peek(4)
		if err != nil {
			return err
		}
		if h[0] != '$' {
			var res base.Response // a keepalive's answer
			if err := res.Unmarshal(br); err != nil {
				return err
			}
			continue
		}
		n := 4 + int(binary.BigEndian.Uint16(h[2:4]))
		if h[1]%2 == 0 {
			r.packets.Add(1)
		}
		if _, err := br.Discard(n); err != nil {
			return err
		}
		r.bytes.Add(uint64(n))
	}
}

func (r *leanRTSPReader) keepalive(u *base.URL, session string) {
	t := time.NewTicker(leanKeepalive)
	defer t.Stop()
	for cseq := 100; ; cseq++ {
		select {
		case <-r.done:
			return
		case <-t.C:
		}
		if r.failed() != nil {
			return
		}
		req := base.Request{Method: base.GetParameter, URL: u, Header: base.Header{
			"CSeq": base.HeaderValue{strconv.Itoa(cseq)}, "Session": base.HeaderValue{session},
		}}
		b, err := req.Marshal()
		if err != nil {
			return
		}
		_ = r.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
		if _, err := r.nc.Write(b); err != nil {
			return
		}
	}
}

func (r *leanRTSPReader) received() uint64 { return r.bytes.Load() }
func (r *leanRTSPReader) close() {
	r.once.Do(func() { r.closed.Store(true); close(r.done); r.nc.Close() })
}

func ptrTo[T any](v T) *T { return &v }
