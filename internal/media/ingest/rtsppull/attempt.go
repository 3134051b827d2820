package rtsppull

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/pion/rtp"

	"github.com/vionet/vionet/internal/media/hub"
)

// session is one connection to the RTSP server: it receives the chosen
// tracks and publishes them once a keyframe (or, without video, the
// first audio frame) arrives.
type session struct {
	src    *Source
	client *gortsplib.Client
	video  *videoIn
	audio  *audioIn

	// mu serializes the packet callbacks (gortsplib runs one reader per
	// UDP socket) and so the writes to the publisher.
	mu        sync.Mutex
	pub       *hub.Publisher
	published chan struct{}
	failed    chan error // a publish error ends the attempt
}

// attempt connects once and pulls until the connection ends; it returns
// whether it published and why it ended.
func (s *Source) attempt(ctx context.Context) (bool, error) {
	u, err := base.ParseURL(s.opts.URL)
	if err != nil {
		return false, fmt.Errorf("rtsppull: bad URL: %w", err)
	}
	c := &gortsplib.Client{
		Scheme:      u.Scheme,
		Host:        u.Host,
		ReadTimeout: s.opts.ReadTimeout,
		OnPacketsLost: func(lost uint64) {
			s.packetsLost.Add(lost)
		},
		OnDecodeError: func(error) {
			s.decodeErrors.Add(1)
		},
	}
	switch strings.ToLower(s.opts.Transport) {
	case "tcp":
		p := gortsplib.ProtocolTCP
		c.Protocol = &p
	case "udp":
		p := gortsplib.ProtocolUDP
		c.Protocol = &p
	case "", "auto":
	default:
		return false, fmt.Errorf("rtsppull: unknown transport %q", s.opts.Transport)
	}
	if err := c.Start(); err != nil {
		return false, classify(err)
	}
	defer c.Close()
	// Closing the client is what ends a blocking request when ctx ends.
	stop := context.AfterFunc(ctx, c.Close)
	defer stop()

	ss := &session{src: s, client: c, published: make(chan struct{}), failed: make(chan error, 1)}
	defer ss.unpublish()
	if err := ss.setup(u); err != nil {
		return false, err
	}
	if _, err := c.Play(nil); err != nil {
		return false, classify(err)
	}
	s.log.Info("rtsppull: playing", "transport", transportName(c))

	ended := make(chan error, 1)
	go func() { ended <- c.Wait() }()
	keyTimer := time.NewTimer(s.opts.KeyframeTimeout)
	defer keyTimer.Stop()
	published := false
	publishedCh := ss.published
	for {
		select {
		case <-ctx.Done():
			return published, ctx.Err()
		case err := <-ss.failed:
			return published, err
		case err := <-ended:
			if published {
				return true, fmt.Errorf("%w: %v", ErrEnded, err)
			}
			return false, classify(err)
		case <-publishedCh:
			published = true
			publishedCh = nil // fired once; a nil channel never does again
			keyTimer.Stop()
		case <-keyTimer.C:
			if !published {
				return false, ErrNoKeyframe
			}
		}
	}
}

// setup describes the stream, picks the first supported video and audio
// tracks and sets them up.
func (ss *session) setup(u *base.URL) error {
	c := ss.client
	desc, _, err := c.Describe(u)
	if err != nil {
		return classify(err)
	}
	if ss.video, err = newVideoIn(desc); err != nil {
		return err
	}
	if ss.audio, err = newAudioIn(desc); err != nil {
		return err
	}
	if ss.video == nil && ss.audio == nil {
		return fmt.Errorf("%w: %s", ErrNoSupportedTrack, describeFormats(desc))
	}
	if ss.video != nil {
		if _, err := c.Setup(desc.BaseURL, ss.video.media, 0, 0); err != nil {
			return classify(err)
		}
		ss.video.resetDTS()
		v := ss.video
		c.OnPacketRTP(v.media, v.format, func(p *rtp.Packet) { ss.onVideo(p) })
	}
	if ss.audio != nil {
		if _, err := c.Setup(desc.BaseURL, ss.audio.media, 0, 0); err != nil {
			return classify(err)
		}
		a := ss.audio
		c.OnPacketRTP(a.media, a.media.Formats[0], func(p *rtp.Packet) { ss.onAudio(p) })
	}
	return nil
}

func (ss *session) onVideo(p *rtp.Packet) {
	v := ss.video
	// The timestamp decoder must see every packet, and its first one must
	// start a frame whose PTS equals its DTS (an IDR or parameter set):
	// packets before that are dropped, and never reach the depacketizer.
	pts, ok := ss.client.PacketPTS(v.media, p)
	if !ok {
		return
	}
	au, err := v.decode(p)
	if err != nil {
		if !isIncomplete(err) {
			ss.src.decodeErrors.Add(1)
		}
		return
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	v.learnParams(au)
	key := v.isKeyframe(au)
	if ss.pub == nil {
		if !key || !v.ready() || !ss.publish() {
			return
		}
	}
	u, err := v.unit(au, pts, key)
	if err != nil {
		ss.src.decodeErrors.Add(1)
		ss.src.log.Debug("rtsppull: video unit dropped", "err", err)
		return
	}
	if u.Data != nil {
		ss.write(u)
	}
}

func (ss *session) onAudio(p *rtp.Packet) {
	a := ss.audio
	pts, ok := ss.client.PacketPTS(a.media, p)
	if !ok {
		return
	}
	frames, err := a.frames(p)
	if err != nil {
		if !isIncomplete(err) {
			ss.src.decodeErrors.Add(1)
		}
		return
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.pub == nil {
		// With video, publishing waits for its keyframe.
		if ss.video != nil || !ss.publish() {
			return
		}
	}
	clock := int64(a.track.ClockRate)
	for i, f := range frames {
		ts := ticksToDuration(pts+int64(i)*a.frameTicks, clock)
		// The client reuses its packet buffers: the hub needs its own copy.
		ss.write(hub.Unit{Track: audioTrackID, PTS: ts, DTS: ts, Data: append([]byte(nil), f...)})
	}
}

// publish creates the hub publisher with the tracks as now known. ss.mu
// must be held. It reports whether the publisher is up.
func (ss *session) publish() bool {
	var tracks []hub.Track
	if ss.video != nil {
		tracks = append(tracks, ss.video.track())
	}
	if ss.audio != nil {
		tracks = append(tracks, ss.audio.track)
	}
	pub, err := ss.src.opts.Hub.Publish(ss.src.opts.Path, tracks)
	if err != nil {
		select {
		case ss.failed <- fmt.Errorf("rtsppull: publish %s: %w", ss.src.opts.Path, err):
		default:
		}
		return false
	}
	ss.pub = pub
	ss.src.publishing.Store(true)
	ss.src.publishes.Add(1)
	ss.src.settle(nil)
	close(ss.published)
	ss.src.log.Info("rtsppull: publishing", "tracks", trackNames(tracks))
	return true
}

// write hands u to the hub. ss.mu must be held.
func (ss *session) write(u hub.Unit) {
	ss.pub.Write(u)
	ss.src.units.Add(1)
	ss.src.bytes.Add(uint64(len(u.Data)))
}

// unpublish closes the publisher, if any, once the client has stopped.
func (ss *session) unpublish() {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.pub != nil {
		ss.pub.Close()
		ss.pub = nil
		ss.src.publishing.Store(false)
	}
}

func transportName(c *gortsplib.Client) string {
	if t := c.Transport(); t != nil && t.Session != nil {
		return t.Session.Protocol.String()
	}
	return ""
}

func describeFormats(desc *description.Session) string {
	var names []string
	for _, m := range desc.Medias {
		for _, f := range m.Formats {
			names = append(names, f.Codec())
		}
	}
	if names == nil {
		return "no media"
	}
	return "stream has " + strings.Join(names, ", ")
}

func trackNames(ts []hub.Track) string {
	var names []string
	for _, t := range ts {
		s := t.Codec.String()
		if t.Width > 0 {
			s += fmt.Sprintf(" %dx%d", t.Width, t.Height)
		}
		names = append(names, s)
	}
	return strings.Join(names, ", ")
}

// redact hides the password and any token of a URL for logs.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	if q := u.Query(); q.Has("token") {
		q.Set("token", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}
