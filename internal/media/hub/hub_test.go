package hub

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"
)

var testTracks = []Track{
	{ID: 0, Codec: H264, ClockRate: 90000, Width: 1920, Height: 1080, Config: []byte{0, 0, 0, 1, 0x67}},
	{ID: 1, Codec: AAC, ClockRate: 48000, Config: []byte{0x11, 0x90}},
}

func vunit(i int, key bool) Unit {
	return Unit{Track: 0, PTS: time.Duration(i) * 40 * time.Millisecond, DTS: time.Duration(i) * 40 * time.Millisecond, Keyframe: key, Data: []byte{byte(i), byte(i >> 8)}}
}

func seq(u Unit) int { return int(u.Data[0]) | int(u.Data[1])<<8 }

// checkGoroutines fails t if goroutines started during the test are still running at its end.
func checkGoroutines(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(2 * time.Second)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<16)
				n := runtime.Stack(buf, true)
				t.Errorf("goroutine leak: %d > %d\n%s", runtime.NumGoroutine(), before, buf[:n])
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
}

func next(t *testing.T, r *Reader) Unit {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	u, err := r.Next(ctx)
	if err != nil {
		t.Fatalf("Next: %v", err)
	}
	return u
}

func TestLateReaderStartsOnKeyframe(t *testing.T) {
	checkGoroutines(t)
	h := New(Options{})
	p, err := h.Publish("cam", testTracks)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	// 0..4 first GOP, 5 keyframe, 6..8 P-frames, plus audio.
	for i := range 9 {
		p.Write(vunit(i, i == 0 || i == 5))
		p.Write(Unit{Track: 1, Data: []byte{byte(100 + i), 0}})
	}
	r, err := h.Read(context.Background(), "cam", ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got := r.Tracks(); len(got) != 2 || got[0].Codec != H264 || got[1].Codec != AAC {
		t.Fatalf("tracks %+v", got)
	}
	u := next(t, r)
	if !u.Keyframe || seq(u) != 5 {
		t.Fatalf("first unit %d key=%v, want keyframe 5", seq(u), u.Keyframe)
	}
	// GOP: audio 105, v6, a106, v7, a107, v8, a108
	want := []int{105, 6, 106, 7, 107, 8, 108}
	for _, w := range want {
		if got := seq(next(t, r)); got != w {
			t.Fatalf("got %d want %d", got, w)
		}
	}
	// Live follows without gap or duplicate.
	p.Write(vunit(9, false))
	if got := seq(next(t, r)); got != 9 {
		t.Fatalf("live got %d want 9", got)
	}
	if r.Dropped() != 0 {
		t.Fatalf("dropped %d", r.Dropped())
	}
}

func TestNoGOPBeforeFirstKeyframe(t *testing.T) {
	h := New(Options{})
	p, _ := h.Publish("cam", testTracks)
	defer p.Close()
	p.Write(vunit(1, false))
	r, err := h.Read(context.Background(), "cam", ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	p.Write(vunit(2, true))
	if u := next(t, r); seq(u) != 2 {
		t.Fatalf("got %d", seq(u))
	}
}

func TestSlowReaderDropsUntilKeyframe(t *testing.T) {
	checkGoroutines(t)
	h := New(Options{})
	p, _ := h.Publish("cam", testTracks)
	defer p.Close()
	slow, _ := h.Read(context.Background(), "cam", ReadOptions{QueueSize: 4})
	defer slow.Close()
	fast, _ := h.Read(context.Background(), "cam", ReadOptions{QueueSize: 4})
	defer fast.Close()

	var fastGot []int
	write := func(i int, key bool) {
		p.Write(vunit(i, key))
		fastGot = append(fastGot, seq(next(t, fast)))
	}
	write(0, true)
	for i := 1; i < 10; i++ { // slow queue holds 0..3, drops 4..9
		write(i, false)
	}
	if d := slow.Dropped(); d != 6 {
		t.Fatalf("dropped %d want 6", d)
	}
	for i := range 4 {
		if got := seq(next(t, slow)); got != i {
			t.Fatalf("slow got %d want %d", got, i)
		}
	}
	// Still lagging: non-keyframes dropped even though there is room now.
	write(10, false)
	write(11, true)
	write(12, false)
	if got := seq(next(t, slow)); got != 11 {
		t.Fatalf("slow resumed on %d, want keyframe 11", got)
	}
	if got := seq(next(t, slow)); got != 12 {
		t.Fatalf("slow got %d want 12", got)
	}
	if d := slow.Dropped(); d != 7 {
		t.Fatalf("dropped %d want 7", d)
	}
	for i, v := range fastGot {
		if v != i {
			t.Fatalf("fast reader out of order at %d: %v", i, fastGot)
		}
	}
	if fast.Dropped() != 0 {
		t.Fatal("fast reader dropped")
	}
}

func TestMaxLagClosesReader(t *testing.T) {
	checkGoroutines(t)
	var mu sync.Mutex
	var evs []Event
	h := New(Options{OnEvent: func(e Event) { mu.Lock(); evs = append(evs, e); mu.Unlock() }})
	p, _ := h.Publish("cam", testTracks)
	defer p.Close()
	r, _ := h.Read(context.Background(), "cam", ReadOptions{QueueSize: 2, MaxLag: time.Second})
	defer r.Close()
	t0 := time.Now()
	for i := range 5 {
		u := vunit(i, i == 0)
		u.Received = t0.Add(time.Duration(i) * 600 * time.Millisecond)
		p.Write(u)
	}
	if n := h.Readers("cam"); n != 0 {
		t.Fatalf("readers %d", n)
	}
	if _, err := r.Next(context.Background()); !errors.Is(err, ErrTooSlow) {
		t.Fatalf("err %v want ErrTooSlow", err)
	}
	mu.Lock()
	defer mu.Unlock()
	last := evs[len(evs)-1]
	if last.Kind != ReaderRemoved || last.Readers != 0 {
		t.Fatalf("last event %+v", last)
	}
}

func TestPublisherCloseEndsReaders(t *testing.T) {
	checkGoroutines(t)
	h := New(Options{})
	p, _ := h.Publish("cam", testTracks)
	var rs []*Reader
	for range 3 {
		r, err := h.Read(context.Background(), "cam", ReadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	p.Write(vunit(0, true))
	// A reader blocked in Next must wake up too.
	blocked := make(chan error, 1)
	r0 := rs[0]
	next(t, r0)
	go func() { _, err := r0.Next(context.Background()); blocked <- err }()
	time.Sleep(10 * time.Millisecond)
	p.Close()
	p.Close()
	if err := <-blocked; !errors.Is(err, ErrClosed) {
		t.Fatalf("blocked Next: %v", err)
	}
	for _, r := range rs[1:] {
		if u := next(t, r); seq(u) != 0 { // queued units are drained first
			t.Fatalf("got %d", seq(u))
		}
		if _, err := r.Next(context.Background()); !errors.Is(err, ErrClosed) {
			t.Fatalf("err %v", err)
		}
		r.Close()
	}
	p.Write(vunit(1, true)) // no-op after Close
	if _, err := h.Read(context.Background(), "cam", ReadOptions{}); !errors.Is(err, ErrNoPublisher) {
		t.Fatalf("err %v", err)
	}
	if len(h.Paths()) != 0 {
		t.Fatal("path still listed")
	}
}

func TestReaderClose(t *testing.T) {
	h := New(Options{})
	p, _ := h.Publish("cam", testTracks)
	defer p.Close()
	r, _ := h.Read(context.Background(), "cam", ReadOptions{})
	p.Write(vunit(0, true))
	r.Close()
	r.Close()
	if _, err := r.Next(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("err %v", err)
	}
	if h.Readers("cam") != 0 {
		t.Fatal("reader still attached")
	}
	ctx, cancel := context.WithCancel(context.Background())
	r2, _ := h.Read(ctx, "cam", ReadOptions{})
	defer r2.Close()
	next(t, r2) // GOP
	cancel()
	if _, err := r2.Next(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
}

func TestReadWaitsForPublisher(t *testing.T) {
	checkGoroutines(t)
	h := New(Options{})
	if _, err := h.Read(context.Background(), "cam", ReadOptions{}); !errors.Is(err, ErrNoPublisher) {
		t.Fatalf("err %v", err)
	}
	start := time.Now()
	if _, err := h.Read(context.Background(), "cam", ReadOptions{Wait: 30 * time.Millisecond}); !errors.Is(err, ErrNoPublisher) {
		t.Fatalf("err %v", err)
	}
	if time.Since(start) < 30*time.Millisecond {
		t.Fatal("did not wait")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Read(ctx, "cam", ReadOptions{Wait: time.Second}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
	if len(h.waiters) != 0 {
		t.Fatal("waiter leaked")
	}

	type res struct {
		r   *Reader
		err error
	}
	ch := make(chan res, 2)
	for range 2 {
		go func() {
			r, err := h.Read(context.Background(), "cam", ReadOptions{Wait: 5 * time.Second})
			ch <- res{r, err}
		}()
	}
	time.Sleep(20 * time.Millisecond)
	p, err := h.Publish("cam", testTracks)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for range 2 {
		got := <-ch
		if got.err != nil {
			t.Fatal(got.err)
		}
		p.Write(vunit(7, true))
		defer got.r.Close()
	}
	if n := h.Readers("cam"); n != 2 {
		t.Fatalf("readers %d", n)
	}
}

func TestPathBusy(t *testing.T) {
	h := New(Options{})
	p, err := h.Publish("cam", testTracks)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Publish("cam", testTracks); !errors.Is(err, ErrPathBusy) {
		t.Fatalf("err %v", err)
	}
	if _, err := h.Publish("other", nil); !errors.Is(err, ErrNoTracks) {
		t.Fatalf("err %v", err)
	}
	p.Close()
	p2, err := h.Publish("cam", testTracks)
	if err != nil {
		t.Fatalf("republish: %v", err)
	}
	p2.Close()
}

func TestEvents(t *testing.T) {
	checkGoroutines(t)
	var evs []Event
	var h *Hub
	h = New(Options{OnEvent: func(e Event) {
		evs = append(evs, e)
		// Handlers may call back into the hub.
		_ = h.Readers(e.Path)
		_ = h.Paths()
	}})
	p, _ := h.Publish("cam", testTracks)
	r1, _ := h.Read(context.Background(), "cam", ReadOptions{})
	r2, _ := h.Read(context.Background(), "cam", ReadOptions{})
	p.Write(vunit(0, true))
	p.Write(vunit(1, false))
	infos := h.Paths()
	if len(infos) != 1 || infos[0].Path != "cam" || infos[0].Readers != 2 || infos[0].UnitsIn != 2 || infos[0].BytesIn != 4 || len(infos[0].Tracks) != 2 || infos[0].Since.IsZero() {
		t.Fatalf("paths %+v", infos)
	}
	r1.Close()
	r3, _ := h.Read(context.Background(), "cam", ReadOptions{})
	r3.Close()
	p.Close()
	r2.Close() // already detached: no event
	want := []Event{
		{PublisherUp, "cam", 0},
		{ReaderAdded, "cam", 1},
		{ReaderAdded, "cam", 2},
		{ReaderRemoved, "cam", 1},
		{ReaderAdded, "cam", 2},
		{ReaderRemoved, "cam", 1},
		{PublisherDown, "cam", 1},
		{ReaderRemoved, "cam", 0},
	}
	if fmt.Sprint(evs) != fmt.Sprint(want) {
		t.Fatalf("events\n got %v\nwant %v", evs, want)
	}
}

func TestEventHandlerReentrant(t *testing.T) {
	// An on-demand style handler that closes the publisher when the last reader leaves.
	var h *Hub
	var p *Publisher
	var kinds []EventKind
	h = New(Options{OnEvent: func(e Event) {
		kinds = append(kinds, e.Kind)
		if e.Kind == ReaderRemoved && e.Readers == 0 && p != nil {
			p.Close()
		}
	}})
	p, _ = h.Publish("cam", testTracks)
	r, _ := h.Read(context.Background(), "cam", ReadOptions{})
	r.Close()
	if len(h.Paths()) != 0 {
		t.Fatal("publisher not closed by handler")
	}
	if fmt.Sprint(kinds) != fmt.Sprint([]EventKind{PublisherUp, ReaderAdded, ReaderRemoved, PublisherDown}) {
		t.Fatalf("kinds %v", kinds)
	}
}

func TestGOPBounds(t *testing.T) {
	t.Run("units", func(t *testing.T) {
		h := New(Options{GOPMaxUnits: 3})
		p, _ := h.Publish("cam", testTracks[:1])
		defer p.Close()
		p.Write(vunit(0, true))
		p.Write(vunit(1, false))
		p.Write(vunit(2, false))
		if n := len(p.s.gop); n != 3 {
			t.Fatalf("gop %d", n)
		}
		p.Write(vunit(3, false)) // overflows: cache discarded until next keyframe
		if p.s.gopValid || len(p.s.gop) != 0 {
			t.Fatal("gop not discarded")
		}
		r, _ := h.Read(context.Background(), "cam", ReadOptions{})
		defer r.Close()
		p.Write(vunit(4, false))
		p.Write(vunit(5, true))
		if u := next(t, r); seq(u) != 4 { // live units follow; caller may wait for a keyframe
			t.Fatalf("got %d", seq(u))
		}
		if len(p.s.gop) != 1 || !p.s.gopValid {
			t.Fatal("gop not restarted on keyframe")
		}
	})
	t.Run("bytes", func(t *testing.T) {
		h := New(Options{GOPMaxBytes: 5})
		p, _ := h.Publish("cam", testTracks[:1])
		defer p.Close()
		p.Write(vunit(0, true))
		p.Write(vunit(1, false))
		if p.s.gopBytes != 4 {
			t.Fatalf("bytes %d", p.s.gopBytes)
		}
		p.Write(vunit(2, false))
		if p.s.gopValid || p.s.gopBytes != 0 {
			t.Fatal("gop not discarded on bytes")
		}
	})
	t.Run("larger than queue", func(t *testing.T) {
		h := New(Options{})
		p, _ := h.Publish("cam", testTracks[:1])
		defer p.Close()
		for i := range 10 {
			p.Write(vunit(i, i == 0))
		}
		r, _ := h.Read(context.Background(), "cam", ReadOptions{QueueSize: 4})
		defer r.Close()
		p.Write(vunit(10, false))
		p.Write(vunit(11, true))
		if u := next(t, r); seq(u) != 11 {
			t.Fatalf("got %d, want to start on next keyframe", seq(u))
		}
	})
	t.Run("audio only", func(t *testing.T) {
		h := New(Options{})
		p, _ := h.Publish("mic", []Track{{ID: 3, Codec: G711A, ClockRate: 8000}})
		defer p.Close()
		r, _ := h.Read(context.Background(), "mic", ReadOptions{QueueSize: 1})
		defer r.Close()
		p.Write(Unit{Track: 3, Data: []byte{1, 0}})
		p.Write(Unit{Track: 3, Data: []byte{2, 0}}) // dropped
		next(t, r)
		p.Write(Unit{Track: 3, Data: []byte{3, 0}}) // every audio unit is a sync point
		if u := next(t, r); seq(u) != 3 || r.Dropped() != 1 {
			t.Fatalf("got %d dropped %d", seq(u), r.Dropped())
		}
		if len(p.s.gop) != 0 {
			t.Fatal("audio-only path cached")
		}
	})
}

func TestWriteNoPerReaderAlloc(t *testing.T) {
	h := New(Options{})
	p, _ := h.Publish("cam", testTracks[:1])
	defer p.Close()
	var rs []*Reader
	for range 50 {
		r, _ := h.Read(context.Background(), "cam", ReadOptions{QueueSize: 8})
		rs = append(rs, r)
		defer r.Close()
	}
	data := make([]byte, 100)
	now := time.Now()
	i := 0
	allocs := testing.AllocsPerRun(200, func() {
		p.Write(Unit{Data: data, Keyframe: i%50 == 0, Received: now})
		i++
		for _, r := range rs {
			r.Next(context.Background())
		}
	})
	if allocs > 1 {
		t.Fatalf("allocs per write with 50 readers: %v", allocs)
	}
}

func TestStress(t *testing.T) {
	checkGoroutines(t)
	var evMu sync.Mutex
	counts := map[string]int{}
	h := New(Options{QueueSize: 64, OnEvent: func(e Event) {
		evMu.Lock()
		counts[e.Path] = e.Readers
		evMu.Unlock()
	}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const paths = 4
	var wg sync.WaitGroup
	for pi := range paths {
		path := fmt.Sprintf("cam%d", pi)
		wg.Go(func() { // publisher: republishes a few times
			data := make([]byte, 1000)
			for round := range 3 {
				p, err := h.Publish(path, testTracks)
				if err != nil {
					t.Error(err)
					return
				}
				for i := range 2000 {
					p.Write(Unit{Track: i % 2, PTS: time.Duration(i), Keyframe: i%50 == 0, Data: data})
					if i%200 == 0 {
						runtime.Gosched()
					}
				}
				p.Close()
				_ = round
			}
		})
		for range 10 {
			wg.Go(func() { // readers joining and leaving
				for j := 0; ctx.Err() == nil && j < 30; j++ {
					r, err := h.Read(ctx, path, ReadOptions{Wait: 50 * time.Millisecond, QueueSize: 16 + j, MaxLag: 20 * time.Millisecond})
					if err != nil {
						continue
					}
					var last time.Duration = -1
					for k := 0; k < 100+j*10; k++ {
						u, err := r.Next(ctx)
						if err != nil {
							break
						}
						if u.Track == 0 && u.PTS <= last {
							t.Errorf("out of order: %v after %v", u.PTS, last)
						}
						if u.Track == 0 {
							last = u.PTS
						}
					}
					_ = r.Dropped()
					r.Close()
					_ = h.Paths()
				}
			})
		}
	}
	wg.Wait()
	for pi := range paths {
		if n := h.Readers(fmt.Sprintf("cam%d", pi)); n != 0 {
			t.Errorf("readers left: %d", n)
		}
	}
	evMu.Lock()
	for p, n := range counts {
		if n != 0 {
			t.Errorf("%s: last event count %d", p, n)
		}
	}
	evMu.Unlock()
}
