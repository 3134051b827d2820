package recorder

import (
	"bytes"
	"log/slog"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/vionet/vionet/internal/media/formats/h26x"
	"github.com/vionet/vionet/internal/media/hub"
	"github.com/vionet/vionet/internal/media/mediatest"
)

// stream4Mbps returns the sample's units padded with filler-data NAL units
// to the size of a 4 Mbit/s camera stream at 25 fps with a 1 s GOP:
// 120 kB keyframes and 15.8 kB P-frames, 500 kB per second.
func stream4Mbps(codec hub.Codec) (hub.Track, []hub.Unit, int) {
	s := mediatest.Load(codec)
	filler := func(n int) []byte {
		nal := bytes.Repeat([]byte{0xff}, n)
		if codec == hub.H265 {
			nal[0], nal[1] = 38<<1, 1 // FD_NUT
		} else {
			nal[0] = 12 // filler data
		}
		nal[n-1] = 0x80
		return nal
	}
	total := 0
	for i, u := range s.Units {
		size := 15800
		if u.Keyframe {
			size = 120000
		}
		if pad := size - len(u.Data) - 4; pad > 8 {
			u.Data = append(bytes.Clone(u.Data), h26x.JoinAnnexB(filler(pad))...)
		}
		s.Units[i] = u
		total += len(u.Data)
	}
	return s.Track, s.Units, total
}

// BenchmarkRecord4Mbps measures the recorder's own work per stream: units
// of a 4 Mbit/s stream go through the session (timestamp checks, parameter
// set check at keyframes, AVCC conversion, fragment marshaling) into a
// segment file on disk, fsynced every 2 s of media as in production, as
// fast as the CPU allows. The hub is left out: its cost per reader has its
// own benchmark. streams/core is seconds of media recorded per CPU second
// (user + system, fsync included), i.e. how many such streams one core
// keeps up with.
func BenchmarkRecord4Mbps(b *testing.B) {
	for _, c := range []hub.Codec{hub.H264, hub.H265} {
		b.Run(c.String(), func(b *testing.B) { benchRecord(b, c) })
	}
}

func benchRecord(b *testing.B, codec hub.Codec) {
	track, units, loopBytes := stream4Mbps(codec)
	period := time.Duration(len(units)) * time.Second / mediatest.FPS
	t0 := time.Now()
	mediaNow := t0
	r := &Recorder{
		opts: Options{
			MaxSegment: DefaultMaxSegment,
			Now:        time.Now,
			// Keep the disk from filling up: the segment was written.
			OnSegment: func(s Segment) { os.Remove(s.Path) },
		},
		log: slog.New(slog.DiscardHandler),
	}
	r.w = writer{dir: b.TempDir(), now: func() time.Time { return mediaNow }, sync: syncInterval, c: &r.c}
	s := &session{r: r, w: &r.w, p: makePlan([]hub.Track{track})}
	b.SetBytes(int64(loopBytes))
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := range b.N {
		off := time.Duration(i) * period
		for _, u := range units {
			u.PTS += off
			u.DTS += off
			mediaNow = t0.Add(u.DTS)
			s.video(&u)
		}
	}
	s.end(false)
	b.StopTimer()
	if n := r.c.errors.Load(); n > 0 {
		b.Fatalf("%d errors", n)
	}
	media := time.Duration(b.N) * period
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(media.Seconds()/cpu.Seconds(), "streams/core")
	}
}

// cpuTime is the CPU time (user + system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
