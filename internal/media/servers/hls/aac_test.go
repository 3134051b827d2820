package hls

import (
	"context"
	"os/exec"
	"sort"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"

	"github.com/vionet/vionet/internal/media/hub"
	"github.com/vionet/vionet/internal/media/mediatest"
)

// aacSample encodes 2 s of a sine with ffmpeg's AAC encoder and returns the
// track (ID 1) and its raw access units.
func aacSample(t *testing.T) (hub.Track, []hub.Unit) {
	t.Helper()
	out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error",
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=2",
		"-c:a", "aac", "-ac", "1", "-f", "adts", "pipe:1").Output()
	if err != nil {
		t.Fatalf("ffmpeg aac: %v", err)
	}
	var pkts mpeg4audio.ADTSPackets
	if err := pkts.Unmarshal(out); err != nil {
		t.Fatal(err)
	}
	conf := mpeg4audio.AudioSpecificConfig{Type: pkts[0].Type, SampleRate: pkts[0].SampleRate, ChannelConfig: pkts[0].ChannelConfig}
	asc, err := conf.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	track := hub.Track{ID: 1, Codec: hub.AAC, ClockRate: conf.SampleRate, Config: asc}
	var units []hub.Unit
	for i, p := range pkts {
		ts := time.Duration(i) * mpeg4audio.SamplesPerAccessUnit * time.Second / time.Duration(conf.SampleRate)
		if ts >= 2*time.Second {
			break
		}
		units = append(units, hub.Unit{Track: 1, PTS: ts, DTS: ts, Data: p.AU})
	}
	return track, units
}

// feedAV publishes video and audio interleaved by timestamp, paced at real
// time, looping every 2 s, until the test ends.
func (e *env) feedAV(t *testing.T, path string, codec hub.Codec) {
	t.Helper()
	v := mediatest.Load(codec)
	at, au := aacSample(t)
	pub, err := e.hub.Publish(path, []hub.Track{v.Track, at})
	if err != nil {
		t.Fatal(err)
	}
	units := append(append([]hub.Unit(nil), v.Units...), au...)
	sort.SliceStable(units, func(i, j int) bool { return units[i].DTS < units[j].DTS })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		start := time.Now()
		for loop := time.Duration(0); ; loop++ {
			for _, u := range units {
				off := loop*2*time.Second + u.DTS
				select {
				case <-ctx.Done():
					return
				case <-time.After(time.Until(start.Add(off))):
				}
				u.PTS, u.DTS = off, off
				pub.Write(u)
			}
		}
	}()
	t.Cleanup(func() { cancel(); <-done; pub.Close() })
}

// TestAAC: H.264+AAC (MPEG-TS) and H.265+AAC (fMP4) both reach ffprobe with
// their audio.
func TestAAC(t *testing.T) {
	e := newEnv(t, Options{})
	for _, c := range []struct {
		codec hub.Codec
		name  string
	}{{hub.H264, "h264"}, {hub.H265, "hevc"}} {
		path := "live/av/" + c.name
		e.feedAV(t, path, c.codec)
		p := ffprobe(t, e.url(e.token(path, time.Now().Add(time.Hour)), path, "index.m3u8"))
		got := map[string]bool{}
		for _, s := range p.Streams {
			got[s.CodecType+"/"+s.CodecName] = true
		}
		if !got["video/"+c.name] || !got["audio/aac"] {
			t.Errorf("%s: streams %+v", path, p.Streams)
		}
	}
	if st := e.h.Stats(); st.EncodeErrors != 0 {
		t.Errorf("encode errors: %d", st.EncodeErrors)
	}
}
