package mpegps

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// fuzzSeeds returns small valid and near-valid streams.
func fuzzSeeds() [][]byte {
	r := rand.New(rand.NewPCG(42, 42))
	shrink := func(fs []Frame) []Frame {
		for i := range fs {
			if len(fs[i].Data) > 300 {
				fs[i].Data = fs[i].Data[:300]
			}
		}
		return fs
	}
	var seeds [][]byte
	for _, c := range []Codec{H264, H265} {
		for _, unb := range []bool{false, true} {
			m := NewMuxer(c, G711A)
			m.unbounded = unb
			m.maxPES = 100
			ps, _ := muxAll(m, shrink(synthVideo(r, c, 4, 2)), synthAudio(r, G711A, 3))
			seeds = append(seeds, ps)
		}
	}
	m := NewMuxer(Unknown, AAC)
	m.noPSM = true
	seeds = append(seeds, m.Write(Frame{StreamID: 0xE0, PTS: 1, DTS: -1, Data: []byte{1, 2, 3}}))
	// SVAC-style PSM with stream type 0x80.
	svac := appendPack(nil, 0)
	svac = append(svac, 0, 0, 1, 0xBC, 0, 14, 0xE0, 0xFF, 0, 0, 0, 4, 0x80, 0xE0, 0, 0, 0, 0, 0, 0)
	svac = appendPES(svac, 0xE0, 90, -1, []byte{9, 8, 7}, false)
	seeds = append(seeds, svac)
	// MPEG-1 pack + MPEG-1 PES.
	seeds = append(seeds, []byte{0, 0, 1, 0xBA, 0x21, 0, 1, 0, 1, 0x80, 0, 1,
		0, 0, 1, 0xE0, 0, 12, 0xFF, 0x40, 0, 0x21, 0, 1, 0, 1, 0, 0, 1, 0x65})
	seeds = append(seeds, []byte{0, 0, 1, 0xBA, 0xFF, 0xFF, 0, 0, 1, 0xE0, 0, 0, 0x80, 0xC0, 0xFF})
	return seeds
}

func FuzzDemux(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		whole := NewDemuxer()
		a, _ := whole.Write(data)
		a = append(a, whole.Flush()...)

		chunked := NewDemuxer()
		var b []Frame
		r := rand.New(rand.NewPCG(uint64(len(data)), 1))
		for p := data; len(p) > 0; {
			n := min(len(p), r.IntN(64)+1)
			fs, _ := chunked.Write(p[:n])
			b = append(b, fs...)
			p = p[n:]
		}
		b = append(b, chunked.Flush()...)

		if len(a) != len(b) {
			t.Fatalf("whole %d frames, chunked %d", len(a), len(b))
		}
		for i := range a {
			if len(a[i].Data) > MaxFrameSize {
				t.Fatalf("frame %d too large", i)
			}
			if err := sameFrame(a[i], b[i]); err != nil {
				t.Fatalf("frame %d: %v", i, err)
			}
		}
		if st := whole.Stats(); st.Frames != uint64(len(a)) {
			t.Fatalf("stats %+v, %d frames", st, len(a))
		}
		// Reset in the middle must not break anything.
		d := NewDemuxer()
		d.Write(data[:len(data)/2])
		d.Reset()
		d.Write(data[len(data)/2:])
		d.Flush()
	})
}

// TestWriteFuzzCorpus regenerates testdata/fuzz/FuzzDemux from fuzzSeeds
// when MPEGPS_WRITE_CORPUS=1.
func TestWriteFuzzCorpus(t *testing.T) {
	if os.Getenv("MPEGPS_WRITE_CORPUS") != "1" {
		t.Skip("set MPEGPS_WRITE_CORPUS=1 to regenerate the seed corpus")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzDemux")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, s := range fuzzSeeds() {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed%02d", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
