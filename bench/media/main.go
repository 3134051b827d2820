// Command media is a fan-out benchmark of vionet's media servers: how many viewers of one
// 4 Mbit/s H.264 stream vionet serves at full rate over RTSP (TCP), RTMP and HTTP-FLV, and
// what each viewer costs it in CPU and memory, plus how long a viewer waits for its first
// keyframe.
//
//	go run ./bench/media [-ladder 1,50,100,200,400,800] [-protocols rtsp,rtmp,httpflv]
//	    [-window 10s] [-settle 4s] [-latency-runs 5] [-work DIR] [-pprof DIR] [-keep]
//
// `vionet serve` runs as a child process (built from ./cmd/vionet, loopback listeners on
// free ports, a temporary data dir), freshly started for each protocol so that its memory
// baseline is clean. ffmpeg pushes a cached test file to it over RTMP in a loop at the
// file's real rate, with a URL signed by `vionet media url`. This process then opens the
// readers, which only count bytes, up a ladder of reader counts; at each step it waits for
// the readers' start bursts (GOP cache) to pass, then measures over a window: every
// reader's received bitrate, vionet's CPU time and RSS from /proc, its own and ffmpeg's CPU.
// A protocol's ladder stops at the first step where not every reader got ≥ 95 % of the
// source bitrate. The readers share the machine's cores with vionet and ffmpeg, so their
// CPU is reported too. See bench/README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/vionet/vionet/bench/internal/benchutil"
)

type options struct {
	ladder      []int
	protocols   []string
	window      time.Duration
	baseline    time.Duration
	settle      time.Duration
	conc        int
	latencyRuns int
	workDir     string
	pprof       string
	bin         string
	keep        bool
	selfProfile string
}

func main() {
	var o options
	var ladder, protocols string
	flag.StringVar(&ladder, "ladder", "1,50,100,200,400,800", "reader counts, ascending")
	flag.StringVar(&protocols, "protocols", defaultProtocols, "reader protocols to run, in order: rtsp (gortsplib client), rtsp-lean (DESCRIBE/SETUP/PLAY, then only frame walking), rtmp, httpflv")
	flag.DurationVar(&o.window, "window", 10*time.Second, "measured window per step")
	flag.DurationVar(&o.baseline, "baseline", 5*time.Second, "measured window with 0 readers")
	flag.DurationVar(&o.settle, "settle", 4*time.Second, "wait after the readers of a step connected, before measuring")
	flag.IntVar(&o.conc, "conc", 16, "readers dialled at once while ramping up")
	flag.IntVar(&o.latencyRuns, "latency-runs", 5, "start-latency runs per protocol and path (0 skips)")
	flag.StringVar(&o.workDir, "work", filepath.Join(os.TempDir(), "vionet-bench-media"), "work dir: the cached test file and the servers' data dirs")
	flag.StringVar(&o.pprof, "pprof", "", "run the server as ./bench/gb28181/pprofserve (vionet serve + pprof) and write a CPU profile per step and a heap profile per protocol to this directory")
	flag.StringVar(&o.bin, "vionet", "", "vionet binary to run (default: go build ./cmd/vionet into the work dir)")
	flag.BoolVar(&o.keep, "keep", false, "keep the servers' data dirs")
	flag.StringVar(&o.selfProfile, "cpuprofile", "", "write this process's (the readers') CPU profile over the whole run to this file")
	flag.Parse()
	for _, s := range strings.Split(ladder, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			fmt.Fprintf(os.Stderr, "-ladder: bad count %q\n", s)
			os.Exit(2)
		}
		o.ladder = append(o.ladder, n)
	}
	for _, p := range strings.Split(protocols, ",") {
		if p = strings.TrimSpace(p); dialerFor(p, nil) == nil {
			fmt.Fprintf(os.Stderr, "-protocols: unknown %q (want rtsp, rtsp-lean, rtmp or httpflv)\n", p)
			os.Exit(2)
		}
		o.protocols = append(o.protocols, p)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if o.selfProfile != "" {
		f, err := os.Create(o.selfProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "-cpuprofile:", err)
			os.Exit(2)
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	if err := run(ctx, o); err != nil {
		stop()
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "bench/media:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	start := time.Now()
	load0 := loadAvg()
	if err := os.MkdirAll(o.workDir, 0o755); err != nil {
		return err
	}
	if o.pprof != "" {
		if o.bin != "" {
			return errors.New("-pprof builds its own server; drop -vionet")
		}
		if err := os.MkdirAll(o.pprof, 0o755); err != nil {
			return err
		}
	}
	logf("load average at start: %s; encoding/probing the test file", load0)
	file, err := testFile(ctx, o.workDir)
	if err != nil {
		return err
	}
	src, err := probeFile(ctx, file)
	if err != nil {
		return err
	}
	// cli signs URLs (`vionet media url`); bin serves: the same binary, or pprofserve
	// (which only serves) with -pprof.
	version, bin, cli := "", o.bin, o.bin
	if bin != "" {
		out, _ := exec.CommandContext(ctx, bin, "version").Output()
		version = strings.TrimSpace(string(out)) + " (" + bin + ")"
	}
	if bin == "" {
		bdir, err := os.MkdirTemp(o.workDir, "bin-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(bdir)
		logf("building ./cmd/vionet")
		var root string
		if cli, root, err = benchutil.BuildVionet(ctx, bdir, "./cmd/vionet"); err != nil {
			return err
		}
		version, bin = benchutil.TreeVersion(root), cli
		if o.pprof != "" {
			pdir := filepath.Join(bdir, "pprofserve")
			if err := os.Mkdir(pdir, 0o755); err != nil {
				return err
			}
			if bin, _, err = benchutil.BuildVionet(ctx, pdir, "./bench/gb28181/pprofserve"); err != nil {
				return err
			}
		}
	}

	fmt.Printf("vionet media fan-out benchmark: vionet %s, %s, GOMAXPROCS=%d, NumCPU=%d, %s/%s\n",
		version, runtime.Version(), runtime.GOMAXPROCS(0), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH)
	fmt.Printf("source: %s, H.264 1280x720 %d fps, %d frames (%d keyframes), %.2f Mbit/s, pushed by ffmpeg over RTMP (-re, looped)\n",
		filepath.Base(file), testFPS, src.frames, src.keyframes, src.bitrate/1e6)
	fmt.Printf("per step: ramp-up (%d dials at once), %s settle, %s measured; baseline %s with 0 readers; full rate = ≥ %.0f%% of the source\n",
		o.conc, o.settle, o.window, o.baseline, fullRate*100)

	var lat []startLatency
	var notes []string
	if o.latencyRuns > 0 {
		res, logs, err := latencyRun{o: o, bin: bin, cli: cli, file: file}.run(ctx)
		if err != nil {
			return fmt.Errorf("start latency: %w", err)
		}
		lat = res
		notes = append(notes, prefix("latency run", logs)...)
	}
	var rows []row
	for _, proto := range o.protocols {
		r, logs, err := ladderRun{o: o, bin: bin, cli: cli, file: file, src: src}.run(ctx, proto)
		rows = append(rows, r...)
		notes = append(notes, prefix(proto+" run", logs)...)
		if err != nil {
			printTable(rows, src)
			return fmt.Errorf("%s: %w", proto, err)
		}
	}
	fmt.Println()
	printTable(rows, src)
	if len(lat) > 0 {
		fmt.Printf("\nstart latency: connect → first keyframe data at the reader\n")
		for _, l := range lat {
			fmt.Printf("  %-8s %-24s %s\n", l.proto, l.path, l.summary())
		}
	}
	if len(notes) > 0 {
		fmt.Println("\nvionet WARN/ERROR log lines:")
		for _, n := range notes {
			fmt.Println("  " + n)
		}
	}
	fmt.Printf("\nload average: %s at start, %s at end; total %s\n", load0, loadAvg(), time.Since(start).Round(time.Second))
	if o.pprof != "" {
		fmt.Printf("server profiles in %s (go tool pprof -top FILE)\n", o.pprof)
	}
	return nil
}

func prefix(p string, lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = p + ": " + l
	}
	return out
}

// printTable prints the result table.
func printTable(rows []row, src fileInfo) {
	fmt.Printf("%-9s %5s %5s %7s %7s %7s %7s %8s %9s %8s %8s %8s %8s %14s\n",
		"proto", "N", "full", "at≥95%", "min", "median", "pushed", "vionet", "CPU%", "RSS", "KiB", "client", "ffmpeg", "load")
	fmt.Printf("%-9s %5s %5s %7s %7s %7s %7s %8s %9s %8s %8s %8s %8s %14s\n",
		"", "", "", "", "Mbit/s", "Mbit/s", "Mbit/s", "CPU%", "/reader", "MiB", "/reader", "CPU%", "CPU%", "(1 5 15 min)")
	for _, r := range rows {
		if r.n == 0 {
			fmt.Printf("%-9s %5d %5s %7s %7s %7s %7.2f %8.1f %9s %8.1f %8s %8.1f %8.1f %14s\n",
				r.proto, 0, "-", "-", "-", "-", r.pushRate/1e6, r.serverCPU, "-", r.rssMiB, "-", r.clientCPU, r.pusherCPU, r.load)
			continue
		}
		full := "yes"
		if !r.allFull() {
			full = "NO"
		}
		fmt.Printf("%-9s %5d %5s %7s %7.2f %7.2f %7.2f %8.1f %9.3f %8.1f %8.0f %8.1f %8.1f %14s\n",
			r.proto, r.n, full, fmt.Sprintf("%.0f%%", 100*float64(r.atFull)/float64(r.n)), r.minRate/1e6, r.medRate/1e6,
			r.pushRate/1e6, r.serverCPU, r.cpuPer, r.rssMiB, r.kibPer, r.clientCPU, r.pusherCPU, r.load)
		if r.dialFailed > 0 || r.dead > 0 {
			fmt.Printf("          %s\n", r.failures())
		}
		if r.lost > 0 {
			fmt.Printf("          readers found %d RTP packets missing in the window (%.0f per reader)\n",
				r.lost, float64(r.lost)/float64(r.n))
		}
	}
	fmt.Printf("(N = readers; source %.2f Mbit/s; min/median: per reader over the window, protocol framing included; "+
		"pushed: what ffmpeg wrote to vionet in the window (FLV over RTMP); CPU%%/reader and KiB/reader are over the N=0 "+
		"baseline of the same server; client: this process, the readers)\n", src.bitrate/1e6)
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, time.Now().Format("15:04:05 ")+format+"\n", args...)
}
