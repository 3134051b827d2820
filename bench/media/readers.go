package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bluenviron/gortmplib"
	"github.com/bluenviron/gortmplib/pkg/message"
	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/pion/rtp"
)

// A reader is one viewer connection that only counts what it receives: no depacketising,
// no decoding, so that this process (which shares the machine's cores with the server)
// stays cheap per reader.
type reader interface {
	// received is the byte count so far (media bytes as the protocol carries them: RTP
	// packets for RTSP, bytes off the socket for RTMP and HTTP-FLV).
	received() uint64
	// failed is the error that ended the reader, or nil while it runs.
	failed() error
	close()
}

// dialer opens one reader of a protocol on a URL.
type dialer func(ctx context.Context, rawURL string) (reader, error)

// defaultProtocols are the reader kinds run by default, in order. "rtsp-lean" is a
// cheaper RTSP reader (rtsp_lean.go), run on request.
const defaultProtocols = "rtsp,rtmp,httpflv"

// dialerFor returns the dialer of proto (nil for an unknown one). HTTP-FLV readers use
// flv, a client of their own.
func dialerFor(proto string, flv *http.Client) dialer {
	switch proto {
	case "rtsp":
		return dialRTSP
	case "rtsp-lean":
		return dialRTSPLean
	case "rtmp":
		return dialRTMP
	case "httpflv":
		return func(ctx context.Context, rawURL string) (reader, error) { return dialFLV(ctx, flv, rawURL) }
	}
	return nil
}

// urlFor picks the viewer URL of proto.
func urlFor(proto string, u urls) string {
	switch proto {
	case "rtsp", "rtsp-lean":
		return u.RTSP
	case "rtmp":
		return u.RTMP
	}
	return u.HTTPFLV
}

// endState is what every reader records when it ends.
type endState struct {
	once sync.Once
	err  atomic.Pointer[error]
}

func (e *endState) end(err error) {
	e.once.Do(func() {
		if err == nil {
			err = io.EOF
		}
		e.err.Store(&err)
	})
}

func (e *endState) failed() error {
	if p := e.err.Load(); p != nil {
		return *p
	}
	return nil
}

// rtspReader plays over RTSP with TCP interleaving (gortsplib client).
type rtspReader struct {
	endState
	c       *gortsplib.Client
	bytes   atomic.Uint64
	packets atomic.Uint64
	lost    atomic.Uint64 // RTP packets missing from the sequence (server-side drops)
	closed  atomic.Bool
}

func dialRTSP(ctx context.Context, rawURL string) (reader, error) {
	r := &rtspReader{}
	if err := r.start(ctx, rawURL, func(*rtp.Packet) {}); err != nil {
		return nil, err
	}
	return r, nil
}

// start connects, DESCRIBEs, SETUPs every media and PLAYs; onPacket sees every RTP packet
// after it was counted.
func (r *rtspReader) start(ctx context.Context, rawURL string, onPacket func(*rtp.Packet)) error {
	u, err := base.ParseURL(rawURL)
	if err != nil {
		return err
	}
	tcp := gortsplib.ProtocolTCP
	r.c = &gortsplib.Client{Scheme: u.Scheme, Host: u.Host, Protocol: &tcp, ReadTimeout: 10 * time.Second,
		OnPacketsLost: func(n uint64) { r.lost.Add(n) }, // counted, not logged
		OnDecodeError: func(error) {},
	}
	if dl, ok := ctx.Deadline(); ok {
		r.c.ReadTimeout = max(time.Until(dl), time.Second)
	}
	if err := r.c.Start(); err != nil {
		return err
	}
	// ctx bounds the set-up: its end closes the client. Once PLAY succeeded, a ctx that
	// ended meanwhile still counts as a failed set-up (the client is being closed).
	stop := context.AfterFunc(ctx, r.c.Close)
	desc, _, err := r.c.Describe(u)
	if err != nil {
		r.c.Close()
		return fmt.Errorf("describe: %w", err)
	}
	if err := r.c.SetupAll(desc.BaseURL, desc.Medias); err != nil {
		r.c.Close()
		return fmt.Errorf("setup: %w", err)
	}
	r.c.OnPacketRTPAny(func(_ *description.Media, _ format.Format, p *rtp.Packet) {
		// 4 bytes of interleaved framing + the RTP packet as sent.
		r.bytes.Add(uint64(4 + p.MarshalSize()))
		r.packets.Add(1)
		onPacket(p)
	})
	if _, err := r.c.Play(nil); err != nil {
		r.c.Close()
		return fmt.Errorf("play: %w", err)
	}
	if !stop() {
		r.c.Close()
		return fmt.Errorf("play: %w", ctx.Err())
	}
	go func() {
		err := r.c.Wait()
		if r.closed.Load() {
			err = errClosed
		}
		r.end(err)
	}()
	return nil
}

var errClosed = errors.New("closed by the benchmark")

func (r *rtspReader) received() uint64    { return r.bytes.Load() }
func (r *rtspReader) lostPackets() uint64 { return r.lost.Load() }
func (r *rtspReader) close()              { r.closed.Store(true); r.c.Close() }

// rtmpReader plays over RTMP (gortmplib client) and reads messages without decoding
// the media in them (the message layer answers acknowledgements and pings).
type rtmpReader struct {
	endState
	c      *gortmplib.Client
	closed atomic.Bool
}

func dialRTMP(ctx context.Context, rawURL string) (reader, error) {
	r := &rtmpReader{}
	if err := r.start(ctx, rawURL); err != nil {
		return nil, err
	}
	go func() { r.end(r.loop(func(message.Message) {})) }()
	return r, nil
}

// start connects and plays. The set-up is bounded by a deadline on the connection taken
// from ctx, not by ctx itself: gortmplib's Client closes the connection when its context
// ends, and a context ending just as Initialize returns could close a reader that has
// started.
func (r *rtmpReader) start(ctx context.Context, rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return err
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(15 * time.Second)
	}
	var nc net.Conn
	r.c = &gortmplib.Client{URL: u, DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{Deadline: deadline}).DialContext(ctx, network, addr)
		if err == nil {
			_ = c.SetDeadline(deadline)
			nc = c
		}
		return c, err
	}}
	if err := r.c.Initialize(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	return nc.SetDeadline(time.Time{})
}

// loop reads messages until the connection ends, with a 10 s read deadline renewed once a second.
func (r *rtmpReader) loop(onMsg func(message.Message)) error {
	conn := r.c.NetConn()
	var renewed time.Time
	for {
		if now := time.Now(); now.Sub(renewed) > time.Second {
			_ = conn.SetReadDeadline(now.Add(10 * time.Second))
			renewed = now
		}
		msg, err := r.c.Read()
		if err != nil {
			if r.closed.Load() {
				return errClosed
			}
			return err
		}
		onMsg(msg)
	}
}

func (r *rtmpReader) received() uint64 { return r.c.BytesReceived() }
func (r *rtmpReader) close()           { r.closed.Store(true); r.c.Close() }

// flvReader is a plain HTTP GET of the HTTP-FLV URL, reading the body in 32 KiB chunks.
type flvReader struct {
	endState
	body   io.ReadCloser
	cancel context.CancelFunc
	bytes  atomic.Uint64
	closed atomic.Bool
}

// newFLVClient is the HTTP client of the HTTP-FLV readers: one connection per reader, no
// pool limits, no compression.
func newFLVClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		DisableKeepAlives:  true,
		DisableCompression: true,
		DialContext:        (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
	}}
}

func dialFLV(ctx context.Context, hc *http.Client, rawURL string) (reader, error) {
	r := &flvReader{}
	if err := r.start(ctx, hc, rawURL); err != nil {
		return nil, err
	}
	go func() {
		buf := make([]byte, 32<<10)
		for {
			n, err := r.body.Read(buf)
			r.bytes.Add(uint64(n))
			if err != nil {
				if r.closed.Load() {
					err = errClosed
				}
				r.end(err)
				return
			}
		}
	}()
	return r, nil
}

// start sends the GET and checks the status. ctx bounds the set-up only: the body is read
// under a context of the reader's own, cancelled by close.
func (r *flvReader) start(ctx context.Context, hc *http.Client, rawURL string) error {
	rctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, rawURL, nil)
	if err != nil {
		cancel()
		return err
	}
	stop := context.AfterFunc(ctx, cancel)
	res, err := hc.Do(req)
	stop()
	if err != nil {
		cancel()
		return err
	}
	if res.StatusCode != http.StatusOK {
		res.Body.Close()
		cancel()
		return fmt.Errorf("GET: %s", res.Status)
	}
	r.body, r.cancel = res.Body, cancel
	return nil
}

func (r *flvReader) received() uint64 { return r.bytes.Load() }
func (r *flvReader) close()           { r.closed.Store(true); r.cancel(); r.body.Close() }
