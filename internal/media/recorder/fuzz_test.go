package recorder

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"

	"github.com/vionet/vionet/internal/media/formats/h26x"
	"github.com/vionet/vionet/internal/media/hub"
	"github.com/vionet/vionet/internal/media/mediatest"
)

// FuzzOpen feeds arbitrary files to the fragment parser that Open, ReadInfo
// and Recover share. None may panic, and whatever Recover keeps must read
// back to the end without error and agree with ReadInfo.
func FuzzOpen(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, "1000.mp4")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if r, err := Open(path); err == nil {
			for range 100000 {
				if _, err := r.Next(); err != nil {
					break
				}
			}
			r.Close()
		}
		ReadInfo(path) //nolint:errcheck // must only not panic

		if err := os.Rename(path, path+".part"); err != nil {
			t.Fatal(err)
		}
		segs, err := Recover(dir)
		if err != nil {
			t.Fatalf("Recover: %v", err)
		}
		for _, seg := range segs {
			info, err := ReadInfo(seg.Path)
			if err != nil || info != seg {
				t.Fatalf("ReadInfo %+v %v, Recover %+v", info, err, seg)
			}
			r, err := Open(seg.Path)
			if err != nil {
				t.Fatalf("Open a recovered file: %v", err)
			}
			for {
				if _, err = r.Next(); err != nil {
					break
				}
			}
			r.Close()
			if err != io.EOF {
				t.Fatalf("reading a recovered file: %v", err)
			}
		}
	})
}

// fuzzSeeds builds small segments with the writer: H.264 + AAC over two
// fragments, H.265, and damaged variants of them.
func fuzzSeeds(tb testing.TB) [][]byte {
	h264 := mediatest.Load(hub.H264).Track
	h265 := mediatest.Load(hub.H265).Track
	asc, err := (&mpeg4audio.AudioSpecificConfig{Type: 2, SampleRate: 48000, ChannelConfig: 1}).Marshal()
	if err != nil {
		tb.Fatal(err)
	}
	aac := hub.Track{ID: 1, Codec: hub.AAC, ClockRate: 48000, Config: asc}

	build := func(video hub.Track, withAudio bool, frames int) []byte {
		dir := tb.TempDir()
		w := writer{dir: dir, now: time.Now, sync: time.Hour, c: &counters{}}
		tracks := []hub.Track{video}
		if withAudio {
			tracks = append(tracks, aac)
		}
		p := makePlan(tracks)
		ps := h26x.FindParamSets(h26xCodec(video.Codec), video.Config)
		if err := w.open(&p, ps, time.UnixMilli(1000), 0); err != nil {
			tb.Fatal(err)
		}
		for i := range frames {
			ts := time.Duration(i) * 40 * time.Millisecond
			key := i%5 == 0
			nal := []byte{0x41, 0x9a, byte(i)}
			if video.Codec == hub.H265 {
				nal = []byte{0x02, 0x01, byte(i)}
			}
			if key {
				if err := w.flush(ts, true); err != nil {
					tb.Fatal(err)
				}
				nal[0] = 0x65
				if video.Codec == hub.H265 {
					nal[0] = 0x26
				}
			}
			w.addVideo(&hub.Unit{PTS: ts + 40*time.Millisecond, DTS: ts, Keyframe: key, Data: append([]byte{0, 0, 0, 1}, nal...)})
			if withAudio {
				w.addAudio(&hub.Unit{PTS: ts, DTS: ts, Data: []byte{0x21, byte(i), 0x03}})
			}
		}
		seg, ok, err := w.finish(0, false)
		if err != nil || !ok {
			tb.Fatal(ok, err)
		}
		b, err := os.ReadFile(seg.Path)
		if err != nil {
			tb.Fatal(err)
		}
		return b
	}
	both := build(h264, true, 10)
	hevc := build(h265, false, 6)
	largeFree := binary.BigEndian.AppendUint64([]byte("\x00\x00\x00\x01free"), 24)
	largeFree = append(largeFree, make([]byte, 8)...)
	frags := fragmentsOfBytes(both)
	withFree := append(append(bytes.Clone(both[:frags[1][0]]), largeFree...), both[frags[1][0]:]...)
	notMdat := bytes.Clone(both)
	copy(notMdat[frags[0][0]+int64(bytes.Index(both[frags[0][0]:], []byte("mdat"))):], "free")
	return [][]byte{
		both,
		hevc,
		both[:len(both)-7], // torn last fragment
		withFree,           // a 64-bit box between fragments
		append(bytes.Clone(hevc), make([]byte, 64)...), // zero-filled tail
		notMdat,            // moof followed by a free box
		both[:frags[0][0]], // init only
		[]byte("\x00\x00\x00\x08ftyp\x00\x00\x00\x08moov"), // empty moov
	}
}

// fragmentsOfBytes is fragmentsOf for a TB.
func fragmentsOfBytes(b []byte) [][2]int64 {
	_, off, err := readInit(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		panic(err)
	}
	var out [][2]int64
	for {
		s, e, err := nextFragment(bytes.NewReader(b), off, int64(len(b)))
		if err != nil {
			return out
		}
		out = append(out, [2]int64{s, e})
		off = e
	}
}

// TestFuzzSeeds writes the seed corpus when RECORDER_WRITE_SEEDS=1.
func TestFuzzSeeds(t *testing.T) {
	if os.Getenv("RECORDER_WRITE_SEEDS") != "1" {
		t.Skip("set RECORDER_WRITE_SEEDS=1 to rewrite testdata/fuzz/FuzzOpen")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzOpen")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	names := []string{"h264_aac", "h265", "torn", "largesize_free", "zero_tail", "moof_without_mdat", "init_only", "empty_moov"}
	for i, s := range fuzzSeeds(t) {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(s)))
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed%02d_%s", i, names[i])), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
