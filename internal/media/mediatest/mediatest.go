// Package mediatest holds small real media samples and helpers that feed them
// into the hub, for the tests and benchmarks of the media packages. The
// samples are 2 s of ffmpeg's testsrc, 320x240 at 25 fps with a keyframe every
// second, encoded by libx264 (baseline, no B-frames) and libx265, as Annex-B
// with access unit delimiters (which this package strips).
package mediatest

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"time"

	"github.com/vionet/vionet/internal/media/hub"
)

//go:embed testdata/sample.h264
var sampleH264 []byte

//go:embed testdata/sample.h265
var sampleH265 []byte

// Sample dimensions and rate.
const (
	Width  = 320
	Height = 240
	FPS    = 25
)

// Sample is a decoded-to-access-units copy of one embedded sample.
type Sample struct {
	Track hub.Track  // ID 0, with Config (parameter sets as Annex-B) and size
	Units []hub.Unit // one per frame, PTS = DTS = n/FPS, first unit a keyframe
}

// Load returns the sample for codec (hub.H264 or hub.H265). Each call returns
// fresh slices, so callers may keep them.
func Load(codec hub.Codec) Sample {
	var raw []byte
	switch codec {
	case hub.H264:
		raw = sampleH264
	case hub.H265:
		raw = sampleH265
	default:
		panic(fmt.Sprintf("mediatest: no sample for %v", codec))
	}
	s := Sample{Track: hub.Track{ID: 0, Codec: codec, ClockRate: 90000, Width: Width, Height: Height}}
	var cur [][]byte
	flush := func() {
		if len(cur) == 0 {
			return
		}
		n := len(s.Units)
		ts := time.Duration(n) * time.Second / FPS
		u := hub.Unit{Track: 0, PTS: ts, DTS: ts, Data: annexB(cur)}
		for _, nal := range cur {
			if isIRAP(codec, nal) {
				u.Keyframe = true
			}
		}
		s.Units = append(s.Units, u)
		cur = nil
	}
	for _, nal := range splitAnnexB(raw) {
		if len(nal) == 0 {
			continue
		}
		switch {
		case isAUD(codec, nal):
			flush()
			continue
		case isParamSet(codec, nal) && len(s.Units) == 0:
			s.Track.Config = append(s.Track.Config, annexB([][]byte{nal})...)
		}
		cur = append(cur, nal)
	}
	flush()
	return s
}

// Feed writes the sample's units to pub in a loop, paced at real time, with
// timestamps that keep increasing across loops, until ctx ends or loops
// passes are done (loops <= 0: forever). It returns the number of units written.
func Feed(ctx context.Context, pub *hub.Publisher, s Sample, loops int) int {
	start := time.Now()
	period := time.Duration(len(s.Units)) * time.Second / FPS
	n := 0
	for loop := 0; loops <= 0 || loop < loops; loop++ {
		for _, u := range s.Units {
			off := time.Duration(loop)*period + u.PTS
			if d := time.Until(start.Add(off)); d > 0 {
				select {
				case <-ctx.Done():
					return n
				case <-time.After(d):
				}
			} else if ctx.Err() != nil {
				return n
			}
			u.PTS, u.DTS = off, off
			u.Received = time.Time{}
			pub.Write(u)
			n++
		}
	}
	return n
}

func annexB(nals [][]byte) []byte {
	var b []byte
	for _, n := range nals {
		b = append(b, 0, 0, 0, 1)
		b = append(b, n...)
	}
	return b
}

func splitAnnexB(b []byte) [][]byte {
	var out [][]byte
	for {
		i := bytes.Index(b, []byte{0, 0, 1})
		if i < 0 {
			return out
		}
		b = b[i+3:]
		j := bytes.Index(b, []byte{0, 0, 1})
		if j < 0 {
			return append(out, trimZeros(b))
		}
		out = append(out, trimZeros(b[:j]))
		b = b[j:]
	}
}

func trimZeros(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	return b
}

func nalType(c hub.Codec, nal []byte) int {
	if c == hub.H265 {
		return int(nal[0]>>1) & 0x3f
	}
	return int(nal[0]) & 0x1f
}

func isAUD(c hub.Codec, nal []byte) bool {
	t := nalType(c, nal)
	return (c == hub.H264 && t == 9) || (c == hub.H265 && t == 35)
}

func isParamSet(c hub.Codec, nal []byte) bool {
	t := nalType(c, nal)
	return (c == hub.H264 && (t == 7 || t == 8)) || (c == hub.H265 && t >= 32 && t <= 34)
}

func isIRAP(c hub.Codec, nal []byte) bool {
	t := nalType(c, nal)
	return (c == hub.H264 && t == 5) || (c == hub.H265 && t >= 16 && t <= 21)
}
