package playback

import (
	"bytes"
	"context"
	"errors"
	"image/jpeg"
	"testing"
	"time"

	"github.com/vionet/vionet/internal/media/formats/h26x"
	"github.com/vionet/vionet/internal/media/hub"
	"github.com/vionet/vionet/internal/media/snapshot"
)

func TestThumbnail(t *testing.T) {
	t.Parallel()
	for _, codec := range []hub.Codec{hub.H264, hub.H265} {
		t.Run(codec.String(), func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			segs := segmentsOf(makeSegmentFile(t, t.TempDir(), codec, true), 2, t0, 3*time.Second)
			// 2.5 s: inside the second segment's first second.
			c, config, au, err := Thumbnail(ctx, segs, segs[1].Start.Add(500*time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			if c != codec || !h26x.IsKeyframe(h26xCodec(c), au) {
				t.Fatalf("codec %v, keyframe %v", c, h26x.IsKeyframe(h26xCodec(c), au))
			}
			if !h26x.FindParamSets(h26xCodec(c), config).Complete(h26xCodec(c)) {
				t.Fatal("config lacks parameter sets")
			}
			img, err := snapshot.FromAccessUnit(ctx, c, config, au, snapshot.Options{})
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := jpeg.DecodeConfig(bytes.NewReader(img))
			if err != nil || cfg.Width != 320 || cfg.Height != 240 {
				t.Fatalf("JPEG %dx%d, %v", cfg.Width, cfg.Height, err)
			}
			// In the gap and after the end: nothing.
			for _, at := range []time.Time{t0.Add(3 * time.Second), t0.Add(time.Hour), t0.Add(-time.Second)} {
				if _, _, _, err := Thumbnail(ctx, segs, at); !errors.Is(err, ErrNoData) {
					t.Errorf("at %v: %v, want ErrNoData", at, err)
				}
			}
		})
	}
}
