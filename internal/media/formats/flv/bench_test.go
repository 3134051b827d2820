package flv

import (
	"bytes"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/vionet/vionet/internal/media/hub"
	"github.com/vionet/vionet/internal/media/mediatest"
)

// BenchmarkWriteUnit measures one 20 KB H.264 access unit (two slices)
// turned into an FLV tag and written to io.Discard.
func BenchmarkWriteUnit(b *testing.B) {
	for _, codec := range []hub.Codec{hub.H264, hub.H265} {
		b.Run(codec.String(), func(b *testing.B) {
			s := mediatest.Load(codec)
			w, err := NewWriter(io.Discard, []hub.Track{s.Track})
			if err != nil {
				b.Fatal(err)
			}
			slice := byte(0x41) // H.264 non-IDR slice
			if codec == hub.H265 {
				slice = 0x02 // TRAIL_R
			}
			rng := rand.New(rand.NewPCG(1, 2))
			payload := make([]byte, 10_000)
			for i := range payload {
				payload[i] = byte(rng.IntN(255) + 1) // no accidental start codes
			}
			var au []byte
			for range 2 {
				au = append(au, 0, 0, 0, 1, slice)
				au = append(au, payload...)
			}
			if err := w.WriteUnit(s.Units[0]); err != nil {
				b.Fatal(err)
			}
			u := hub.Unit{Data: au}
			b.SetBytes(int64(len(au)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				u.DTS = time.Duration(i+1) * 40 * time.Millisecond
				u.PTS = u.DTS
				if err := w.WriteUnit(u); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkReadTag measures the reader on the same kind of tag.
func BenchmarkReadTag(b *testing.B) {
	s := mediatest.Load(hub.H264)
	var buf bytes.Buffer
	w, _ := NewWriter(&buf, []hub.Track{s.Track})
	for _, u := range s.Units {
		_ = w.WriteUnit(u)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r := bytes.NewReader(data)
		if _, err := ReadHeader(r); err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := ReadTag(r); err != nil {
				break
			}
		}
	}
}
