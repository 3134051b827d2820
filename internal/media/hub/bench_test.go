package hub

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// BenchmarkFanout measures Publisher.Write cost per unit for a ~4 Mbit/s
// stream (25 fps, ~20 KB units, a keyframe every 50) fanned out to N readers
// draining in their own goroutines. ns/op is per written unit.
func BenchmarkFanout(b *testing.B) {
	for _, n := range []int{1, 10, 100, 400} {
		b.Run(fmt.Sprintf("readers=%d", n), func(b *testing.B) {
			h := New(Options{})
			p, err := h.Publish("cam", testTracks[:1])
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			var wg sync.WaitGroup
			readers := make([]*Reader, n)
			for i := range n {
				r, err := h.Read(ctx, "cam", ReadOptions{})
				if err != nil {
					b.Fatal(err)
				}
				readers[i] = r
				wg.Go(func() {
					for {
						if _, err := r.Next(ctx); err != nil {
							return
						}
					}
				})
			}
			data := make([]byte, 20_000)
			now := time.Now()
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				p.Write(Unit{PTS: time.Duration(i) * 40 * time.Millisecond, Keyframe: i%50 == 0, Data: data, Received: now})
			}
			b.StopTimer()
			p.Close()
			wg.Wait()
			var dropped uint64
			for _, r := range readers {
				dropped += r.Dropped()
				r.Close()
			}
			b.ReportMetric(float64(dropped)/float64(b.N)/float64(n), "drops/unit/reader")
		})
	}
}
