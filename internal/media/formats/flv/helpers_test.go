package flv

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"

	"github.com/vionet/vionet/internal/media/hub"
)

// readAll parses a whole FLV stream produced by a Writer.
func readAll(t *testing.T, b []byte) (Header, []Tag) {
	t.Helper()
	r := bytes.NewReader(b)
	h, err := ReadHeader(r)
	if err != nil {
		t.Fatalf("ReadHeader: %v", err)
	}
	var tags []Tag
	for {
		tag, err := ReadTag(r)
		if errors.Is(err, io.EOF) {
			return h, tags
		}
		if err != nil {
			t.Fatalf("ReadTag %d: %v", len(tags), err)
		}
		tags = append(tags, tag)
	}
}

// splitAVCC splits 4-byte length-prefixed NAL units.
func splitAVCC(t *testing.T, b []byte) [][]byte {
	t.Helper()
	var out [][]byte
	for len(b) > 0 {
		if len(b) < 4 {
			t.Fatalf("truncated AVCC length")
		}
		n := int(binary.BigEndian.Uint32(b))
		if n > len(b)-4 {
			t.Fatalf("AVCC length %d beyond %d bytes", n, len(b)-4)
		}
		out = append(out, b[4:4+n])
		b = b[4+n:]
	}
	return out
}

// nalus returns the NAL units of an Annex-B unit without access unit
// delimiters, as the Writer sends them.
func nalus(codec hub.Codec, data []byte) [][]byte {
	var out [][]byte
	it := annexB{rest: data}
	for n := it.next(); n != nil; n = it.next() {
		if (codec == hub.H264 && h264Type(n) == h264NALAUD) || (codec == hub.H265 && h265Type(n) == h265NALAUD) {
			continue
		}
		out = append(out, n)
	}
	return out
}

// parseHVCC returns the NAL units of an HEVCDecoderConfigurationRecord.
func parseHVCC(t *testing.T, b []byte) (vps, sps, pps []byte) {
	t.Helper()
	if len(b) < 23 || b[0] != 1 || b[21]&3 != 3 {
		t.Fatalf("bad HVCC header % x", b[:min(len(b), 23)])
	}
	n := int(b[22])
	b = b[23:]
	for range n {
		typ := b[0] & 0x3f
		cnt := int(binary.BigEndian.Uint16(b[1:]))
		b = b[3:]
		for range cnt {
			l := int(binary.BigEndian.Uint16(b))
			nal := b[2 : 2+l]
			b = b[2+l:]
			switch typ {
			case h265NALVPS:
				vps = nal
			case h265NALSPS:
				sps = nal
			case h265NALPPS:
				pps = nal
			}
		}
	}
	return vps, sps, pps
}

func requireTool(t *testing.T, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		t.Skipf("%s not installed", name)
	}
}

// aacFrames encodes one second of a sine with ffmpeg's AAC encoder and
// returns the AudioSpecificConfig and the raw frames.
func aacFrames(t *testing.T) ([]byte, mpeg4audio.ADTSPackets) {
	t.Helper()
	requireTool(t, "ffmpeg")
	out := filepath.Join(t.TempDir(), "a.aac")
	cmd := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=2",
		"-ac", "1", "-c:a", "aac", "-f", "adts", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, b)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var pkts mpeg4audio.ADTSPackets
	if err := pkts.Unmarshal(raw); err != nil {
		t.Fatal(err)
	}
	asc := mpeg4audio.AudioSpecificConfig{Type: pkts[0].Type, SampleRate: pkts[0].SampleRate, ChannelConfig: pkts[0].ChannelConfig}
	conf, err := asc.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return conf, pkts
}

// interleave merges video and audio units by timestamp.
func interleave(video, audio []hub.Unit) []hub.Unit {
	out := make([]hub.Unit, 0, len(video)+len(audio))
	i, j := 0, 0
	for i < len(video) || j < len(audio) {
		if j >= len(audio) || (i < len(video) && video[i].DTS <= audio[j].PTS) {
			out = append(out, video[i])
			i++
		} else {
			out = append(out, audio[j])
			j++
		}
	}
	return out
}

func aacUnits(track int, pkts mpeg4audio.ADTSPackets) []hub.Unit {
	units := make([]hub.Unit, len(pkts))
	for i, p := range pkts {
		ts := time.Duration(i) * mpeg4audio.SamplesPerAccessUnit * time.Second / time.Duration(p.SampleRate)
		units[i] = hub.Unit{Track: track, PTS: ts, DTS: ts, Data: p.AU}
	}
	return units
}

// probe runs ffprobe on a file and returns its JSON streams.
func probe(t *testing.T, args ...string) []byte {
	t.Helper()
	requireTool(t, "ffprobe")
	cmd := exec.Command("ffprobe", append([]string{"-v", "error", "-of", "json"}, args...)...)
	b, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("ffprobe %v: %v\n%s", args, err, ee.Stderr)
		}
		t.Fatalf("ffprobe %v: %v", args, err)
	}
	return b
}
