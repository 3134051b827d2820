package psrtp

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/vionet/vionet/internal/media/formats/h26x"
	"github.com/vionet/vionet/internal/media/hub"
	"github.com/vionet/vionet/internal/media/ingest/psrtp/send"
	"github.com/vionet/vionet/internal/media/mediatest"
)

// A Program Stream written by another muxer: ffmpeg's VOB muxer packs the
// stream into 2048-byte sectors, so access units span PES packets and PES
// packets carry several access units, and it writes no stream map (the codec
// is sniffed). Each pack goes out as one RTP "frame" stamped with its SCR.
func TestFFmpegProgramStream(t *testing.T) {
	ffmpeg, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg not installed")
	}
	for _, tc := range []struct {
		codec  hub.Codec
		format string
	}{{hub.H264, "h264"}, {hub.H265, "hevc"}} {
		t.Run(tc.codec.String(), func(t *testing.T) {
			dir := t.TempDir()
			in, out := filepath.Join(dir, "in."+tc.format), filepath.Join(dir, "out.vob")
			var es []byte
			for _, u := range mediatest.Load(tc.codec).Units {
				es = append(es, u.Data...)
			}
			if err := os.WriteFile(in, es, 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(ffmpeg, "-hide_banner", "-loglevel", "error", "-f", tc.format, "-framerate", "25",
				"-i", in, "-c", "copy", "-f", "vob", "-y", out)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("ffmpeg: %v\n%s", err, b)
			}
			ps, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}

			h := newHub()
			r := sharedReceiver(t, h, nil)
			s := open(t, r, Request{Path: "ffmpeg", SSRC: "0200000001"})
			read := startReader(t, h, s.Path())
			write, _ := udpSender(t, r.SharedPort())
			p := send.NewPacketizer(ssrcOf(t, "0200000001"))
			var pkts [][]byte
			for _, pack := range splitPacks(ps) {
				pkts = append(pkts, p.Packetize(pack, uint32(scr(pack)))...)
			}
			sendStream(t, h, s, write, pkts)
			waitPublished(t, s)
			tracks, units := read(40)
			v := tracks[0]
			if v.Codec != tc.codec || v.Width != mediatest.Width || v.Height != mediatest.Height {
				t.Errorf("track %v %dx%d", v.Codec, v.Width, v.Height)
			}
			c := h26x.H264
			if tc.codec == hub.H265 {
				c = h26x.H265
			}
			if !h26x.FindParamSets(c, v.Config).Complete(c) {
				t.Errorf("Config %x lacks parameter sets", v.Config)
			}
			if len(units) < 40 || !units[0].Keyframe {
				t.Fatalf("%d units, first keyframe %v", len(units), len(units) > 0 && units[0].Keyframe)
			}
			keys := 0
			for i, u := range units {
				if i > 0 && u.DTS < units[i-1].DTS {
					t.Fatalf("unit %d: DTS %v after %v", i, u.DTS, units[i-1].DTS)
				}
				if u.Keyframe {
					keys++
				}
			}
			if keys < 2 {
				t.Errorf("%d keyframes in %d units", keys, len(units))
			}
		})
	}
}

// splitPacks cuts a Program Stream at its pack headers.
func splitPacks(ps []byte) [][]byte {
	start := []byte{0, 0, 1, 0xBA}
	var out [][]byte
	for len(ps) > 0 {
		i := bytes.Index(ps[4:], start)
		if i < 0 {
			return append(out, ps)
		}
		out = append(out, ps[:4+i])
		ps = ps[4+i:]
	}
	return out
}

// scr returns the system clock reference (90 kHz base) of an MPEG-2 pack.
func scr(b []byte) int64 {
	if len(b) < 10 || b[4]>>6 != 1 {
		return 0
	}
	return int64(b[4]>>3&7)<<30 | int64(b[4]&3)<<28 | int64(b[5])<<20 | int64(b[6]>>3)<<15 |
		int64(b[6]&3)<<13 | int64(b[7])<<5 | int64(b[8]>>3)
}
