package psrtp

import (
	"bytes"
	"fmt"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"

	"github.com/vionet/vionet/internal/media/formats/h26x"
	"github.com/vionet/vionet/internal/media/formats/mpegps"
	"github.com/vionet/vionet/internal/media/hub"
)

// Track IDs of a published path.
const (
	videoTrack = 0
	audioTrack = 1
)

// videoState is what is learnt about the video stream before publishing.
type videoState struct {
	codec    h26x.Codec
	params   h26x.ParamSets // latest parameter sets seen (copies)
	frames   uint64         // H.264/H.265 frames seen before publishing
	keys     uint64         // of which keyframes
	sawOther bool           // a video stream the PSM declares as another codec
	warned   bool           // codec change after publishing was logged
}

// merge keeps the latest parameter sets of each kind found in an AU.
func (v *videoState) merge(p h26x.ParamSets) {
	p = p.Clone()
	if p.VPS != nil {
		v.params.VPS = p.VPS
	}
	if p.SPS != nil {
		v.params.SPS = p.SPS
	}
	if p.PPS != nil {
		v.params.PPS = p.PPS
	}
}

func (c *ingest) frame(f mpegps.Frame) {
	switch f.Codec {
	case mpegps.H264, mpegps.H265:
		c.videoFrame(f)
	case mpegps.G711A, mpegps.G711U, mpegps.AAC:
		c.audioFrame(f)
	default:
		if f.StreamID >= 0xE0 && f.StreamID <= 0xEF {
			c.video.sawOther = true
		}
		c.st.DroppedFrames++
	}
}

func (c *ingest) videoFrame(f mpegps.Frame) {
	codec := h26x.H264
	if f.Codec == mpegps.H265 {
		codec = h26x.H265
	}
	key := h26x.IsKeyframe(codec, f.Data)
	if c.pub == nil {
		c.video.frames++
		if codec != c.video.codec {
			c.video.codec, c.video.params = codec, h26x.ParamSets{}
		}
		c.video.merge(h26x.FindParamSets(codec, f.Data))
		if !key {
			c.st.DroppedFrames++
			return
		}
		c.video.keys++
		if !c.video.params.Complete(codec) {
			c.st.DroppedFrames++
			return
		}
		if err := c.publish(); err != nil {
			c.fatal = err
			c.st.DroppedFrames++
			return
		}
		c.needKey = false
	}
	if codec != c.video.codec {
		if !c.video.warned {
			c.video.warned = true
			c.cfg.log.Warn("psrtp: video codec changed after publishing; dropping its frames",
				"path", c.cfg.path, "published", c.video.codec, "now", codec)
		}
		c.st.DroppedFrames++
		return
	}
	if c.needKey && !key {
		c.st.DroppedFrames++
		return
	}
	c.needKey = false
	rtpTS := c.curRTP
	if c.hasPrev {
		// The demuxer completes an access unit only once the next one has
		// started (unbounded PES) or its whole PES has arrived (bounded PES),
		// so it comes out while the packets of the next frame, with the next
		// timestamp, are being fed: it belongs to the timestamp before. (With
		// audio packets interleaved this can be an audio timestamp, a frame
		// off at most; stamp keeps the output monotonic.)
		rtpTS = c.prevRTP
	}
	pts, dts := c.stamp(videoTrack, f, rtpTS)
	c.write(hub.Unit{Track: videoTrack, PTS: pts, DTS: dts, Keyframe: key, Data: f.Data})
}

func (c *ingest) write(u hub.Unit) {
	u.Received = c.now
	c.pub.Write(u)
	c.st.Frames++
}

// stamp returns a frame's timestamps, kept non-decreasing per track.
func (c *ingest) stamp(track int, f mpegps.Frame, rtpTS uint32) (pts, dts time.Duration) {
	p, d := c.clk.frame(f.PTS, f.DTS, rtpTS)
	pts, dts = ticks(p), ticks(d)
	if c.wrote[track] && dts < c.last[track] {
		dts = c.last[track]
	}
	pts = max(pts, dts)
	c.last[track], c.wrote[track] = dts, true
	return pts, dts
}

func (c *ingest) publish() error {
	v := &c.video
	w, h, err := h26x.Dimensions(v.codec, v.params.SPS[0])
	if err != nil {
		// Still publish: players read the size from the in-band SPS.
		c.cfg.log.Warn("psrtp: cannot read picture size", "path", c.cfg.path, "err", err)
	}
	hc := hub.H264
	if v.codec == h26x.H265 {
		hc = hub.H265
	}
	tracks := []hub.Track{{ID: videoTrack, Codec: hc, ClockRate: 90000, Width: w, Height: h, Config: v.params.AnnexB()}}
	if c.audio.known() {
		tracks = append(tracks, hub.Track{ID: audioTrack, Codec: c.audio.codec, ClockRate: c.audio.rate, Config: c.audio.config})
		c.audio.track = true
	}
	pub, err := c.cfg.hub.Publish(c.cfg.path, tracks)
	if err != nil {
		return fmt.Errorf("psrtp: publish %s: %w", c.cfg.path, err)
	}
	c.pub = pub
	c.st.Published = true
	c.cfg.log.Info("psrtp: stream up", "path", c.cfg.path, "codec", hc, "width", w, "height", h,
		"audio", c.audio.codec, "ssrc", c.st.SSRC, "from", c.remote, "transport", c.cfg.transport,
		"after", c.now.Sub(c.startAt).Round(time.Millisecond))
	if c.cfg.onPublish != nil {
		c.cfg.onPublish()
	}
	return nil
}

// audioState is the audio stream: learnt from the PSM and the first audio
// frames before publishing, fixed afterwards.
type audioState struct {
	codec  hub.Codec // 0: none
	rate   int
	config []byte // AAC AudioSpecificConfig
	track  bool   // part of the published tracks
}

// known reports whether the audio track can be published (AAC needs its
// configuration, which only an ADTS header provides).
func (a *audioState) known() bool {
	return a.codec != 0 && (a.codec != hub.AAC || a.config != nil)
}

// observe learns the audio codec from a frame seen before publishing.
func (a *audioState) observe(f mpegps.Frame) {
	switch f.Codec {
	case mpegps.G711A:
		a.codec, a.rate, a.config = hub.G711A, 8000, nil
	case mpegps.G711U:
		a.codec, a.rate, a.config = hub.G711U, 8000, nil
	case mpegps.AAC:
		var pkts mpeg4audio.ADTSPackets
		if pkts.Unmarshal(f.Data) != nil || len(pkts) == 0 {
			return
		}
		p := pkts[0]
		conf := mpeg4audio.AudioSpecificConfig{Type: p.Type, SampleRate: p.SampleRate, ChannelConfig: p.ChannelConfig, ChannelCount: p.ChannelCount}
		b, err := conf.Marshal()
		if err != nil {
			return
		}
		a.codec, a.rate, a.config = hub.AAC, p.SampleRate, b
	}
}

// sniffPSM learns a G.711 audio stream from a Program Stream Map that lies
// whole inside one RTP payload (cameras put it in the first packet of each
// keyframe), so the audio track is published even when no audio frame came
// before the first keyframe. AAC is only noted: its configuration must come
// from an ADTS header.
func (a *audioState) sniffPSM(b []byte) {
	i := bytes.Index(b, []byte(psmStartCode))
	if i < 0 || i+6 > len(b) {
		return
	}
	n := int(b[i+4])<<8 | int(b[i+5])
	if i+6+n <= len(b) {
		a.fromPSM(b[i+6 : i+6+n])
	}
}

// psmStartCode starts a program_stream_map.
const psmStartCode = "\x00\x00\x01\xBC"

func (a *audioState) fromPSM(p []byte) {
	if len(p) < 10 {
		return
	}
	i := 4 + (int(p[2])<<8 | int(p[3]))
	if i+2 > len(p)-4 {
		return
	}
	end := i + 2 + (int(p[i])<<8 | int(p[i+1]))
	i += 2
	if end > len(p)-4 {
		return
	}
	for i+4 <= end {
		st, id := p[i], p[i+1]
		i += 4 + (int(p[i+2])<<8 | int(p[i+3]))
		if id < 0xC0 || id > 0xDF {
			continue
		}
		switch st {
		case 0x90:
			a.codec, a.rate = hub.G711A, 8000
		case 0x91:
			a.codec, a.rate = hub.G711U, 8000
		case 0x0F:
			a.codec = hub.AAC // rate and config from the first ADTS frame
		default:
			continue
		}
		return
	}
}

func (c *ingest) audioFrame(f mpegps.Frame) {
	if c.pub == nil {
		c.audio.observe(f)
		c.st.DroppedFrames++
		return
	}
	hc := hub.G711A
	switch f.Codec {
	case mpegps.G711U:
		hc = hub.G711U
	case mpegps.AAC:
		hc = hub.AAC
	}
	if !c.audio.track || hc != c.audio.codec {
		c.st.DroppedFrames++
		return
	}
	pts, dts := c.stamp(audioTrack, f, c.curRTP)
	if hc != hub.AAC {
		c.write(hub.Unit{Track: audioTrack, PTS: pts, DTS: dts, Data: f.Data})
		return
	}
	// AAC travels as ADTS in PS; the hub wants raw access units, possibly
	// several per PES, each 1024 samples after the previous one.
	var pkts mpeg4audio.ADTSPackets
	if err := pkts.Unmarshal(f.Data); err != nil {
		c.st.DroppedFrames++
		return
	}
	for i, p := range pkts {
		off := time.Duration(i) * 1024 * time.Second / time.Duration(p.SampleRate)
		c.write(hub.Unit{Track: audioTrack, PTS: pts + off, DTS: dts + off, Data: p.AU})
		c.last[audioTrack] = dts + off
	}
}
