package rtmp

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bluenviron/gortmplib"

	"github.com/vionet/vionet/internal/media/hub"
	"github.com/vionet/vionet/internal/media/mediatest"
	"github.com/vionet/vionet/internal/media/token"
)

// BenchmarkFanout publishes 20 KB H.264 access units to a hub path played
// by N RTMP viewers (gortmplib clients that discard what they receive) and
// measures the time until every viewer has received every unit. ns/op is
// per published unit; ns/delivery divides by the viewers. The publisher is
// paced so that no viewer queue overflows (no unit is dropped).
func BenchmarkFanout(b *testing.B) {
	for _, viewers := range []int{1, 10} {
		b.Run(fmt.Sprintf("viewers=%d", viewers), func(b *testing.B) { benchFanout(b, viewers) })
	}
}

func benchFanout(b *testing.B, viewers int) {
	key, _ := token.NewKey([]byte("rtmp-bench-secret-0123456789"))
	h := hub.New(hub.Options{})
	srv, err := New(Options{Hub: h, Key: key, Addr: "127.0.0.1:0"})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()

	s := mediatest.Load(hub.H264)
	path := "bench/fanout"
	pub, err := h.Publish(path, []hub.Track{s.Track})
	if err != nil {
		b.Fatal(err)
	}
	defer pub.Close()
	pub.Write(s.Units[0]) // the keyframe viewers start on

	rng := rand.New(rand.NewPCG(1, 2))
	au := []byte{0, 0, 0, 1, 0x41}
	for range 20_000 - len(au) {
		au = append(au, byte(rng.IntN(255)+1))
	}

	received := make([]atomic.Int64, viewers)
	base := make([]int64, viewers)
	// slowest returns the bytes the slowest viewer received since base.
	slowest := func() int64 {
		m := received[0].Load() - base[0]
		for i := range received {
			m = min(m, received[i].Load()-base[i])
		}
		return m
	}
	var wg sync.WaitGroup
	tok := key.Sign(token.Claims{Path: path, Action: token.Read, Expires: time.Now().Add(time.Hour)})
	u, _ := url.Parse(fmt.Sprintf("rtmp://%s/%s?token=%s", srv.Addr(), path, tok))
	for v := range viewers {
		c := &gortmplib.Client{URL: u}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := c.Initialize(ctx)
		cancel()
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 64<<10)
			for {
				n, err := c.NetConn().Read(buf)
				received[v].Add(int64(n))
				if err != nil {
					return
				}
			}
		}()
	}
	waitFor(b, 10*time.Second, "viewers", func() bool { return h.Readers(path) == viewers })
	// Let the keyframe and headers arrive, then count from there.
	time.Sleep(200 * time.Millisecond)
	for i := range received {
		base[i] = received[i].Load()
	}
	perUnit := int64(len(au))

	b.SetBytes(int64(len(au)))
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		// Stay within 256 units of the slowest viewer (queues hold 1024).
		for int64(i-256)*perUnit > slowest() {
			time.Sleep(10 * time.Microsecond)
		}
		ts := time.Duration(i+1) * 40 * time.Millisecond
		pub.Write(hub.Unit{PTS: ts, DTS: ts, Data: au})
	}
	deadline := time.Now().Add(10 * time.Second)
	for slowest() < int64(b.N)*perUnit {
		if time.Now().After(deadline) {
			b.Fatalf("slowest viewer received %d of %d bytes", slowest(), int64(b.N)*perUnit)
		}
		time.Sleep(50 * time.Microsecond)
	}
	b.StopTimer()
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N*viewers), "ns/delivery")
	srv.Close()
	wg.Wait()
}
