package flv

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/bluenviron/gortmplib/pkg/amf0"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"

	"github.com/vionet/vionet/internal/media/hub"
	"github.com/vionet/vionet/internal/media/mediatest"
)

type ffStreams struct {
	Streams []struct {
		CodecType  string `json:"codec_type"`
		CodecName  string `json:"codec_name"`
		Width      int    `json:"width"`
		Height     int    `json:"height"`
		SampleRate string `json:"sample_rate"`
		Channels   int    `json:"channels"`
		NbFrames   string `json:"nb_read_frames"`
	} `json:"streams"`
}

func writeFile(t *testing.T, tracks []hub.Track, units []hub.Unit) string {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, tracks)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range units {
		if err := w.WriteUnit(u); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(t.TempDir(), "out.flv")
	if err := os.WriteFile(p, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func probeFile(t *testing.T, p string) ffStreams {
	t.Helper()
	var s ffStreams
	b := probe(t, "-count_frames", "-show_streams", p)
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return s
}

// ffmpeg decodes the H.264 FLV: right codec, size and every frame.
func TestH264FFprobe(t *testing.T) {
	s := mediatest.Load(hub.H264)
	p := writeFile(t, []hub.Track{s.Track}, s.Units)
	got := probeFile(t, p)
	if len(got.Streams) != 1 {
		t.Fatalf("streams: %+v", got.Streams)
	}
	st := got.Streams[0]
	if st.CodecName != "h264" || st.Width != 320 || st.Height != 240 || st.NbFrames != "50" {
		t.Fatalf("stream: %+v", st)
	}
}

// H.264 with AAC and with G.711 A/µ-law: ffprobe sees both streams.
func TestAudioFFprobe(t *testing.T) {
	v := mediatest.Load(hub.H264)
	conf, pkts := aacFrames(t)
	cases := []struct {
		name      string
		track     hub.Track
		units     []hub.Unit
		codec     string
		rate      string
		nbFrames  string
		wantAudio bool
	}{
		{"aac", hub.Track{ID: 1, Codec: hub.AAC, ClockRate: 48000, Config: conf}, aacUnits(1, pkts), "aac", "48000", "", true},
		{"alaw", hub.Track{ID: 1, Codec: hub.G711A, ClockRate: 8000}, g711Units(1), "pcm_alaw", "8000", "", true},
		{"mulaw", hub.Track{ID: 1, Codec: hub.G711U, ClockRate: 8000}, g711Units(1), "pcm_mulaw", "8000", "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := writeFile(t, []hub.Track{v.Track, c.track}, interleave(v.Units, c.units))
			got := probeFile(t, p)
			if len(got.Streams) != 2 {
				t.Fatalf("streams: %+v", got.Streams)
			}
			var audio, video bool
			for _, st := range got.Streams {
				switch st.CodecType {
				case "video":
					video = st.CodecName == "h264" && st.Width == 320 && st.Height == 240
				case "audio":
					audio = st.CodecName == c.codec && st.SampleRate == c.rate && st.Channels == 1
				}
			}
			if !audio || !video {
				t.Fatalf("streams: %+v", got.Streams)
			}
		})
	}
}

// g711Units makes 2 s of 20 ms G.711 frames (the codec does not matter to
// the container).
func g711Units(track int) []hub.Unit {
	units := make([]hub.Unit, 100)
	for i := range units {
		ts := time.Duration(i) * 20 * time.Millisecond
		units[i] = hub.Unit{Track: track, PTS: ts, DTS: ts, Data: bytes.Repeat([]byte{0xd5}, 160)}
	}
	return units
}

// Round trip through ReadTag: header flags, metadata, sequence headers,
// NAL units, timestamps, keyframe flags.
func TestRoundTrip(t *testing.T) {
	for _, codec := range []hub.Codec{hub.H264, hub.H265} {
		t.Run(codec.String(), func(t *testing.T) {
			s := mediatest.Load(codec)
			var buf bytes.Buffer
			w, err := NewWriter(&buf, []hub.Track{s.Track})
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range s.Units {
				if err := w.WriteUnit(u); err != nil {
					t.Fatal(err)
				}
			}
			if w.Skipped() != 0 {
				t.Fatalf("skipped %d", w.Skipped())
			}
			h, tags := readAll(t, buf.Bytes())
			if !h.Video || h.Audio {
				t.Fatalf("header %+v", h)
			}
			if len(tags) != 2+len(s.Units) {
				t.Fatalf("%d tags, want %d", len(tags), 2+len(s.Units))
			}
			checkMetadata(t, tags[0], codec)
			seq, err := ParseVideo(tags[1].Data)
			if err != nil || !seq.Config || seq.Codec != codec || !seq.Keyframe {
				t.Fatalf("sequence header %+v %v", seq, err)
			}
			cfg := parseConfig(codec, s.Track.Config)
			if codec == hub.H265 {
				vps, sps, pps := parseHVCC(t, seq.Payload)
				if !bytes.Equal(vps, cfg.vps[0]) || !bytes.Equal(sps, cfg.sps[0]) || !bytes.Equal(pps, cfg.pps[0]) {
					t.Fatal("HVCC parameter sets differ from the track config")
				}
				var sp h265.SPS
				if err := sp.Unmarshal(sps); err != nil || sp.Width() != 320 || sp.Height() != 240 {
					t.Fatalf("SPS %v %dx%d", err, sp.Width(), sp.Height())
				}
			}
			for i, u := range s.Units {
				tag := tags[2+i]
				v, err := ParseVideo(tag.Data)
				if err != nil || v.Config || v.Codec != codec || v.Keyframe != u.Keyframe || v.CTS != 0 {
					t.Fatalf("unit %d: %+v %v", i, v, err)
				}
				if want := uint32(u.DTS / time.Millisecond); tag.Timestamp != want {
					t.Fatalf("unit %d: ts %d, want %d", i, tag.Timestamp, want)
				}
				got := splitAVCC(t, v.Payload)
				if !slices.EqualFunc(got, nalus(codec, u.Data), bytes.Equal) {
					t.Fatalf("unit %d: NAL units differ", i)
				}
			}
		})
	}
}

func checkMetadata(t *testing.T, tag Tag, codec hub.Codec) {
	t.Helper()
	if tag.Type != TagScript {
		t.Fatalf("first tag type %d", tag.Type)
	}
	d, err := amf0.Unmarshal(tag.Data)
	if err != nil || len(d) != 2 || d[0] != "onMetaData" {
		t.Fatalf("metadata %v %v", d, err)
	}
	arr, ok := d[1].(amf0.ECMAArray)
	if !ok {
		t.Fatalf("metadata value %T", d[1])
	}
	m := amf0.Object(arr)
	wantID := 7.0
	if codec == hub.H265 {
		wantID = float64('h'<<24 | 'v'<<16 | 'c'<<8 | '1')
	}
	for k, want := range map[string]float64{"width": 320, "height": 240, "videocodecid": wantID} {
		v, ok := m.Get(k)
		if !ok || v != want {
			t.Fatalf("metadata %s = %v, want %v", k, v, want)
		}
	}
}

// H.265 in Enhanced FLV cannot be read by ffmpeg 5.1, so the bitstream is
// taken back out with ReadTag and decoded by ffmpeg as raw H.265.
func TestH265Decodes(t *testing.T) {
	requireTool(t, "ffprobe")
	s := mediatest.Load(hub.H265)
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, []hub.Track{s.Track})
	for _, u := range s.Units[5:] { // join mid-GOP: output starts at the next keyframe
		if err := w.WriteUnit(u); err != nil {
			t.Fatal(err)
		}
	}
	_, tags := readAll(t, buf.Bytes())
	var annexb []byte
	frames := 0
	for _, tag := range tags[1:] {
		v, err := ParseVideo(tag.Data)
		if err != nil {
			t.Fatal(err)
		}
		if v.Config {
			vps, sps, pps := parseHVCC(t, v.Payload)
			for _, n := range [][]byte{vps, sps, pps} {
				annexb = append(append(annexb, 0, 0, 0, 1), n...)
			}
			continue
		}
		if frames == 0 && !v.Keyframe {
			t.Fatal("first frame is not a keyframe")
		}
		frames++
		for _, n := range splitAVCC(t, v.Payload) {
			annexb = append(append(annexb, 0, 0, 0, 1), n...)
		}
	}
	if frames != 25 || w.Skipped() != 20 {
		t.Fatalf("%d frames, %d skipped", frames, w.Skipped())
	}
	p := filepath.Join(t.TempDir(), "out.h265")
	if err := os.WriteFile(p, annexb, 0o600); err != nil {
		t.Fatal(err)
	}
	got := probeFile(t, p)
	if len(got.Streams) != 1 || got.Streams[0].CodecName != "hevc" || got.Streams[0].Width != 320 || got.Streams[0].NbFrames != "25" {
		t.Fatalf("streams %+v", got.Streams)
	}
}

// Without Track.Config the parameter sets come from the first keyframe,
// and a keyframe with different parameter sets sends a new sequence
// header. Units without NAL units are skipped.
func TestInbandParameterSets(t *testing.T) {
	s := mediatest.Load(hub.H264)
	tr := s.Track
	tr.Config = nil
	tr.Width, tr.Height = 0, 0
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, []hub.Track{tr})
	if err := w.WriteHeader(); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteUnit(hub.Unit{Keyframe: true, Data: []byte{1, 2, 3}}); err != nil {
		t.Fatal(err)
	}
	for _, u := range s.Units {
		if err := w.WriteUnit(u); err != nil {
			t.Fatal(err)
		}
	}
	// A second "stream" whose SPS differs (level byte changed).
	changed := bytes.Clone(s.Units[0].Data)
	sps := bytes.Index(changed, []byte{0, 0, 1, 0x67}) + 3
	changed[sps+3]++
	last := s.Units[len(s.Units)-1].DTS
	if err := w.WriteUnit(hub.Unit{Keyframe: true, DTS: last + 40*time.Millisecond, PTS: last + 40*time.Millisecond, Data: changed}); err != nil {
		t.Fatal(err)
	}
	_, tags := readAll(t, buf.Bytes())
	var configs, frames int
	for _, tag := range tags[1:] {
		v, err := ParseVideo(tag.Data)
		if err != nil {
			t.Fatal(err)
		}
		if v.Config {
			configs++
			if configs == 1 && frames != 0 {
				t.Fatal("frame before the first sequence header")
			}
		} else {
			frames++
		}
	}
	if configs != 2 || frames != len(s.Units)+1 || w.Skipped() != 1 {
		t.Fatalf("%d configs, %d frames, %d skipped", configs, frames, w.Skipped())
	}
	if got := probeFile(t, writeFile(t, []hub.Track{tr}, s.Units)); got.Streams[0].Width != 320 {
		t.Fatalf("streams %+v", got.Streams)
	}
}

// Timestamps are relative to the first unit and never go back, even when
// audio and video disagree; CTS carries PTS-DTS.
func TestTimestamps(t *testing.T) {
	s := mediatest.Load(hub.H264)
	a := hub.Track{ID: 1, Codec: hub.G711U, ClockRate: 8000}
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, []hub.Track{s.Track, a})
	base := 10 * time.Hour
	units := []hub.Unit{
		{Track: 1, PTS: base - time.Second, Data: []byte{1}}, // before the keyframe: dropped
		{Track: 0, PTS: base + 80*time.Millisecond, DTS: base, Keyframe: true, Data: s.Units[0].Data},
		{Track: 1, PTS: base - 20*time.Millisecond, Data: []byte{1}}, // earlier than video: clamped
		{Track: 0, PTS: base + 40*time.Millisecond, DTS: base + 40*time.Millisecond, Data: s.Units[1].Data},
		{Track: 1, PTS: base + 60*time.Millisecond, Data: []byte{1}},
		{Track: 7, Data: []byte{1}}, // unknown track: ignored
	}
	for _, u := range units {
		if err := w.WriteUnit(u); err != nil {
			t.Fatal(err)
		}
	}
	_, tags := readAll(t, buf.Bytes())
	var got []uint32
	for _, tag := range tags[2:] {
		got = append(got, tag.Timestamp)
	}
	if !slices.Equal(got, []uint32{0, 0, 40, 60}) || w.Skipped() != 1 {
		t.Fatalf("timestamps %v, skipped %d", got, w.Skipped())
	}
	v, _ := ParseVideo(tags[2].Data)
	if v.CTS != 80 {
		t.Fatalf("CTS %d", v.CTS)
	}
	au, err := ParseAudio(tags[3].Data)
	if err != nil || au.Codec != hub.G711U || !bytes.Equal(au.Payload, []byte{1}) {
		t.Fatalf("audio %+v %v", au, err)
	}
}

func TestNoTracks(t *testing.T) {
	_, err := NewWriter(&bytes.Buffer{}, []hub.Track{{Codec: hub.AAC, Config: []byte{0xff}}})
	if err != ErrNoTracks {
		t.Fatalf("err %v", err)
	}
}

// The output is accepted by ffmpeg when piped, as an HTTP-FLV client
// would read it.
func TestFFmpegReadsStream(t *testing.T) {
	requireTool(t, "ffmpeg")
	s := mediatest.Load(hub.H264)
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, []hub.Track{s.Track})
	for _, u := range s.Units {
		_ = w.WriteUnit(u)
	}
	cmd := exec.Command("ffmpeg", "-v", "error", "-f", "flv", "-i", "pipe:0", "-f", "null", "-")
	cmd.Stdin = &buf
	if out, err := cmd.CombinedOutput(); err != nil || len(out) != 0 {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
}
