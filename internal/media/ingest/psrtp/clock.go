package psrtp

import "time"

// Timestamps. Frames carry 33-bit 90 kHz PES timestamps (PTS/DTS); frames
// without one fall back to the 32-bit 90 kHz RTP timestamp of the packet
// they arrived in, shifted to line up with the last PES timestamp. Both are
// unwrapped into one 64-bit counter ("extended" ticks), so output keeps
// increasing across the 33-bit PTS wrap (26.5 h) and the 32-bit RTP wrap
// (13.3 h). A jump of more than maxJump either way (a camera restarting its
// clock) is treated as a discontinuity: output continues one frame step
// after the last value instead of jumping.
const (
	maxJump  = 10 * 90000 // 10 s
	jumpStep = 3600       // 40 ms, one frame at 25 fps
)

type clock struct {
	started bool
	ext     int64 // last extended value (DTS domain)
	base    int64 // extended value that maps to output 0

	rtpStarted bool
	rtpExt     int64 // last extended RTP timestamp
	rtpOff     int64 // PES domain = RTP domain + rtpOff
	rtpOffSet  bool
}

// delta33 returns the signed difference a-b of two 33-bit values.
func delta33(a, b int64) int64 {
	d := (a - b) & (1<<33 - 1)
	if d >= 1<<32 {
		d -= 1 << 33
	}
	return d
}

func (c *clock) extendRTP(ts uint32) int64 {
	if !c.rtpStarted {
		c.rtpStarted, c.rtpExt = true, int64(ts)
		return c.rtpExt
	}
	c.rtpExt += int64(int32(ts - uint32(c.rtpExt)))
	return c.rtpExt
}

// frame maps a frame's PES PTS/DTS (-1 when absent) or, without PTS, its
// RTP timestamp to output ticks relative to the first frame.
func (c *clock) frame(pts, dts int64, rtpTS uint32) (outPTS, outDTS int64) {
	rtp := c.extendRTP(rtpTS)
	var d, p int64
	if pts >= 0 {
		if dts < 0 {
			dts = pts
		}
		if !c.started {
			c.started, c.ext, c.base = true, dts, dts
		}
		d = c.ext + delta33(dts, c.ext)
		p = d + delta33(pts, dts)
		c.rtpOff, c.rtpOffSet = d-rtp, true
	} else {
		if !c.rtpOffSet {
			c.rtpOff, c.rtpOffSet = 0, true
			if c.started {
				c.rtpOff = c.ext - rtp
			}
		}
		d = rtp + c.rtpOff
		p = d
		if !c.started {
			c.started, c.ext, c.base = true, d, d
		}
	}
	if jump := d - c.ext; jump > maxJump || jump < -maxJump {
		c.base += jump - jumpStep
	}
	c.ext = d
	return p - c.base, d - c.base
}

// ticks converts 90 kHz ticks to a duration (exactly, without overflow for
// any realistic stream age).
func ticks(t int64) time.Duration { return time.Duration(t * 100000 / 9) }
