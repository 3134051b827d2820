package psrtp

import (
	"fmt"
	"testing"
	"time"
)

type jitterRec struct {
	seqs []uint16
	gaps []bool
}

func newTestJitter(size int, immediate bool) (*jitter, *jitterRec) {
	rec := &jitterRec{}
	j := newJitter(size, 100*time.Millisecond, 1<<20, immediate, func(p *jpkt, gap bool) {
		rec.seqs = append(rec.seqs, p.seq)
		rec.gaps = append(rec.gaps, gap)
	})
	return j, rec
}

func TestJitterReorder(t *testing.T) {
	j, rec := newTestJitter(8, false)
	t0 := time.Unix(0, 0)
	for _, s := range []uint16{65534, 0, 65535, 1, 3, 2} { // across the wrap
		j.push(jpkt{seq: s, at: t0})
	}
	if got := fmt.Sprint(rec.seqs); got != "[65534 65535 0 1 2 3]" {
		t.Errorf("order %s", got)
	}
	if j.lost != 0 || j.reorder != 2 || j.count != 0 {
		t.Errorf("lost %d reorder %d queued %d", j.lost, j.reorder, j.count)
	}
	j.push(jpkt{seq: 2, at: t0}) // late duplicate
	if j.late != 1 {
		t.Errorf("late %d", j.late)
	}
}

func TestJitterLossAfterDelay(t *testing.T) {
	j, rec := newTestJitter(8, false)
	t0 := time.Unix(0, 0)
	j.push(jpkt{seq: 10, at: t0})
	j.push(jpkt{seq: 12, at: t0.Add(10 * time.Millisecond)})
	j.push(jpkt{seq: 13, at: t0.Add(20 * time.Millisecond)})
	if d, ok := j.deadline(); !ok || d != t0.Add(110*time.Millisecond) {
		t.Errorf("deadline %v %v", d, ok)
	}
	j.tick(t0.Add(100 * time.Millisecond))
	if len(rec.seqs) != 1 {
		t.Fatalf("gave up too early: %v", rec.seqs)
	}
	j.tick(t0.Add(110 * time.Millisecond))
	if fmt.Sprint(rec.seqs, rec.gaps) != "[10 12 13] [false true false]" || j.lost != 1 {
		t.Errorf("got %v %v lost %d", rec.seqs, rec.gaps, j.lost)
	}
	j.push(jpkt{seq: 11, at: t0}) // arrives after being given up
	if j.late != 1 || len(rec.seqs) != 3 {
		t.Errorf("late %d", j.late)
	}
	if _, ok := j.deadline(); ok {
		t.Error("deadline with nothing queued")
	}
}

func TestJitterBounded(t *testing.T) {
	j, rec := newTestJitter(8, false)
	t0 := time.Unix(0, 0)
	j.push(jpkt{seq: 0, at: t0})
	for s := uint16(2); s < 30; s++ { // 1 never comes; the ring holds 8
		j.push(jpkt{seq: s, at: t0})
		if j.count > 8 {
			t.Fatalf("%d queued", j.count)
		}
	}
	if j.lost != 1 || rec.seqs[1] != 2 || !rec.gaps[1] {
		t.Errorf("lost %d, %v %v", j.lost, rec.seqs, rec.gaps)
	}
	// A jump far ahead: everything more than a ring behind is lost at once,
	// the rest of the hole after the delay.
	j.push(jpkt{seq: 1000, at: t0})
	if j.lost != 1+(1000-8+1-30) || len(rec.seqs) != 29 {
		t.Errorf("after jump: lost %d, emitted %d", j.lost, len(rec.seqs))
	}
	j.tick(t0.Add(time.Second))
	if j.lost != 1+(1000-30) || rec.seqs[len(rec.seqs)-1] != 1000 || !rec.gaps[len(rec.gaps)-1] {
		t.Errorf("after jump: lost %d last %v", j.lost, rec.seqs[len(rec.seqs)-1])
	}
	// A sequence restart far behind.
	j.push(jpkt{seq: 0, at: t0})
	if j.restarts != 1 || rec.seqs[len(rec.seqs)-1] != 0 || !rec.gaps[len(rec.gaps)-1] {
		t.Errorf("restart: %d, last %v", j.restarts, rec.seqs[len(rec.seqs)-1])
	}
}

func TestJitterImmediate(t *testing.T) {
	j, rec := newTestJitter(8, true)
	t0 := time.Unix(0, 0)
	for _, s := range []uint16{1, 2, 4, 5} {
		j.push(jpkt{seq: s, at: t0})
	}
	if fmt.Sprint(rec.seqs, rec.gaps) != "[1 2 4 5] [false false true false]" || j.lost != 1 || j.count != 0 {
		t.Errorf("got %v %v lost %d", rec.seqs, rec.gaps, j.lost)
	}
}

func TestClock(t *testing.T) {
	var c clock
	// PTS across the 33-bit wrap, with B-frame style PTS > DTS.
	start := int64(1<<33 - 7200)
	for i := range 6 {
		dts := (start + int64(i)*3600) % (1 << 33)
		pts := (dts + 7200) % (1 << 33)
		p, d := c.frame(pts, dts, 0)
		if d != int64(i)*3600 || p != d+7200 {
			t.Fatalf("frame %d: pts %d dts %d", i, p, d)
		}
	}
	// A camera clock reset (a jump by hours) continues one step later.
	p, d := c.frame(1<<31, -1, 0)
	if d != 6*3600 || p != d {
		t.Errorf("after reset: %d %d", p, d)
	}
	p, d = c.frame(1<<31+3600, -1, 0)
	if d != 7*3600 {
		t.Errorf("after reset +1: %d %d", p, d)
	}

	// RTP timestamps only, across the 32-bit wrap.
	var r clock
	for i := range 5 {
		_, d := r.frame(-1, -1, uint32(1<<32-7200+int64(i)*3600))
		if d != int64(i)*3600 {
			t.Fatalf("rtp frame %d: %d", i, d)
		}
	}
	// Mixed: a frame without PTS follows the last PTS via the RTP offset.
	var m clock
	m.frame(1000, -1, 50000)
	if _, d := m.frame(-1, -1, 53600); d != 3600 {
		t.Errorf("mixed: %d", d)
	}
	if ticks(90000) != time.Second || ticks(3600) != 40*time.Millisecond {
		t.Error("ticks")
	}
}
