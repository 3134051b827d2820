package mpegps

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// nal builds an Annex-B NAL unit with the given header bytes and a payload
// free of start-code emulation.
func nal(r *rand.Rand, size int, hdr ...byte) []byte {
	b := append([]byte{0, 0, 0, 1}, hdr...)
	for range size {
		b = append(b, byte(r.IntN(254)+2)) // never 0 or 1
	}
	return b
}

// synthVideo generates n access units; every gop-th is a keyframe.
func synthVideo(r *rand.Rand, c Codec, n, gop int) []Frame {
	var fs []Frame
	for i := range n {
		var data []byte
		key := i%gop == 0
		switch {
		case c == H264 && key:
			data = append(data, nal(r, 20, 0x67)...) // SPS
			data = append(data, nal(r, 4, 0x68)...)  // PPS
			data = append(data, nal(r, 150000+r.IntN(1000), 0x65, 0x88)...)
		case c == H264:
			data = nal(r, r.IntN(8000)+1, 0x41, 0x9A)
		case key:
			data = append(data, nal(r, 20, 0x40, 0x01)...) // VPS
			data = append(data, nal(r, 30, 0x42, 0x01)...) // SPS
			data = append(data, nal(r, 5, 0x44, 0x01)...)  // PPS
			data = append(data, nal(r, 140000+r.IntN(1000), 0x26, 0x01, 0xAF)...)
		default:
			data = nal(r, r.IntN(8000)+1, 0x02, 0x01, 0x80)
		}
		pts := int64(i)*3600 + 7200
		dts := int64(-1)
		if i%3 == 1 {
			dts = pts - 3600
		}
		fs = append(fs, Frame{StreamID: 0xE0, Codec: c, PTS: pts, DTS: dts, Data: data, Keyframe: key})
	}
	return fs
}

func synthAudio(r *rand.Rand, c Codec, n int) []Frame {
	var fs []Frame
	for i := range n {
		d := make([]byte, 160)
		for j := range d {
			d[j] = byte(r.IntN(256))
		}
		fs = append(fs, Frame{StreamID: 0xC0, Codec: c, PTS: int64(i)*1800 + 7200, DTS: -1, Data: d})
	}
	return fs
}

// muxAll interleaves video and audio by PTS and returns the packed bytes and
// the byte offset at which each pack starts.
func muxAll(m *Muxer, video, audio []Frame) ([]byte, []int) {
	var out []byte
	var offs []int
	vi, ai := 0, 0
	for vi < len(video) || ai < len(audio) {
		var f Frame
		if ai >= len(audio) || (vi < len(video) && video[vi].PTS <= audio[ai].PTS) {
			f = video[vi]
			vi++
		} else {
			f = audio[ai]
			ai++
		}
		offs = append(offs, len(out))
		out = append(out, m.Write(f)...)
	}
	return out, offs
}

func feedChunks(t *testing.T, d *Demuxer, r *rand.Rand, b []byte) []Frame {
	t.Helper()
	var all []Frame
	for len(b) > 0 {
		n := min(len(b), r.IntN(1400)+1)
		fs, err := d.Write(b[:n])
		if err != nil && !errors.Is(err, ErrCorrupt) {
			t.Fatalf("unexpected error %v", err)
		}
		all = append(all, fs...)
		b = b[n:]
	}
	return append(all, d.Flush()...)
}

func split(fs []Frame) (video, audio []Frame) {
	for _, f := range fs {
		if isVideoID(f.StreamID) {
			video = append(video, f)
		} else {
			audio = append(audio, f)
		}
	}
	return
}

func sameFrame(a, b Frame) error {
	if a.StreamID != b.StreamID || a.Codec != b.Codec || a.PTS != b.PTS || a.DTS != b.DTS || a.Keyframe != b.Keyframe {
		return fmt.Errorf("got {id %x %v pts %d dts %d key %v}, want {id %x %v pts %d dts %d key %v}",
			a.StreamID, a.Codec, a.PTS, a.DTS, a.Keyframe, b.StreamID, b.Codec, b.PTS, b.DTS, b.Keyframe)
	}
	if !bytes.Equal(a.Data, b.Data) {
		return fmt.Errorf("pts %d: data differs (len %d vs %d)", a.PTS, len(a.Data), len(b.Data))
	}
	return nil
}

func checkFrames(t *testing.T, what string, got, want []Frame) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d frames, want %d", what, len(got), len(want))
	}
	for i := range got {
		if err := sameFrame(got[i], want[i]); err != nil {
			t.Fatalf("%s frame %d: %v", what, i, err)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		video, audio Codec
		unbounded    bool
		noPSM        bool
		maxPES       int
	}{
		{H264, G711A, false, false, 0},
		{H265, G711U, false, false, 0},
		{H264, AAC, false, false, 1000},
		{H265, G711A, false, false, 1400},
		{H264, G711A, true, false, 0},
		{H265, G711A, true, false, 0},
		{H264, G711A, false, true, 0},
		{H265, G711A, true, true, 0},
	} {
		name := fmt.Sprintf("%v_%v_unb%v_nopsm%v_pes%d", tc.video, tc.audio, tc.unbounded, tc.noPSM, tc.maxPES)
		t.Run(name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, uint64(len(name))))
			video := synthVideo(r, tc.video, 40, 12)
			audio := synthAudio(r, tc.audio, 80)
			if tc.noPSM {
				for i := range audio {
					audio[i].Codec = G711A // default guess
				}
			}
			m := NewMuxer(tc.video, tc.audio)
			m.unbounded, m.noPSM, m.maxPES = tc.unbounded, tc.noPSM, tc.maxPES
			ps, _ := muxAll(m, video, audio)
			for seed := range 5 {
				d := NewDemuxer()
				got := feedChunks(t, d, rand.New(rand.NewPCG(uint64(seed), 9)), ps)
				gv, ga := split(got)
				checkFrames(t, "video", gv, video)
				checkFrames(t, "audio", ga, audio)
				st := d.Stats()
				if st.Resyncs != 0 || st.Dropped != 0 || st.Frames != uint64(len(got)) || st.Packs != 120 {
					t.Fatalf("stats %+v", st)
				}
			}
			// Whole buffer in one Write.
			d := NewDemuxer()
			fs, err := d.Write(ps)
			if err != nil {
				t.Fatal(err)
			}
			fs = append(fs, d.Flush()...)
			gv, _ := split(fs)
			checkFrames(t, "video(one write)", gv, video)
		})
	}
}

func TestGarbageResync(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	video := synthVideo(r, H264, 30, 10)
	audio := synthAudio(r, G711A, 60)
	m := NewMuxer(H264, G711A)
	ps, offs := muxAll(m, video, audio)
	// Insert garbage (no 00 00 01 sequences) before every 5th pack.
	var in []byte
	prev := 0
	for i, o := range offs[1:] {
		in = append(in, ps[prev:o]...)
		prev = o
		if i%5 == 0 {
			g := make([]byte, r.IntN(300)+1)
			for j := range g {
				g[j] = byte(r.IntN(255) + 1)
			}
			in = append(in, g...)
		}
	}
	in = append(in, ps[prev:]...)
	d := NewDemuxer()
	got := feedChunks(t, d, r, in)
	gv, ga := split(got)
	checkFrames(t, "video", gv, video)
	checkFrames(t, "audio", ga, audio)
	if d.Stats().Resyncs == 0 {
		t.Fatal("expected resyncs")
	}
	// Leading garbage containing fake start codes.
	d = NewDemuxer()
	fs, err := d.Write(append([]byte{0, 0, 1, 0xBA, 0xFF, 0, 0, 1, 0x12, 0, 0, 1, 0xE0, 0xFF, 0xFF, 0x00}, ps...))
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("err = %v", err)
	}
	fs = append(fs, d.Flush()...)
	gv, _ = split(fs)
	checkFrames(t, "video", gv, video)
}

func TestGapReset(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	video := synthVideo(r, H265, 40, 10)
	m := NewMuxer(H265, Unknown)
	m.maxPES = 3000
	ps, offs := muxAll(m, video, nil)
	d := NewDemuxer()
	// Feed the first 15 frames plus half of the 16th, lose 5000 bytes, Reset.
	cut := offs[15] + (offs[16]-offs[15])/2
	got, _ := d.Write(ps[:cut])
	checkFrames(t, "before gap", got, video[:14])
	d.Reset()
	if d.Stats().Dropped != 1 {
		t.Fatalf("dropped = %d", d.Stats().Dropped)
	}
	after := feedChunks(t, d, r, ps[cut+5000:])
	// Everything from the next keyframe on must be exact.
	k := 0
	for k < len(after) && !after[k].Keyframe {
		k++
	}
	if k == len(after) || after[k].PTS != video[20].PTS {
		t.Fatalf("no keyframe after gap (k=%d)", k)
	}
	checkFrames(t, "after gap", after[k:], video[20:])
}

func TestOversize(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	big := Frame{Codec: H264, PTS: 0, DTS: -1, Data: nal(r, MaxFrameSize+10, 0x65, 0x88), Keyframe: true}
	small := synthVideo(r, H264, 3, 1)
	for i := range small {
		small[i].PTS += 90000
	}
	for _, unb := range []bool{false, true} {
		m := NewMuxer(H264, Unknown)
		m.unbounded = unb
		ps := m.Write(big)
		for _, f := range small {
			ps = append(ps, m.Write(f)...)
		}
		d := NewDemuxer()
		got := feedChunks(t, d, r, ps)
		checkFrames(t, "after oversize", got, small)
		if d.Stats().Dropped != 1 {
			t.Fatalf("dropped = %d", d.Stats().Dropped)
		}
	}
}

func TestZeroLengthPES(t *testing.T) {
	// Hand-built: pack, unbounded video PES, audio PES, unbounded video PES,
	// end code.
	var b []byte
	b = appendPack(b, 0)
	b = append(b, 0, 0, 1, 0xE0, 0, 0, 0x80, 0x80, 5)
	b = append(b, 0x21, 0, 1, 0, 1) // PTS 0
	v1 := []byte{0, 0, 0, 1, 0x67, 1, 2, 3, 0, 0, 1, 0x65, 0x88, 9, 9}
	b = append(b, v1...)
	b = appendPES(b, 0xC0, 10, -1, []byte{1, 2, 3}, false)
	b = appendPack(b, 3600)
	b = appendPES(b, 0xE0, 3600, -1, []byte{0, 0, 1, 0x41, 0x87}, true)
	b = append(b, 0, 0, 1, 0xB9)
	for _, chunk := range []int{1, 2, 3, 7, len(b)} {
		d := NewDemuxer()
		var got []Frame
		for i := 0; i < len(b); i += chunk {
			fs, err := d.Write(b[i:min(i+chunk, len(b))])
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, fs...)
		}
		got = append(got, d.Flush()...)
		want := []Frame{
			{StreamID: 0xC0, Codec: G711A, PTS: 10, DTS: -1, Data: []byte{1, 2, 3}},
			{StreamID: 0xE0, Codec: H264, PTS: 0, DTS: -1, Data: v1, Keyframe: true},
			{StreamID: 0xE0, Codec: H264, PTS: 3600, DTS: -1, Data: []byte{0, 0, 1, 0x41, 0x87}},
		}
		checkFrames(t, fmt.Sprintf("chunk %d", chunk), got, want)
	}
}

func TestNoPTSFramesSplitByPack(t *testing.T) {
	var b []byte
	for i := range 3 {
		b = appendPack(b, int64(i))
		b = appendPES(b, 0xE0, -1, -1, []byte{0, 0, 1, 0x41, 0x80 | byte(i)}, false)
		b = appendPES(b, 0xE0, -1, -1, []byte{0xAA}, false)
	}
	d := NewDemuxer()
	got, err := d.Write(b)
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, d.Flush()...)
	if len(got) != 3 {
		t.Fatalf("got %d frames", len(got))
	}
	for i, f := range got {
		if !bytes.Equal(f.Data, []byte{0, 0, 1, 0x41, 0x80 | byte(i), 0xAA}) || f.PTS != -1 {
			t.Fatalf("frame %d: %+v", i, f)
		}
	}
}

func TestPTSVectors(t *testing.T) {
	for _, v := range []struct {
		prefix uint8
		ts     int64
		enc    []byte
	}{
		{2, 0, []byte{0x21, 0x00, 0x01, 0x00, 0x01}},
		{2, 1<<33 - 1, []byte{0x2F, 0xFF, 0xFF, 0xFF, 0xFF}},
		{3, 90000, []byte{0x31, 0x00, 0x05, 0xBF, 0x21}},
		{1, 1 << 32, []byte{0x19, 0x00, 0x01, 0x00, 0x01}},
		{2, 0x123456789, []byte{0x29, 0x8D, 0x15, 0xCF, 0x13}},
	} {
		var b [5]byte
		putTS(b[:], v.prefix, v.ts)
		if !bytes.Equal(b[:], v.enc) {
			t.Errorf("putTS(%d) = % x, want % x", v.ts, b, v.enc)
		}
		if got := parseTS(v.enc); got != v.ts {
			t.Errorf("parseTS(% x) = %d, want %d", v.enc, got, v.ts)
		}
	}
	// Header parsing: MPEG-2 PTS only, PTS+DTS, none, MPEG-1 forms.
	for i, v := range []struct {
		h        []byte
		n        int
		pts, dts int64
		st       int
	}{
		{[]byte{0x80, 0x80, 5, 0x21, 0, 1, 0, 1}, 8, 0, -1, 1},
		{[]byte{0x80, 0xC0, 10, 0x31, 0, 5, 0xBF, 0x21, 0x11, 0, 1, 0, 1}, 13, 90000, 0, 1},
		{[]byte{0x80, 0x00, 0}, 3, -1, -1, 1},
		{[]byte{0x80, 0x80, 2, 0, 0}, 0, -1, -1, -1}, // PTS flag but too short
		{[]byte{0x80, 0x80, 9, 0x21}, 0, -1, -1, 0},  // truncated
		{[]byte{0xFF, 0xFF, 0x0F}, 3, -1, -1, 1},
		{[]byte{0x40, 0x00, 0x21, 0, 1, 0, 1}, 7, 0, -1, 1},
		{[]byte{0x31, 0, 5, 0xBF, 0x21, 0x11, 0, 1, 0, 1}, 10, 90000, 0, 1},
		{[]byte{0x00}, 0, -1, -1, -1},
	} {
		n, pts, dts, st := parsePESHeader(v.h)
		if st != v.st || (st == 1 && (n != v.n || pts != v.pts || dts != v.dts)) {
			t.Errorf("vector %d: got n=%d pts=%d dts=%d st=%d", i, n, pts, dts, st)
		}
	}
}

func TestPSMValidation(t *testing.T) {
	d := NewDemuxer()
	m := NewMuxer(H265, G711U)
	psm := m.appendPSM(nil)
	if !d.parsePSM(psm[6:]) || d.psm[0xE0] != H265 || d.psm[0xC0] != G711U {
		t.Fatal("valid PSM rejected")
	}
	bad := bytes.Clone(psm)
	bad[11] = 0xF0 // es_map_length too large
	if d.parsePSM(bad[6:]) {
		t.Fatal("bad PSM accepted")
	}
	bad = bytes.Clone(psm)
	bad[15] = 0x40 // es_info_length too large
	if d.parsePSM(bad[6:]) {
		t.Fatal("bad PSM accepted")
	}
	// SVAC (0x80) maps to Unknown.
	d.parsePSM([]byte{0xE0, 0xFF, 0, 0, 0, 4, 0x80, 0xE0, 0, 0, 0, 0, 0, 0})
	if d.psm[0xE0] != Unknown {
		t.Fatal("SVAC not Unknown")
	}
}

func TestFFmpeg(t *testing.T) {
	ff, err := exec.LookPath("ffmpeg")
	if err != nil {
		t.Skip("ffmpeg not installed")
	}
	out := filepath.Join(t.TempDir(), "out.mpg")
	cmd := exec.Command(ff, "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25",
		"-t", "1", "-c:v", "libx264", "-f", "mpeg", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("ffmpeg failed: %v: %s", err, b)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	d := NewDemuxer()
	got := feedChunks(t, d, rand.New(rand.NewPCG(1, 1)), data)
	if len(got) < 23 || len(got) > 27 {
		t.Fatalf("got %d frames, want ~25", len(got))
	}
	if got[0].Codec != H264 || !got[0].Keyframe {
		t.Fatalf("first frame: codec %v key %v", got[0].Codec, got[0].Keyframe)
	}
	t.Logf("ffmpeg: %d bytes, %d frames, stats %+v", len(data), len(got), d.Stats())
}

// TestUnknownCodecPESRule checks the PES-level rule used when the PSM
// declares a non-H.264/H.265 video codec (e.g. SVAC, stream type 0x80):
// frames end at a PTS change, or at a pack header when they carry no PTS.
func TestUnknownCodecPESRule(t *testing.T) {
	psm := []byte{0, 0, 1, 0xBC, 0, 14, 0xE0, 0xFF, 0, 0, 0, 4, 0x80, 0xE0, 0, 0, 0, 0, 0, 0}
	var b []byte
	b = appendPack(b, 0)
	b = append(b, psm...)
	b = appendPES(b, 0xE0, 100, -1, []byte{1, 2}, false)
	b = appendPES(b, 0xE0, 100, -1, []byte{3}, false) // same PTS: continuation
	b = appendPES(b, 0xE0, -1, -1, []byte{4}, false)  // no PTS: continuation
	b = appendPack(b, 1)
	b = appendPES(b, 0xE0, 200, -1, []byte{5}, false) // PTS change
	b = appendPack(b, 2)
	b = appendPES(b, 0xE0, -1, -1, []byte{6}, false)
	b = appendPack(b, 3) // ends the PTS-less frame? no: pending has PTS 200
	b = appendPES(b, 0xE0, -1, -1, []byte{7}, false)
	d := NewDemuxer()
	got, err := d.Write(b)
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, d.Flush()...)
	want := []Frame{
		{StreamID: 0xE0, Codec: Unknown, PTS: 100, DTS: -1, Data: []byte{1, 2, 3, 4}},
		{StreamID: 0xE0, Codec: Unknown, PTS: 200, DTS: -1, Data: []byte{5, 6, 7}},
	}
	checkFrames(t, "svac", got, want)

	// PTS-less frames are split by pack headers.
	b = append([]byte(nil), psm...)
	for i := range 3 {
		b = appendPack(b, int64(i))
		b = appendPES(b, 0xE0, -1, -1, []byte{byte(i)}, false)
		b = appendPES(b, 0xE0, -1, -1, []byte{0xAA}, false)
	}
	d = NewDemuxer()
	got, _ = d.Write(b)
	got = append(got, d.Flush()...)
	if len(got) != 3 || !bytes.Equal(got[2].Data, []byte{2, 0xAA}) {
		t.Fatalf("got %+v", got)
	}
}

// TestFFmpegStylePES checks access-unit splitting when PES boundaries do not
// match access units (several AUs per PES, AUs straddling PES packets, PTS
// only on PES packets in which an AU starts).
func TestFFmpegStylePES(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	video := synthVideo(r, H264, 20, 10)
	var es []byte
	var starts []int
	for _, f := range video {
		starts = append(starts, len(es))
		es = append(es, f.Data...)
	}
	// Cut the ES into 2000-byte PES packets, each with the PTS of the first
	// AU starting in it.
	var ps []byte
	want := make([]Frame, len(video))
	copy(want, video)
	for i := range want {
		want[i].PTS, want[i].DTS = -1, -1
	}
	for off := 0; off < len(es); off += 2000 {
		end := min(off+2000, len(es))
		pts, dts := int64(-1), int64(-1)
		for k, s := range starts {
			if s >= off && s < end {
				pts, dts = video[k].PTS, video[k].DTS
				want[k].PTS, want[k].DTS = pts, dts
				if dts == pts {
					want[k].DTS = -1
				}
				break
			}
		}
		ps = appendPack(ps, 0)
		ps = appendPES(ps, 0xE0, pts, dts, es[off:end], false)
	}
	d := NewDemuxer()
	got := feedChunks(t, d, r, ps)
	checkFrames(t, "ffmpeg-style", got, want)
}
