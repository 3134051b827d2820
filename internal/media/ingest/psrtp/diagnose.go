package psrtp

import (
	"fmt"
	"time"

	"github.com/vionet/vionet/internal/media/formats/h26x"
	"github.com/vionet/vionet/internal/media/ingest/psrtp/send"
)

// The diagnosis turns what a session saw into the error that names the
// cause, so that an operator reading "stream failed" learns whether the
// device sent nothing, sent to the wrong SSRC, sent something other than PS,
// or never sent a keyframe.

func (c *ingest) where() string {
	if c.cfg.where != nil {
		return c.cfg.where()
	}
	return fmt.Sprintf("%v port %d", c.cfg.transport, c.cfg.port)
}

func (c *ingest) expected() string {
	if !c.cfg.hasExpect {
		return "any"
	}
	return send.FormatSSRC(c.cfg.expect)
}

func (c *ingest) errNoRTP() error {
	within := c.cfg.noRTP
	if c.wrong.n > 0 {
		return fmt.Errorf("%w: %d packets on %s carried SSRC %s from %v, expected %s (strict SSRC)",
			ErrWrongSSRC, c.wrong.n, c.where(), send.FormatSSRC(c.wrong.ssrc), c.wrong.from, c.expected())
	}
	if c.cfg.dialPending != nil {
		if to := c.cfg.dialPending(); to != "" {
			return fmt.Errorf("%w: %s: no connection within %v", ErrTCPConnect, to, within)
		}
	}
	var note string
	if c.cfg.unknownSeen != nil {
		if u, ok := c.cfg.unknownSeen(c.startAt); ok {
			if c.cfg.expectFrom.IsValid() {
				return fmt.Errorf("%w: no packets with SSRC %s on %s within %v, but %d with SSRC %s from %v",
					ErrWrongSSRC, c.expected(), c.where(), within, u.n, send.FormatSSRC(u.ssrc), u.from)
			}
			note = fmt.Sprintf(" (meanwhile unknown SSRC %s from %v)", send.FormatSSRC(u.ssrc), u.from)
		}
	}
	switch {
	case c.st.BadPT > 0:
		return fmt.Errorf("%w: %d RTP packets on %s with payload type %d, expected %d (PS)",
			ErrNotPS, c.st.BadPT, c.where(), c.badPT, payloadTypePS)
	case c.st.Invalid > 0:
		return fmt.Errorf("%w on %s within %v: only %d packets that are not RTP version 2%s",
			ErrNoRTP, c.where(), within, c.st.Invalid, note)
	case c.st.RTCP > 0:
		return fmt.Errorf("%w on %s within %v: only %d RTCP packets%s", ErrNoRTP, c.where(), within, c.st.RTCP, note)
	}
	return fmt.Errorf("%w at all on %s within %v (expected SSRC %s)%s", ErrNoRTP, c.where(), within, c.expected(), note)
}

func (c *ingest) errNotPS() error {
	return fmt.Errorf("%w: %d RTP packets (%d bytes) from %v without a pack header or PES start code",
		ErrNotPS, c.fed, c.st.Bytes, c.remote)
}

func (c *ingest) errStalled() error {
	return fmt.Errorf("%w: no RTP on %s for %v after %d packets and %d frames (last from %v)",
		ErrStalled, c.where(), c.cfg.noRTP, c.st.Packets, c.st.Frames, c.remote)
}

// errNoPublish explains why RTP arrived but the path was never published.
func (c *ingest) errNoPublish(stalled bool) error {
	span := c.now.Sub(c.first).Round(time.Millisecond)
	tail := ""
	if stalled {
		tail = fmt.Sprintf(", then RTP stopped for %v", c.cfg.noRTP)
	}
	if ds := c.dmx.Stats(); ds.Packs == 0 && ds.PES == 0 {
		return fmt.Errorf("%w%s", c.errNotPS(), tail)
	}
	v := c.video
	var why string
	switch {
	case v.frames == 0 && v.sawOther:
		why = "the video stream is not H.264/H.265 (PSM stream type)"
	case v.frames == 0:
		why = "no video frames"
	case v.keys == 0:
		why = fmt.Sprintf("%d %v frames, none a keyframe", v.frames, v.codec)
	default:
		need := "SPS and PPS"
		if v.codec == h26x.H265 {
			need = "VPS, SPS and PPS"
		}
		why = fmt.Sprintf("%d %v keyframes but no %s", v.keys, v.codec, need)
	}
	return fmt.Errorf("%w: %d RTP packets from %v in %v: %s%s", ErrNoKeyframe, c.st.Packets, c.remote, span, why, tail)
}
