package recorder

import (
	"bytes"
	"cmp"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"

	"github.com/vionet/vionet/internal/media/formats/h26x"
	"github.com/vionet/vionet/internal/media/hub"
	"github.com/vionet/vionet/internal/media/mediatest"
)

// ffmpegOut runs ffmpeg with args (output to stdout) and returns what it wrote.
func ffmpegOut(t *testing.T, args ...string) []byte {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command("ffmpeg", append([]string{"-nostdin", "-v", "error"}, args...)...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ffmpeg %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// aacSample encodes secs of a sine with ffmpeg's AAC encoder and returns it
// as a hub track (ID id) and its units (raw AUs, DTS = n*1024/rate).
func aacSample(t *testing.T, id, rate int, secs string) (hub.Track, []hub.Unit) {
	t.Helper()
	raw := ffmpegOut(t, "-f", "lavfi", "-i", "sine=frequency=440:sample_rate="+strconv.Itoa(rate), "-t", secs,
		"-c:a", "aac", "-b:a", "64k", "-f", "adts", "-")
	var pkts mpeg4audio.ADTSPackets
	if err := pkts.Unmarshal(raw); err != nil {
		t.Fatal(err)
	}
	conf, err := (&mpeg4audio.AudioSpecificConfig{
		Type: pkts[0].Type, SampleRate: pkts[0].SampleRate, ChannelConfig: pkts[0].ChannelConfig,
	}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	tr := hub.Track{ID: id, Codec: hub.AAC, ClockRate: rate, Config: conf}
	units := make([]hub.Unit, len(pkts))
	for i, p := range pkts {
		ts := time.Duration(i*1024) * time.Second / time.Duration(rate)
		units[i] = hub.Unit{Track: id, PTS: ts, DTS: ts, Data: p.AU}
	}
	return tr, units
}

// h264Sample encodes secs of testsrc at size with libx264 (keyframe every
// 25 frames) and returns it as a hub track (ID 0) and its access units.
func h264Sample(t *testing.T, size, secs string) (hub.Track, []hub.Unit) {
	t.Helper()
	raw := ffmpegOut(t, "-f", "lavfi", "-i", "testsrc=size="+size+":rate=25", "-t", secs,
		"-pix_fmt", "yuv420p", "-c:v", "libx264", "-profile:v", "baseline", "-g", "25", "-x264-params", "aud=1", "-f", "h264", "-")
	var units []hub.Unit
	var cur [][]byte
	flush := func() {
		if len(cur) == 0 {
			return
		}
		au := h26x.JoinAnnexB(cur...)
		ts := time.Duration(len(units)) * time.Second / 25
		units = append(units, hub.Unit{PTS: ts, DTS: ts, Data: au, Keyframe: h26x.IsKeyframe(h26x.H264, au)})
		cur = nil
	}
	for _, nal := range h26x.SplitAnnexB(raw) {
		if h26x.NALType(h26x.H264, nal) == 9 { // access unit delimiter
			flush()
			continue
		}
		cur = append(cur, nal)
	}
	flush()
	ps := h26x.FindParamSets(h26x.H264, units[0].Data)
	w, h, err := h26x.Dimensions(h26x.H264, ps.SPS[0])
	if err != nil {
		t.Fatal(err)
	}
	return hub.Track{Codec: hub.H264, ClockRate: 90000, Width: w, Height: h, Config: ps.AnnexB()}, units
}

// interleave merges units by DTS, video first at equal DTS.
func interleave(video, audio []hub.Unit) []hub.Unit {
	all := append(slices.Clone(video), audio...)
	slices.SortStableFunc(all, func(a, b hub.Unit) int { return cmp.Compare(a.DTS, b.DTS) })
	return all
}

// splitTracks splits read units into video and audio, audio timestamps
// moved by off.
func splitTracks(units []hub.Unit, off time.Duration) (video, audio []hub.Unit) {
	for _, u := range units {
		u.PTS += off
		u.DTS += off
		if u.Track == videoTrackID {
			video = append(video, u)
		} else {
			audio = append(audio, u)
		}
	}
	return video, audio
}

// TestVideoAndAAC records H.264 with AAC: both tracks in every segment,
// ffprobe sees both, and every audio frame comes back once, in DTS order.
func TestVideoAndAAC(t *testing.T) {
	t.Parallel()
	sample := mediatest.Load(hub.H264)
	atrack, aunits := aacSample(t, 1, 48000, "2")
	h := hub.New(hub.Options{})
	pub, err := h.Publish(testPath, []hub.Track{sample.Track, atrack})
	if err != nil {
		t.Fatal(err)
	}
	col := newSegments()
	startRecorder(t, h, t.TempDir(), col, nil)
	waitReaders(t, h, 1)
	// Audio arrives 50 ms ahead of the video of the same time, as a camera
	// that buffers its encoded video might send it: around each keyframe a
	// few audio frames come before it but belong after it.
	ahead := shifted(aunits, -50*time.Millisecond)
	for _, u := range interleave(sample.Units, ahead) {
		if u.Track == atrack.ID {
			u.PTS, u.DTS = u.PTS+50*time.Millisecond, u.DTS+50*time.Millisecond
		}
		pub.Write(u)
	}
	pub.Close()
	col.wait(t, 2, 10*time.Second)
	var video, audio []hub.Unit
	for i, seg := range col.list() {
		if !seg.HasAudio || seg.Codec != hub.H264 {
			t.Errorf("segment %+v", seg)
		}
		p := ffprobe(t, seg.Path)
		if len(p.Streams) != 2 || p.Streams[0].CodecName != "h264" || p.Streams[1].CodecName != "aac" {
			t.Fatalf("ffprobe: %+v", p.Streams)
		}
		if d := p.duration(); d < 0.95 || d > 1.1 {
			t.Errorf("ffprobe duration %v", d)
		}
		ffdecode(t, seg.Path)
		tracks, units := readAll(t, seg.Path)
		if len(tracks) != 2 || tracks[1].ID != audioTrackID || tracks[1].Codec != hub.AAC ||
			tracks[1].ClockRate != 48000 || !bytes.Equal(tracks[1].Config, atrack.Config) {
			t.Errorf("tracks %+v", tracks)
		}
		if !slices.IsSortedFunc(units, func(a, b hub.Unit) int { return cmp.Compare(a.DTS, b.DTS) }) {
			t.Errorf("segment %d: units not in DTS order", i)
		}
		v, a := splitTracks(units, time.Duration(i)*time.Second)
		video, audio = append(video, v...), append(audio, a...)
	}
	compareUnits(t, sample.Units, video, videoTrackID)
	if len(audio) != len(aunits) {
		t.Fatalf("read %d audio frames, wrote %d", len(audio), len(aunits))
	}
	for i, u := range audio {
		w := aunits[i]
		if u.Track != audioTrackID || !bytes.Equal(u.Data, w.Data) || (u.DTS-w.DTS).Abs() > time.Microsecond || u.PTS != u.DTS {
			t.Fatalf("audio %d: read %v/%v %d bytes, wrote %v %d bytes", i, u.DTS, u.PTS, len(u.Data), w.DTS, len(w.Data))
		}
	}
}

// TestAudioOnly records an AAC-only path: fragments of about 1 s, cut
// after MaxSegment.
func TestAudioOnly(t *testing.T) {
	t.Parallel()
	atrack, aunits := aacSample(t, 3, 16000, "3")
	h := hub.New(hub.Options{})
	pub, err := h.Publish(testPath, []hub.Track{atrack})
	if err != nil {
		t.Fatal(err)
	}
	col := newSegments()
	rec := startRecorder(t, h, t.TempDir(), col, func(o *Options) { o.MaxSegment = 2 * time.Second })
	waitReaders(t, h, 1)
	for _, u := range aunits {
		pub.Write(u)
	}
	pub.Close()
	col.wait(t, 2, 10*time.Second)
	segs := col.list()
	var audio []hub.Unit
	for i, seg := range segs {
		if !seg.HasAudio || seg.Codec != 0 {
			t.Errorf("segment %+v", seg)
		}
		p := ffprobe(t, seg.Path)
		if len(p.Streams) != 1 || p.Streams[0].CodecName != "aac" {
			t.Fatalf("ffprobe: %+v", p.Streams)
		}
		if d := p.duration(); (d - seg.Duration().Seconds()) > 0.1 {
			t.Errorf("ffprobe duration %v, segment %v", d, seg.Duration())
		}
		info, err := ReadInfo(seg.Path)
		if err != nil || !info.End.Equal(seg.End) || info.Codec != 0 || !info.HasAudio {
			t.Errorf("ReadInfo %+v %v, segment %+v", info, err, seg)
		}
		_, units := readAll(t, seg.Path)
		_, a := splitTracks(units, seg.Start.Sub(segs[0].Start))
		if i == 0 && (seg.Duration() < 2*time.Second || seg.Duration() > 2100*time.Millisecond) {
			t.Errorf("first segment lasts %v", seg.Duration())
		}
		audio = append(audio, a...)
	}
	if len(audio) != len(aunits) {
		t.Fatalf("read %d frames, wrote %d", len(audio), len(aunits))
	}
	for i := range audio {
		if !bytes.Equal(audio[i].Data, aunits[i].Data) || (audio[i].DTS-aunits[i].DTS).Abs() > time.Millisecond {
			t.Fatalf("frame %d: read %v, wrote %v", i, audio[i].DTS, aunits[i].DTS)
		}
	}
	if st := rec.Stats(); st.Fragments != 3 {
		t.Errorf("%d fragments for 3 s of audio, want 3", st.Fragments)
	}
}

// TestG711NotRecorded: G.711 has no fMP4 sample entry in mediacommon, so a
// camera's G.711 track is left out and its video recorded alone.
func TestG711NotRecorded(t *testing.T) {
	t.Parallel()
	sample := mediatest.Load(hub.H264)
	g711 := hub.Track{ID: 1, Codec: hub.G711A, ClockRate: 8000}
	h := hub.New(hub.Options{})
	pub, err := h.Publish(testPath, []hub.Track{sample.Track, g711})
	if err != nil {
		t.Fatal(err)
	}
	col := newSegments()
	rec := startRecorder(t, h, t.TempDir(), col, func(o *Options) { o.MaxSegment = time.Minute })
	waitReaders(t, h, 1)
	var audio []hub.Unit
	for i := range 100 {
		ts := time.Duration(i) * 20 * time.Millisecond
		audio = append(audio, hub.Unit{Track: 1, PTS: ts, DTS: ts, Data: make([]byte, 160)})
	}
	for _, u := range interleave(sample.Units, audio) {
		pub.Write(u)
	}
	pub.Close()
	col.wait(t, 1, 10*time.Second)
	seg := col.list()[0]
	if seg.HasAudio || seg.Duration() != 2*time.Second {
		t.Errorf("segment %+v", seg)
	}
	if p := ffprobe(t, seg.Path); len(p.Streams) != 1 {
		t.Errorf("ffprobe: %+v", p.Streams)
	}
	if st := rec.Stats(); st.Skipped != 100 || st.Units != 50 {
		t.Errorf("stats %+v", st)
	}
}

// TestParameterSetChange: a keyframe with new parameter sets (here a
// resolution change) starts a new segment with its own init.
func TestParameterSetChange(t *testing.T) {
	t.Parallel()
	track, big := h264Sample(t, "320x240", "1")
	_, small := h264Sample(t, "160x120", "1")
	h := hub.New(hub.Options{})
	pub, err := h.Publish(testPath, []hub.Track{track})
	if err != nil {
		t.Fatal(err)
	}
	col := newSegments()
	startRecorder(t, h, t.TempDir(), col, func(o *Options) { o.MaxSegment = time.Minute })
	waitReaders(t, h, 1)
	for _, u := range append(big, shifted(small, time.Second)...) {
		pub.Write(u)
	}
	pub.Close()
	col.wait(t, 2, 10*time.Second)
	segs := col.list()
	for i, want := range []int{320, 160} {
		p := ffprobe(t, segs[i].Path)
		if p.Streams[0].Width != want || segs[i].Duration() != time.Second {
			t.Errorf("segment %d: %+v, %v", i, p.Streams, segs[i].Duration())
		}
		if tracks, _ := readAll(t, segs[i].Path); tracks[0].Width != want {
			t.Errorf("segment %d: tracks %+v", i, tracks)
		}
		ffdecode(t, segs[i].Path)
	}
	if !segs[1].Start.Equal(segs[0].End) {
		t.Errorf("the second segment starts at %v, the first ended at %v", segs[1].Start, segs[0].End)
	}
}

// TestPTSOffsets: composition offsets (B-frame reordering) survive.
func TestPTSOffsets(t *testing.T) {
	t.Parallel()
	sample := mediatest.Load(hub.H265)
	for i := range sample.Units {
		sample.Units[i].PTS += time.Duration(i%3) * 40 * time.Millisecond
	}
	h := hub.New(hub.Options{})
	pub, err := h.Publish(testPath, []hub.Track{sample.Track})
	if err != nil {
		t.Fatal(err)
	}
	col := newSegments()
	startRecorder(t, h, t.TempDir(), col, func(o *Options) { o.MaxSegment = time.Minute })
	waitReaders(t, h, 1)
	for _, u := range sample.Units {
		pub.Write(u)
	}
	pub.Close()
	col.wait(t, 1, 10*time.Second)
	_, units := readAll(t, col.list()[0].Path)
	compareUnits(t, sample.Units, units, videoTrackID)
}
