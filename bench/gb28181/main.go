// Command gb28181 is a scale benchmark of vionet's GB/T 28181 SIP server: `vionet serve`
// runs as a child process (built from ./cmd/vionet) on a SQLite data dir provisioned
// beforehand with one tenant and N IPCs, and this process simulates the N devices with
// refdevice (one sipgo user agent and socket or TCP connection per device) on loopback.
//
//	go run ./bench/gb28181 [-devices 10000] [-tcp-devices 2000] [-concurrency 200]
//	    [-keepalive 20s] [-steady 60s] [-restart=true] [-vionet BIN] [-pprof DIR] [-v]
//
// Per transport it measures: the registration storm (all devices started, at most
// -concurrency at once), the steady state (keepalives only) with the server's CPU and RSS,
// a warm restart (SIGTERM, same data dir: vionet restores sessions from the database) and a
// cold restart (registrations cleared in the database first, so every device must register
// again). The load generator shares the machine's cores with the server. See bench/README.md.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/vionet/vionet/bench/internal/benchutil"
	"github.com/vionet/vionet/internal/conf"
	"github.com/vionet/vionet/internal/southbound/gb28181/refdevice"
)

type options struct {
	devices, tcpDevices int
	concurrency         int
	keepalive, steady   time.Duration
	restart             bool
	bin                 string
	verbose             bool
	keep                bool
	pprof               string
}

func main() {
	var o options
	flag.IntVar(&o.devices, "devices", 10000, "simulated devices over UDP (0 skips the UDP run)")
	flag.IntVar(&o.tcpDevices, "tcp-devices", 2000, "simulated devices over TCP (0 skips the TCP run)")
	flag.IntVar(&o.concurrency, "concurrency", 200, "devices registering at once during the storm")
	flag.DurationVar(&o.keepalive, "keepalive", 20*time.Second, "keepalive interval of the devices and the server (--sip-keepalive-interval)")
	flag.DurationVar(&o.steady, "steady", 60*time.Second, "measured steady-state window (keepalives only)")
	flag.BoolVar(&o.restart, "restart", true, "measure a warm and a cold server restart")
	flag.StringVar(&o.bin, "vionet", "", "vionet binary to run (default: go build ./cmd/vionet into a temp dir)")
	flag.BoolVar(&o.verbose, "v", false, "print the server's warn/error log lines as they come")
	flag.BoolVar(&o.keep, "keep", false, "keep the data dirs")
	flag.StringVar(&o.pprof, "pprof", "", "run the server as ./bench/gb28181/pprofserve (vionet serve + pprof) and write its CPU profiles (storm, steady, cold restart) and a heap profile (end of steady state) to this directory")
	flag.Parse()
	if o.devices < 0 || o.tcpDevices < 0 || o.concurrency < 1 || o.keepalive < time.Second || o.devices+o.tcpDevices == 0 {
		fmt.Fprintln(os.Stderr, "bench: want -devices/-tcp-devices ≥ 0 (not both 0), -concurrency ≥ 1, -keepalive ≥ 1s")
		os.Exit(2)
	}
	// sipgo logs connection bookkeeping through its package logger.
	sip.SetDefaultLogger(slog.New(slog.DiscardHandler))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code, err := run(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		code = 1
	}
	os.Exit(code)
}

// raiseNofile lifts the soft RLIMIT_NOFILE to the hard limit and reports it; each UDP
// device holds a socket and each TCP device a connection (and the server one per TCP
// device).
func raiseNofile() uint64 {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0
	}
	if rl.Cur < rl.Max {
		rl.Cur = rl.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl)
		_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl)
	}
	return rl.Cur
}

func run(ctx context.Context, o options) (int, error) {
	nofile := raiseNofile()
	if need := uint64(max(o.devices, o.tcpDevices) + 512); nofile < need {
		return 1, fmt.Errorf("RLIMIT_NOFILE is %d, %d devices need about %d (the hard limit can only be raised by root with CAP_SYS_RESOURCE)",
			nofile, max(o.devices, o.tcpDevices), need)
	}
	tmp, err := os.MkdirTemp("", "vionet-bench-gb-")
	if err != nil {
		return 1, err
	}
	if !o.keep {
		defer os.RemoveAll(tmp)
	}
	if o.pprof != "" {
		if o.bin != "" {
			return 1, fmt.Errorf("-pprof builds its own server; drop -vionet")
		}
		if err := os.MkdirAll(o.pprof, 0o755); err != nil {
			return 1, err
		}
	}
	built := o.bin
	if o.bin == "" {
		t0 := time.Now()
		pkg := "./cmd/vionet"
		if o.pprof != "" {
			pkg = "./bench/gb28181/pprofserve"
		}
		var root string
		if o.bin, root, err = benchutil.BuildVionet(ctx, tmp, pkg); err != nil {
			return 1, err
		}
		built = pkg + " at " + benchutil.TreeVersion(root)
		fmt.Fprintf(os.Stderr, "built %s in %s\n", built, fmtDur(time.Since(t0)))
	}
	tRun := time.Now()

	fmt.Printf("vionet GB/T 28181 scale benchmark: %s, GOMAXPROCS=%d, NumCPU=%d, %s/%s, RLIMIT_NOFILE %d\n",
		runtime.Version(), runtime.GOMAXPROCS(0), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, nofile)
	fmt.Printf("server: `vionet serve` child process (%s), SQLite, --sip-keepalive-interval %s\n", built, o.keepalive)
	fmt.Printf("devices: refdevice IPCs, one sipgo UA (and UDP socket or TCP connection) each, %d registering at once\n", o.concurrency)
	fmt.Printf("the simulated devices run in this process and share the %d cores with the server\n\n", runtime.NumCPU())

	var results []*result
	code := 0
	for _, p := range []struct {
		transport string
		n         int
	}{{refdevice.TransportUDP, o.devices}, {refdevice.TransportTCP, o.tcpDevices}} {
		if p.n == 0 {
			continue
		}
		dir, err := os.MkdirTemp(tmp, p.transport+"-")
		if err != nil {
			return 1, err
		}
		r := &result{transport: p.transport, n: p.n}
		results = append(results, r)
		err = r.run(ctx, o, dir)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench: %s run: %v\n", p.transport, err)
			code = 1
		}
		if r.neverRegistered > 0 {
			code = 1
		}
		if ctx.Err() != nil {
			break
		}
	}
	printTable(o, results)
	fmt.Printf("\ntotal %s (without the build)\n", fmtDur(time.Since(tRun).Truncate(time.Second)))
	if o.pprof != "" {
		fmt.Printf("server profiles in %s (go tool pprof -top FILE)\n", o.pprof)
	}
	if o.keep {
		fmt.Printf("\ndata dirs kept under %s\n", tmp)
	}
	return code, nil
}

// result is one transport's measurements.
type result struct {
	transport string
	n         int

	provision time.Duration
	idle      procStat // server with N devices provisioned, none registered
	idleHeap  float64

	// storm
	stormWall         time.Duration
	stormOK, stormErr int
	retriedOK         int
	neverRegistered   int
	firstErr          string
	lat               []time.Duration
	stormSrvCPU       float64
	stormGenCPU       float64
	stormPeakRSS      int64
	learnDone         time.Duration // from storm start until every device answered both learn queries
	learnFailed       int64
	learnComplete     bool
	stormUDP          udpCounters
	genRSSPerDev      float64
	genHeapPerDev     float64
	genGoroutines     int

	// steady
	steadyWall        time.Duration
	kaServer          float64 // keepalives the server counted
	steadyDev         totals  // device counter deltas
	steadySrvCPU      float64
	steadyGenCPU      float64
	rssStart, rssEnd  int64
	rssPeakSteady     int64
	heapInuse         float64
	heapIdle          float64
	goroutines        float64
	sessions          float64
	steadyRegistered  int
	steadyMeasuredRSS bool
	steadyUDP         udpCounters
	gcHeapInuse       float64 // after a forced GC (-pprof only)

	warm, cold restartResult
	logs       []logKind
	crashes    []string
}

type restartResult struct {
	ran        bool
	stopTook   time.Duration // SIGTERM → exit
	downtime   time.Duration // SIGTERM → new "sip listening"
	rec        recovery
	dev        totals // device counter deltas from before the stop until recovery
	peakRSS    int64  // VmHWM of the new process at recovery
	srvCPU     float64
	learnDone  time.Duration
	learnFails int64
	udp        udpCounters
}

func (r *result) run(ctx context.Context, o options, dir string) error {
	fmt.Fprintf(os.Stderr, "[%s] provisioning %d devices in %s\n", r.transport, r.n, dir)
	t0 := time.Now()
	devices, err := provision(ctx, dir, r.n)
	if err != nil {
		return fmt.Errorf("provision: %w", err)
	}
	r.provision = time.Since(t0)
	port, err := freeSIPPort()
	if err != nil {
		return err
	}
	sipAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	so := serverOpts{bin: o.bin, dataDir: dir, sipAddr: sipAddr, keepalive: o.keepalive, verbose: o.verbose, pprof: o.pprof != ""}
	srv, err := startServer(ctx, so, "first run")
	if err != nil {
		return err
	}
	servers := []*server{srv}
	defer func() {
		for _, s := range servers {
			r.logs = append(r.logs, s.logSummary()...)
			if s.exited() && !s.stopped {
				r.crashes = append(r.crashes, s.crashReport())
			}
		}
		slices.SortStableFunc(r.logs, func(a, b logKind) int { return b.n - a.n })
	}()
	profile := func(phase string) func() {
		if o.pprof == "" {
			return func() {}
		}
		file := filepath.Join(o.pprof, r.transport+"."+phase+".cpu.pprof")
		done, err := srv.cpuProfile(ctx, file)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench: cpu profile %s: %v\n", phase, err)
			return func() {}
		}
		return func() {
			if err := done(); err != nil {
				fmt.Fprintf(os.Stderr, "bench: cpu profile %s: %v\n", phase, err)
			}
		}
	}
	defer func() {
		select {
		case <-srv.done:
		default:
			srv.stop()
		}
	}()
	time.Sleep(time.Second)
	if r.idle, err = readProc(srv.pid); err != nil {
		return err
	}
	if m, err := srv.metrics(ctx); err == nil {
		r.idleHeap = m["go_memstats_heap_inuse_bytes"]
	}
	fmt.Fprintf(os.Stderr, "[%s] server pid %d on %s, idle RSS %s\n", r.transport, srv.pid, sipAddr, mib(r.idle.rss))

	base := refdevice.Config{
		ServerID: conf.Defaults().SIPID, ServerDomain: conf.Defaults().SIPDomain, ServerAddr: sipAddr,
		Transport: r.transport, LocalIP: "127.0.0.1", KeepaliveInterval: o.keepalive, KeepaliveMisses: 3,
	}
	f := newFleet(base, devices, o.concurrency)
	defer f.stop()

	// Registration storm.
	fmt.Fprintf(os.Stderr, "[%s] registration storm: %d devices, %d at once\n", r.transport, r.n, o.concurrency)
	runtime.GC()
	var ms0 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	gen0, _ := readProc(0)
	srv0, _ := readProc(srv.pid)
	udp0 := readUDP()
	stopProfile := profile("storm")
	sampler := sampleRSS(srv.pid, 200*time.Millisecond)
	all := make([]int, r.n)
	for i := range all {
		all[i] = i
	}
	tStorm := time.Now()
	r.stormOK, r.stormErr = f.start(ctx, all)
	r.stormWall = time.Since(tStorm)
	srv1, _ := readProc(srv.pid)
	gen1, _ := readProc(0)
	r.stormSrvCPU, r.stormGenCPU = cpuPct(srv0, srv1), cpuPct(gen0, gen1)
	r.lat = f.latencies()
	r.firstErr = f.firstError()
	fmt.Fprintf(os.Stderr, "[%s] storm: %d registered, %d failed in %s (%.0f/s)\n", r.transport, r.stormOK, r.stormErr,
		fmtDur(r.stormWall), float64(r.stormOK)/r.stormWall.Seconds())
	for attempt := 0; attempt < 2 && len(f.failedIdx()) > 0 && ctx.Err() == nil; attempt++ {
		time.Sleep(2 * time.Second)
		ok, _ := f.start(ctx, f.failedIdx())
		r.retriedOK += ok
	}
	r.neverRegistered = len(f.failedIdx())

	// The server asks every newly registered device for DeviceInfo and Catalog; wait until
	// the devices answered both, so the steady state is keepalives only.
	r.learnDone, r.learnFailed, r.learnComplete = awaitLearn(ctx, f, tStorm, totals{}, 120*time.Second)
	stopProfile()
	r.stormPeakRSS = sampler.finish()
	r.stormUDP = readUDP().sub(udp0)
	fmt.Fprintf(os.Stderr, "[%s] learn queries answered after %s (complete %v)\n", r.transport, fmtDur(r.learnDone), r.learnComplete)
	runtime.GC()
	var ms1 runtime.MemStats
	runtime.ReadMemStats(&ms1)
	genNow, _ := readProc(0)
	running := float64(max(1, f.totals().running))
	r.genRSSPerDev = float64(genNow.rss-gen0.rss) / running
	r.genHeapPerDev = (float64(ms1.HeapInuse+ms1.StackInuse) - float64(ms0.HeapInuse+ms0.StackInuse)) / running
	r.genGoroutines = runtime.NumGoroutine()
	if ctx.Err() != nil {
		return ctx.Err()
	}

	// Steady state: keepalives only.
	time.Sleep(2 * time.Second)
	fmt.Fprintf(os.Stderr, "[%s] steady state for %s\n", r.transport, o.steady)
	m0, err := srv.metrics(ctx)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	s0, _ := readProc(srv.pid)
	g0, _ := readProc(0)
	d0 := f.totals()
	u0 := readUDP()
	sampler = sampleRSS(srv.pid, time.Second)
	stopProfile = profile("steady")
	select {
	case <-time.After(o.steady):
	case <-ctx.Done():
		return ctx.Err()
	}
	stopProfile()
	s1, _ := readProc(srv.pid)
	g1, _ := readProc(0)
	d1 := f.totals()
	r.steadyUDP = readUDP().sub(u0)
	m1, err := srv.metrics(ctx)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	r.rssPeakSteady = sampler.finish()
	r.steadyWall = s1.at.Sub(s0.at)
	r.kaServer = m1[`vionet_gb28181_messages_total{cmd="Keepalive"}`] - m0[`vionet_gb28181_messages_total{cmd="Keepalive"}`]
	r.steadyDev = d1.sub(d0)
	r.steadyRegistered = d1.registered
	r.steadySrvCPU, r.steadyGenCPU = cpuPct(s0, s1), cpuPct(g0, g1)
	r.rssStart, r.rssEnd = s0.rss, s1.rss
	r.heapInuse, r.heapIdle = m1["go_memstats_heap_inuse_bytes"], m1["go_memstats_heap_idle_bytes"]
	r.goroutines, r.sessions = m1["go_goroutines"], m1["vionet_gb28181_sessions"]
	r.steadyMeasuredRSS = true
	if o.pprof != "" {
		if err := srv.heapProfile(ctx, filepath.Join(o.pprof, r.transport+".steady.heap.pprof")); err != nil {
			fmt.Fprintln(os.Stderr, "bench: heap profile:", err)
		} else if m, err := srv.metrics(ctx); err == nil {
			r.gcHeapInuse = m["go_memstats_heap_inuse_bytes"]
		}
	}
	fmt.Fprintf(os.Stderr, "[%s] steady: %.0f keepalives/s, server CPU %.1f%%, RSS %s → %s\n", r.transport,
		r.kaServer/r.steadyWall.Seconds(), r.steadySrvCPU, mib(s0.rss), mib(s1.rss))

	if !o.restart {
		return nil
	}
	timeout := 3*o.keepalive + 30*time.Second
	restart := func(rr *restartResult, cold bool) error {
		name := "warm"
		if cold {
			name = "cold"
		}
		fmt.Fprintf(os.Stderr, "[%s] %s restart\n", r.transport, name)
		before := f.totals()
		if srv.exited() {
			return fmt.Errorf("the server (%s) crashed before the %s restart", srv.label, name)
		}
		tStop := time.Now()
		rr.stopTook = srv.stop()
		if cold {
			if err := clearRegistrations(ctx, dir); err != nil {
				return fmt.Errorf("clear registrations: %w", err)
			}
		}
		srv, err = startServer(ctx, so, name+" restart")
		if err != nil {
			return err
		}
		u0 := readUDP()
		stopProfile := func() {}
		if cold {
			stopProfile = profile("cold")
		}
		servers = append(servers, srv)
		rr.ran = true
		rr.downtime = srv.listening.Sub(tStop)
		p0, _ := readProc(srv.pid)
		rr.rec = f.awaitRecovery(ctx, srv.listening, timeout, 50*time.Millisecond)
		p1, _ := readProc(srv.pid)
		rr.srvCPU = cpuPct(p0, p1)
		rr.dev = f.totals().sub(before)
		if cold {
			var complete bool
			rr.learnDone, rr.learnFails, complete = awaitLearn(ctx, f, srv.listening, before, 120*time.Second)
			if !complete {
				rr.learnDone = 0
			}
		}
		stopProfile()
		rr.udp = readUDP().sub(u0)
		if p, err := readProc(srv.pid); err == nil {
			rr.peakRSS = p.hwm
		}
		fmt.Fprintf(os.Stderr, "[%s] %s restart: down %s, %d/%d recovered in %s (%d registered again), peak RSS %s\n",
			r.transport, name, fmtDur(rr.downtime), len(rr.rec.after), len(rr.rec.after)+rr.rec.missing,
			fmtDur(pct(rr.rec.after, 100)), rr.rec.reregisterd, mib(rr.peakRSS))
		return nil
	}
	if err := restart(&r.warm, false); err != nil {
		return err
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err := restart(&r.cold, true); err != nil {
		return err
	}
	if srv.exited() {
		return fmt.Errorf("the server (%s) crashed", srv.label)
	}
	return nil
}

// awaitLearn waits until the devices answered (or failed to answer) both learn queries
// (DeviceInfo and Catalog: one answer MESSAGE each for an IPC) counted from base, and
// returns the time since from. It gives up after timeout, or when nothing moved for 20s.
func awaitLearn(ctx context.Context, f *fleet, from time.Time, base totals, timeout time.Duration) (time.Duration, int64, bool) {
	deadline := time.Now().Add(timeout)
	var last int64 = -1
	lastMove := time.Now()
	for {
		t := f.totals().sub(base)
		done := t.answers + t.answersFailed
		if done >= 2*int64(t.running) {
			return time.Since(from), t.answersFailed, true
		}
		if done != last {
			last, lastMove = done, time.Now()
		}
		if time.Now().After(deadline) || time.Since(lastMove) > 20*time.Second || ctx.Err() != nil {
			return time.Since(from), t.answersFailed, false
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

func kib(b float64) string { return fmt.Sprintf("%.1f KiB", b/1024) }

func printTable(o options, results []*result) {
	if len(results) == 0 {
		return
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	head := "\t"
	for _, r := range results {
		head += fmt.Sprintf("%s, N=%d\t", strings.ToUpper(r.transport), r.n)
	}
	fmt.Fprintln(tw, head+"anchor / target\t")
	row := func(name, anchor string, cell func(r *result) string) {
		line := name + "\t"
		for _, r := range results {
			line += cell(r) + "\t"
		}
		fmt.Fprintln(tw, line+anchor+"\t")
	}
	section := func(name string) { row(name, "", func(*result) string { return "" }) }

	row("provision N devices (store+app, before serve)", "", func(r *result) string { return fmtDur(r.provision) })
	row("server idle RSS (N provisioned, none registered)", "", func(r *result) string { return mib(r.idle.rss) })
	section("registration storm")
	row("  registered / failed (then registered on retry)", "", func(r *result) string {
		return fmt.Sprintf("%d / %d (%d)", r.stormOK, r.stormErr, r.retriedOK)
	})
	row("  registrations/s (wall of the whole storm)", "bare sipgo registrar: ~4,500 REGISTER+keepalive/s (UDP)", func(r *result) string {
		return fmt.Sprintf("%.0f/s in %s", float64(r.stormOK)/r.stormWall.Seconds(), fmtDur(r.stormWall))
	})
	row("  device Start latency p50 / p99 / max", "", func(r *result) string {
		return fmt.Sprintf("%s / %s / %s", fmtDur(pct(r.lat, 50)), fmtDur(pct(r.lat, 99)), fmtDur(pct(r.lat, 100)))
	})
	row("  CPU server / load generator (% of one core)", "", func(r *result) string {
		return fmt.Sprintf("%.0f%% / %.0f%%", r.stormSrvCPU, r.stormGenCPU)
	})
	row("  DeviceInfo+Catalog answered by all (from storm start)", "", func(r *result) string {
		s := fmtDur(r.learnDone)
		if !r.learnComplete {
			s = "incomplete after " + s
		}
		return fmt.Sprintf("%s, %d failed", s, r.learnFailed)
	})
	row("  server peak RSS", "", func(r *result) string { return mib(r.stormPeakRSS) })
	row("  UDP datagrams dropped (RcvbufErrors, all sockets)", "", func(r *result) string {
		return fmt.Sprintf("%d of %d", r.stormUDP.rcvbufErrors, r.stormUDP.inDatagrams)
	})
	section(fmt.Sprintf("steady state (%s, keepalive every %s)", o.steady, o.keepalive))
	row("  keepalives/s (server count) / failed", "", func(r *result) string {
		if !r.steadyMeasuredRSS {
			return "–"
		}
		return fmt.Sprintf("%.0f/s / %d", r.kaServer/r.steadyWall.Seconds(), r.steadyDev.kaFailed)
	})
	row("  devices registered / re-registrations in window", "", func(r *result) string {
		return fmt.Sprintf("%d / %d", r.steadyRegistered, r.steadyDev.registrations)
	})
	row("  server CPU (% of one core)", "", func(r *result) string { return fmt.Sprintf("%.1f%%", r.steadySrvCPU) })
	row("  load generator CPU (% of one core)", "", func(r *result) string { return fmt.Sprintf("%.1f%%", r.steadyGenCPU) })
	row("  server RSS start → end of window (peak)", "", func(r *result) string {
		return fmt.Sprintf("%s → %s (%s)", mib(r.rssStart), mib(r.rssEnd), mib(r.rssPeakSteady))
	})
	row("  server RSS per device above idle", "bare sipgo registrar: ~0.4 KB/device", func(r *result) string {
		return kib(float64(r.rssEnd-r.idle.rss) / float64(max(1, r.steadyRegistered)))
	})
	row("  server Go heap in use per device above idle", "sipgo UDP server tx: ~12 KB for ~32 s", func(r *result) string {
		return kib((r.heapInuse - r.idleHeap) / float64(max(1, r.steadyRegistered)))
	})
	row("  server Go heap in use after forced GC per device", "", func(r *result) string {
		if r.gcHeapInuse == 0 {
			return "(-pprof)"
		}
		return kib((r.gcHeapInuse - r.idleHeap) / float64(max(1, r.steadyRegistered)))
	})
	row("  UDP datagrams dropped (RcvbufErrors, all sockets)", "", func(r *result) string {
		return fmt.Sprintf("%d of %d", r.steadyUDP.rcvbufErrors, r.steadyUDP.inDatagrams)
	})
	row("  server goroutines / sessions", "", func(r *result) string { return fmt.Sprintf("%.0f / %.0f", r.goroutines, r.sessions) })
	row("  load generator RSS / Go heap+stacks per device, goroutines", "", func(r *result) string {
		return fmt.Sprintf("%s / %s, %d", kib(r.genRSSPerDev), kib(r.genHeapPerDev), r.genGoroutines)
	})
	for _, x := range []struct {
		name string
		get  func(r *result) *restartResult
	}{
		{"warm restart (SIGTERM, restart on same port and data dir)", func(r *result) *restartResult { return &r.warm }},
		{"cold restart (registrations cleared in the DB while down)", func(r *result) *restartResult { return &r.cold }},
	} {
		if !o.restart {
			break
		}
		section(x.name)
		row("  SIGTERM → exit / → new \"sip listening\"", "", func(r *result) string {
			rr := x.get(r)
			if !rr.ran {
				return "–"
			}
			return fmt.Sprintf("%s / %s", fmtDur(rr.stopTook), fmtDur(rr.downtime))
		})
		row("  devices back (keepalive OK or registered) p50/p99/all", "50,000 devices absorbed in ≤ 20 s", func(r *result) string {
			rr := x.get(r)
			if !rr.ran {
				return "–"
			}
			s := fmt.Sprintf("%s / %s / %s", fmtDur(pct(rr.rec.after, 50)), fmtDur(pct(rr.rec.after, 99)), fmtDur(pct(rr.rec.after, 100)))
			if rr.rec.missing > 0 {
				s += fmt.Sprintf(" (%d never)", rr.rec.missing)
			}
			return s
		})
		row("  of which registered again", "", func(r *result) string {
			rr := x.get(r)
			return fmt.Sprintf("%d", rr.rec.reregisterd)
		})
		row("  keepalives failed / REGISTERs failed", "", func(r *result) string {
			rr := x.get(r)
			return fmt.Sprintf("%d / %d", rr.dev.kaFailed, rr.dev.regFailures)
		})
		row("  server CPU until all back / peak RSS", "bounded memory", func(r *result) string {
			rr := x.get(r)
			return fmt.Sprintf("%.0f%% / %s", rr.srvCPU, mib(rr.peakRSS))
		})
		row("  UDP datagrams dropped (RcvbufErrors, all sockets)", "", func(r *result) string {
			rr := x.get(r)
			return fmt.Sprintf("%d of %d", rr.udp.rcvbufErrors, rr.udp.inDatagrams)
		})
		if strings.HasPrefix(x.name, "cold") {
			row("  DeviceInfo+Catalog answered by all (from listening)", "", func(r *result) string {
				rr := x.get(r)
				if rr.learnDone == 0 {
					return fmt.Sprintf("incomplete, %d failed", rr.learnFails)
				}
				return fmt.Sprintf("%s, %d failed", fmtDur(rr.learnDone), rr.learnFails)
			})
		}
	}
	row("target", "50,000 devices per node", func(r *result) string { return "" })
	tw.Flush()

	for _, r := range results {
		for _, c := range r.crashes {
			fmt.Printf("\n%s SERVER CRASH: %s\n", strings.ToUpper(r.transport), c)
		}
		if r.firstErr != "" {
			fmt.Printf("\n%s first registration error: %s\n", strings.ToUpper(r.transport), r.firstErr)
		}
		if len(r.logs) > 0 {
			fmt.Printf("\n%s server warn/error log lines (count, server run, level and message; first example):\n", strings.ToUpper(r.transport))
			for i, l := range r.logs {
				if i == 12 {
					fmt.Printf("  … %d more kinds\n", len(r.logs)-i)
					break
				}
				ex := l.example
				if len(ex) > 240 {
					ex = ex[:240] + "…"
				}
				fmt.Printf("  %6d  [%s] %s\n          %s\n", l.n, l.label, l.kind, ex)
			}
		}
	}
}
