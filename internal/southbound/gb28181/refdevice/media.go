package refdevice

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/vionet/vionet/internal/media/formats/h26x"
	"github.com/vionet/vionet/internal/media/formats/mpegps"
	"github.com/vionet/vionet/internal/media/hub"
	"github.com/vionet/vionet/internal/media/ingest/psrtp/send"
	"github.com/vionet/vionet/internal/media/mediatest"
	"github.com/vionet/vionet/internal/southbound/gb28181/sdp"
)

// The video a device sends after an INVITE is what a camera sends: every frame in its own PS
// pack (system header and PSM before keyframes), cut into RTP packets of payload type 96 with
// the frame's 90 kHz timestamp and the marker on its last packet. The picture is the
// embedded 2 s mediatest sample (320x240, 25 fps, a keyframe a second), looped for as long
// as the session lasts with timestamps that keep increasing, paced at real time.

// Video codecs a device can stream (Config.VideoCodec).
const (
	CodecH264 = "H264"
	CodecH265 = "H265"
)

func (c *Config) validateMedia() []error {
	var errs []error
	if c.VideoCodec != CodecH264 && c.VideoCodec != CodecH265 {
		errs = append(errs, fmt.Errorf("video codec %q: want H264 or H265", c.VideoCodec))
	}
	for name, v := range map[string]string{"answer SSRC": c.AnswerSSRC, "send SSRC": c.SendSSRC} {
		if v != "" && !sdp.ValidSSRC(v) {
			errs = append(errs, fmt.Errorf("%s %q is not 10 digits", name, v))
		}
	}
	if c.InviteDelay < 0 {
		errs = append(errs, fmt.Errorf("invite delay %v is negative", c.InviteDelay))
	}
	return errs
}

// fGB is the f= media description of the answer (GB/T 28181 Appendix F): video, codec (2
// H.264, 5 H.265), resolution 1 (QCIF-class; the sample is 320x240), 25 fps, constant bit
// rate, 512 kbit/s; no audio.
func (c *Config) fGB() string {
	codec := 2
	if c.VideoCodec == CodecH265 {
		codec = 5
	}
	return fmt.Sprintf("v/%d/1/%d/1/512a///", codec, mediatest.FPS)
}

// sampleSource is the looped sample of one stream.
type sampleSource struct {
	codec  h26x.Codec
	sample mediatest.Sample
	mux    *mpegps.Muxer
	pkt    *send.Packetizer
	base   uint32 // random initial RTP timestamp (RFC 3550 5.1)
}

func newSampleSource(codec string, ssrc uint32) *sampleSource {
	s := &sampleSource{pkt: send.NewPacketizer(ssrc), base: randomUint32()}
	if codec == CodecH265 {
		s.codec, s.sample, s.mux = h26x.H265, mediatest.Load(hub.H265), mpegps.NewMuxer(mpegps.H265, mpegps.Unknown)
	} else {
		s.codec, s.sample, s.mux = h26x.H264, mediatest.Load(hub.H264), mpegps.NewMuxer(mpegps.H264, mpegps.Unknown)
	}
	return s
}

// run sends the sample, looped, through write (one RTP packet per call) until ctx ends or
// write fails, and returns why it stopped.
func (s *sampleSource) run(ctx context.Context, write func(pkt []byte) error) error {
	units := s.sample.Units
	if len(units) == 0 {
		return fmt.Errorf("refdevice: empty sample")
	}
	period := units[len(units)-1].PTS + time.Second/mediatest.FPS
	psCodec := mpegps.H264
	if s.codec == h26x.H265 {
		psCodec = mpegps.H265
	}
	start := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for loop := 0; ; loop++ {
		for _, u := range units {
			off := time.Duration(loop)*period + u.PTS
			if d := time.Until(start.Add(off)); d > 0 {
				timer.Reset(d)
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-timer.C:
				}
			} else if ctx.Err() != nil {
				return ctx.Err()
			}
			data := u.Data
			if u.Keyframe && !h26x.FindParamSets(s.codec, data).Complete(s.codec) {
				// Cameras repeat the parameter sets before every keyframe, so a receiver
				// can start at any of them.
				data = append(append([]byte(nil), s.sample.Track.Config...), data...)
			}
			ts := int64(off * 90000 / time.Second)
			ps := s.mux.Write(mpegps.Frame{Codec: psCodec, PTS: ts, DTS: ts, Data: data, Keyframe: u.Keyframe})
			for _, p := range s.pkt.Packetize(ps, s.base+uint32(ts)) {
				if err := write(p); err != nil {
					return err
				}
			}
		}
	}
}

func randomUint32() uint32 {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return binary.BigEndian.Uint32(b[:])
}
