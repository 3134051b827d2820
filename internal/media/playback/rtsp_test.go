package playback

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/vionet/vionet/internal/media/hub"
	"github.com/vionet/vionet/internal/media/servers/rtsp"
	"github.com/vionet/vionet/internal/media/token"
)

// TestPlaybackOverRTSP plays a recording the way the app will: an RTSP
// viewer asks for rec/<id>, the server's Demand hook starts the playback
// session, and ffmpeg records what it receives. The copy must be the
// recorded codec and size and decode without errors, across a segment
// boundary and a gap.
func TestPlaybackOverRTSP(t *testing.T) {
	t.Parallel()
	for _, codec := range []hub.Codec{hub.H264, hub.H265} {
		t.Run(codec.String(), func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
			defer cancel()
			dir := t.TempDir()
			segs := segmentsOf(makeSegmentFile(t, dir, codec, codec == hub.H264), 2, t0, 10*time.Second)
			h := hub.New(hub.Options{})
			key, err := token.NewKey([]byte("0123456789abcdef0123456789abcdef"))
			if err != nil {
				t.Fatal(err)
			}
			var (
				mu       sync.Mutex
				sessions []*Session
			)
			defer func() {
				for _, s := range sessions {
					s.Close()
				}
			}()
			srv, err := rtsp.New(rtsp.Options{Hub: h, Key: key, Addr: "127.0.0.1:0",
				Demand: func(_ context.Context, path string, _ token.Claims) error {
					s, err := Publish(ctx, Options{Hub: h, Path: path, Segments: segs,
						From: t0.Add(time.Second), To: segs[1].End})
					if err != nil {
						return err
					}
					mu.Lock()
					sessions = append(sessions, s)
					mu.Unlock()
					return nil
				}})
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			path := "rec/" + codec.String()
			tok := key.Sign(token.Claims{Path: path, Action: token.Read, Expires: time.Now().Add(time.Minute)})
			url := "rtsp://" + srv.Addr().String() + "/" + path + "?token=" + tok
			out := filepath.Join(dir, "copy.mp4")
			start := time.Now()
			ffmpegRun(t, ctx, "-rtsp_transport", "tcp", "-i", url, "-c", "copy", "-t", "1.5", out)
			p := ffprobe(t, out)
			want := map[hub.Codec]string{hub.H264: "h264", hub.H265: "hevc"}[codec]
			if len(p.Streams) == 0 || p.Streams[0].CodecName != want || p.Streams[0].Width != 320 || p.Streams[0].Height != 240 {
				t.Fatalf("copy: %+v, want %s 320x240", p.Streams, want)
			}
			// 1 s of the first segment, then the second one at once: the
			// 10 s gap is not waited for.
			if d, took := p.duration(t), time.Since(start); d < 1400*time.Millisecond || took > 6*time.Second {
				t.Errorf("a %v copy took %v", d, took)
			}
			decodeClean(t, ctx, out)
		})
	}
}
