package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// fullRate is the share of the source rate a reader must receive to count as keeping up.
const fullRate = 0.95

// window is what one measured interval saw.
type window struct {
	rates     []float64 // bit/s per reader, in fleet order
	serverCPU float64   // % of one core
	clientCPU float64   // this process, % of one core
	pusherCPU float64   // ffmpeg, % of one core
	rssKiB    int64     // server VmRSS, median over the window
	pushRate  float64   // bit/s ffmpeg wrote
	lost      uint64    // RTP packets the readers found missing (RTSP)
}

// measure samples the fleet, the server, ffmpeg and this process over d.
func measure(ctx context.Context, f *fleet, srv *server, p *pusher, d time.Duration) (window, error) {
	c0, lost0 := f.counts(), f.lost()
	pb0, pt0 := p.written()
	sm, cm, pm := startCPU(srv.pid), startCPU(0), startCPU(p.pid)
	t0 := time.Now()
	// RSS moves with the garbage collector's cycles: the median of samples every 500 ms
	// is steadier than one reading.
	var rss []int64
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	end := time.After(d)
sampling:
	for {
		select {
		case <-ctx.Done():
			return window{}, ctx.Err()
		case <-tick.C:
			if v, err := procRSS(srv.pid); err == nil {
				rss = append(rss, v)
			}
		case <-end:
			break sampling
		}
	}
	c1 := f.counts()
	lost := f.lost() - lost0
	el := time.Since(t0).Seconds()
	w := window{serverCPU: sm.percent(), clientCPU: cm.percent(), pusherCPU: pm.percent(), lost: lost}
	pb1, pt1 := p.written()
	if dt := pt1.Sub(pt0).Seconds(); dt > 0 {
		w.pushRate = float64(pb1-pb0) * 8 / dt
	}
	w.rates = make([]float64, len(c1))
	for i := range c1 {
		w.rates[i] = float64(c1[i]-c0[i]) * 8 / el
	}
	if !srv.alive() || len(rss) == 0 {
		return w, fmt.Errorf("vionet gone: %v %s", srv.waitErr, srv.firstLines())
	}
	slices.Sort(rss)
	w.rssKiB = rss[len(rss)/2]
	return w, nil
}

// row is one line of the result table.
type row struct {
	proto       string
	n           int // readers asked for
	readers     int // readers connected
	dialFailed  int
	dead        int
	atFull      int // readers at ≥ fullRate of the source
	minRate     float64
	medRate     float64
	serverCPU   float64
	cpuPer      float64 // (server CPU − baseline) / readers
	rssMiB      float64
	kibPer      float64 // (RSS − baseline) / readers
	clientCPU   float64
	pusherCPU   float64
	pushRate    float64
	lost        uint64
	load        string
	firstErr    error // of the first failed dial
	endErr      error // of the first reader that ended
	profileFile string
}

func (r row) allFull() bool { return r.n > 0 && r.atFull == r.n }

// ladderRun is one protocol's run: a fresh server and pusher, the 0-reader baseline, then the
// ladder until readers stop getting the full rate.
type ladderRun struct {
	o    options
	bin  string // serves
	cli  string // signs URLs
	file string
	src  fileInfo
}

func (l ladderRun) run(ctx context.Context, proto string) (rows []row, logs []string, err error) {
	dir, err := os.MkdirTemp(l.o.workDir, "run-"+proto+"-")
	if err != nil {
		return nil, nil, err
	}
	if !l.o.keep {
		defer os.RemoveAll(dir)
	}
	set, err := newSettings(filepath.Join(dir, "data"))
	if err != nil {
		return nil, nil, err
	}
	u, err := signURLs(ctx, l.cli, set, "push/bench")
	if err != nil {
		return nil, nil, err
	}
	srv, err := startServer(ctx, l.bin, set, l.o.pprof != "")
	if err != nil {
		return nil, nil, err
	}
	defer func() { srv.stop(); logs = srv.logSummary() }()
	p, err := startPusher(l.file, u.Publish)
	if err != nil {
		return nil, nil, err
	}
	defer p.stop()
	if err := srv.waitPath(ctx, 20*time.Second); err != nil {
		if !p.alive() {
			return nil, nil, fmt.Errorf("%w; %s", err, p.failure())
		}
		return nil, nil, err
	}
	logf("%s: vionet pid %d, ffmpeg pushing; baseline with 0 readers", proto, srv.pid)
	if err := sleep(ctx, l.o.settle); err != nil {
		return nil, nil, err
	}
	f := &fleet{dial: dialerFor(proto, newFLVClient()), url: urlFor(proto, u), conc: l.o.conc}
	defer f.closeAll()
	base, err := measure(ctx, f, srv, p, l.o.baseline)
	if err != nil {
		return nil, nil, err
	}
	rows = append(rows, row{proto: proto, serverCPU: base.serverCPU, rssMiB: float64(base.rssKiB) / 1024,
		clientCPU: base.clientCPU, pusherCPU: base.pusherCPU, pushRate: base.pushRate, load: loadAvg()})

	for _, n := range l.o.ladder {
		t := time.Now()
		f.grow(ctx, n)
		logf("%s: %d readers connected in %s (%d dials failed)", proto, len(f.readers), time.Since(t).Round(time.Millisecond), f.dialFailed)
		if err := sleep(ctx, l.o.settle); err != nil {
			return rows, nil, err
		}
		var stopProfile func() error
		pf := ""
		if l.o.pprof != "" {
			pf = filepath.Join(l.o.pprof, fmt.Sprintf("%s.%d.cpu.pprof", proto, n))
			if stopProfile, err = srv.cpuProfile(ctx, pf); err != nil {
				return rows, nil, err
			}
		}
		w, err := measure(ctx, f, srv, p, l.o.window)
		if err != nil {
			return rows, nil, err
		}
		if stopProfile != nil {
			if err := stopProfile(); err != nil {
				return rows, nil, err
			}
		}
		if !p.alive() {
			return rows, nil, fmt.Errorf("pusher: %s", p.failure())
		}
		r := summarize(proto, n, f, w, base, l.src.bitrate)
		r.profileFile = pf
		rows = append(rows, r)
		logf("%s", r.logLine())
		if !r.allFull() {
			if l.o.pprof != "" {
				if err := srv.goroutineDump(ctx, filepath.Join(l.o.pprof, fmt.Sprintf("%s.%d.goroutines.txt", proto, n))); err != nil {
					logf("goroutine dump: %v", err)
				}
			}
			break
		}
	}
	if l.o.pprof != "" {
		if err := srv.heapProfile(ctx, filepath.Join(l.o.pprof, proto+".heap.pprof")); err != nil {
			logf("heap profile: %v", err)
		}
	}
	return rows, nil, nil
}

// summarize turns a window into a table row. Readers that never connected count as
// receiving nothing.
func summarize(proto string, n int, f *fleet, w, base window, src float64) row {
	rates := slices.Clone(w.rates)
	for len(rates) < n {
		rates = append(rates, 0)
	}
	slices.Sort(rates)
	r := row{proto: proto, n: n, readers: len(f.readers), dialFailed: f.dialFailed,
		serverCPU: w.serverCPU, rssMiB: float64(w.rssKiB) / 1024, clientCPU: w.clientCPU,
		pusherCPU: w.pusherCPU, pushRate: w.pushRate, lost: w.lost, load: loadAvg(), firstErr: f.firstErr}
	r.dead, r.endErr = f.dead()
	for _, x := range rates {
		if x >= fullRate*src {
			r.atFull++
		}
	}
	if len(rates) > 0 {
		r.minRate, r.medRate = rates[0], rates[len(rates)/2]
	}
	if n > 0 {
		r.cpuPer = (w.serverCPU - base.serverCPU) / float64(n)
		r.kibPer = float64(w.rssKiB-base.rssKiB) / float64(n)
	}
	return r
}

func (r row) logLine() string {
	s := fmt.Sprintf("%s N=%d: %d/%d at full rate, min %.2f median %.2f Mbit/s (pushed %.2f), vionet %.1f%% CPU, %.1f MiB, client %.1f%%, load %s",
		r.proto, r.n, r.atFull, r.n, r.minRate/1e6, r.medRate/1e6, r.pushRate/1e6, r.serverCPU, r.rssMiB, r.clientCPU, r.load)
	if r.dialFailed > 0 || r.dead > 0 {
		s += " (" + r.failures() + ")"
	}
	if r.lost > 0 {
		s += fmt.Sprintf(" (%d RTP packets lost in the window)", r.lost)
	}
	return s
}

// failures describes failed dials and readers that ended.
func (r row) failures() string {
	var parts []string
	if r.dialFailed > 0 {
		parts = append(parts, fmt.Sprintf("%d dials failed, first: %v", r.dialFailed, r.firstErr))
	}
	if r.dead > 0 {
		parts = append(parts, fmt.Sprintf("%d readers ended, first: %v", r.dead, r.endErr))
	}
	return strings.Join(parts, "; ")
}

func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
