package rtsp

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/pion/rtp"

	"github.com/vionet/vionet/internal/media/hub"
	"github.com/vionet/vionet/internal/media/mediatest"
)

// Benchmark parameters: a 4 Mbit/s, 25 fps H264 stream with a 2 s GOP.
const (
	benchBitrate = 4_000_000
	benchFPS     = 25
	benchGOP     = 2 * benchFPS
)

// Environment variables that turn TestBenchClients into the reader
// process of BenchmarkReaders.
const (
	envBenchURL     = "VIONET_RTSP_BENCH_URL"
	envBenchReaders = "VIONET_RTSP_BENCH_READERS"
)

// benchUnits returns one GOP of synthetic access units whose sizes make a
// benchBitrate stream: the keyframe is 4 times a P-frame. The payload is
// filler (readers do not decode it); only the sizes and NAL types matter.
func benchUnits() []hub.Unit {
	perFrame := benchBitrate / 8 / benchFPS
	pSize := perFrame * benchGOP / (benchGOP + 3)
	units := make([]hub.Unit, benchGOP)
	for i := range units {
		size, nalType := pSize, byte(0x41)
		if i == 0 {
			size, nalType = 4*pSize, 0x65
		}
		b := make([]byte, 5+size)
		copy(b, []byte{0, 0, 0, 1, nalType})
		for j := 5; j < len(b); j++ {
			b[j] = byte(0x80 | j) // never 00 00 01
		}
		units[i] = hub.Unit{Keyframe: i == 0, Data: b}
	}
	return units
}

// feedBench publishes benchUnits at real time on path until ctx ends.
func feedBench(ctx context.Context, h *hub.Hub, path string) error {
	track := mediatest.Load(hub.H264).Track
	pub, err := h.Publish(path, []hub.Track{track})
	if err != nil {
		return err
	}
	go func() {
		defer pub.Close()
		units := benchUnits()
		tick := time.NewTicker(time.Second / benchFPS)
		defer tick.Stop()
		for n := 0; ; n++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			u := units[n%len(units)]
			u.PTS = time.Duration(n) * time.Second / benchFPS
			u.DTS = u.PTS
			pub.Write(u)
		}
	}()
	return nil
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkReaders measures the server's CPU per RTSP-over-TCP reader of a
// 4 Mbit/s stream. The readers are gortsplib clients in a child process
// (this test binary re-run as TestBenchClients), so the CPU time measured
// here (getrusage of this process: server, hub and publisher) is the
// server's alone. Metrics: server-%core/reader is the share of one core
// each reader costs; Mbit/s/reader checks the readers kept up.
func BenchmarkReaders(b *testing.B) {
	for _, n := range []int{1, 50, 200, 400} {
		b.Run(fmt.Sprintf("readers=%d", n), func(b *testing.B) {
			for b.Loop() {
				benchReaders(b, n)
			}
		})
	}
}

func benchReaders(b *testing.B, n int) {
	e := newTestEnv(b, func(_ *testEnv, o *Options) { o.UDPRTPAddr, o.UDPRTCPAddr = "", "" })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const path = "live/bench/0"
	if err := feedBench(ctx, e.hub, path); err != nil {
		b.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^TestBenchClients$", "-test.count=1")
	cmd.Env = append(os.Environ(),
		envBenchURL+"="+e.url(path, e.readToken(path, time.Hour)),
		envBenchReaders+"="+strconv.Itoa(n))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	lines := bufio.NewScanner(stdout)
	// The child prints "ready" once every reader plays, then a JSON report
	// of bytes received per measurement window when its stdin closes.
	if !lines.Scan() || lines.Text() != "ready" {
		b.Fatalf("reader process: %q %v", lines.Text(), lines.Err())
	}
	time.Sleep(time.Second) // let the GOP replays drain
	before, bytesBefore := cpuTime(), e.srv.Stats().BytesOut
	start := time.Now()
	time.Sleep(3 * time.Second)
	cpu, elapsed := cpuTime()-before, time.Since(start)
	bytesOut := e.srv.Stats().BytesOut - bytesBefore
	stdin.Close()
	var rep benchReport
	if lines.Scan() {
		_ = json.Unmarshal(lines.Bytes(), &rep)
	}
	st := e.srv.Stats()
	readers := rep.Playing
	if readers == 0 {
		b.Fatalf("no reader played (server sessions %d)", st.Readers)
	}
	if readers != n {
		b.Logf("%d of %d readers started", readers, n)
	}
	share := cpu.Seconds() / elapsed.Seconds()
	b.ReportMetric(float64(readers), "readers")
	b.ReportMetric(100*share/float64(readers), "server-%core/reader")
	b.ReportMetric(100*share, "server-%core")
	b.ReportMetric(float64(bytesOut)*8/elapsed.Seconds()/float64(readers)/1e6, "Mbit/s/reader")
	b.ReportMetric(float64(st.WriteDrops), "drops")
}

// benchReport is what the reader process prints when it ends.
type benchReport struct {
	Playing int    `json:"playing"`
	Bytes   uint64 `json:"bytes"`
}

// TestBenchClients is the reader process of BenchmarkReaders; it is
// skipped unless run by it.
func TestBenchClients(t *testing.T) {
	url := os.Getenv(envBenchURL)
	if url == "" {
		t.Skip("reader process of BenchmarkReaders")
	}
	n, _ := strconv.Atoi(os.Getenv(envBenchReaders))
	u, err := base.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	var total atomic.Uint64
	var clients []*gortsplib.Client
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	tcp := gortsplib.ProtocolTCP
	for range n {
		// A reader that fails to start (the machine is shared and may be
		// busy) is left out and reported, instead of failing the run.
		c := &gortsplib.Client{Scheme: u.Scheme, Host: u.Host, Protocol: &tcp}
		if err := startBenchClient(c, u, &total); err != nil {
			fmt.Fprintln(os.Stderr, "bench reader:", err)
			continue
		}
		clients = append(clients, c)
	}
	fmt.Println("ready")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n') // until the benchmark closes stdin
	out, _ := json.Marshal(benchReport{Playing: len(clients), Bytes: total.Load()})
	fmt.Println(string(out))
}

// startBenchClient starts c playing u; on error c is left closed.
func startBenchClient(c *gortsplib.Client, u *base.URL, total *atomic.Uint64) (err error) {
	if err := c.Start(); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			c.Close()
		}
	}()
	desc, _, err := c.Describe(u)
	if err != nil {
		return err
	}
	if err := c.SetupAll(desc.BaseURL, desc.Medias); err != nil {
		return err
	}
	c.OnPacketRTPAny(func(_ *description.Media, _ format.Format, p *rtp.Packet) {
		total.Add(uint64(len(p.Payload)))
	})
	_, err = c.Play(nil)
	return err
}

// BenchmarkFanout is the feeder's cost of one unit of a 4 Mbit/s stream
// (about 17 RTP packets): packetize once, then queue every packet to 100
// TCP sessions (gortsplib clients in this process). The sockets are written
// by gortsplib's per-session goroutines, outside the timed part. ns/op is
// per unit.
func BenchmarkFanout(b *testing.B) {
	const readers = 100
	e := newTestEnv(b, nil)
	const path = "live/fanout/0"
	track := mediatest.Load(hub.H264).Track
	pub, err := e.hub.Publish(path, []hub.Track{track})
	if err != nil {
		b.Fatal(err)
	}
	defer pub.Close()
	units := benchUnits()
	url := e.url(path, e.readToken(path, time.Hour))
	u, _ := base.ParseURL(url)
	var got atomic.Uint64
	tcp := gortsplib.ProtocolTCP
	for range readers {
		c := &gortsplib.Client{Scheme: u.Scheme, Host: u.Host, Protocol: &tcp}
		if err := c.Start(); err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		desc, _, err := c.Describe(u)
		if err != nil {
			b.Fatal(err)
		}
		if err := c.SetupAll(desc.BaseURL, desc.Medias); err != nil {
			b.Fatal(err)
		}
		c.OnPacketRTPAny(func(_ *description.Media, _ format.Format, p *rtp.Packet) { got.Add(1) })
		if _, err := c.Play(nil); err != nil {
			b.Fatal(err)
		}
	}
	e.srv.mu.Lock()
	ps := e.srv.paths[path].ps
	e.srv.mu.Unlock()
	o := ps.outs[track.ID]
	ntp := time.Now()
	for i := 0; b.Loop(); i++ {
		u := units[1+i%(len(units)-1)]
		u.PTS = time.Duration(i) * time.Second / benchFPS
		pkts, err := o.packets(u)
		if err != nil {
			b.Fatal(err)
		}
		ps.mu.Lock()
		ps.cacheAndWrite(o, u, pkts, ntp)
		ps.mu.Unlock()
		if i%16 == 15 {
			// Let the session writers drain their queues, untimed.
			b.StopTimer()
			for want := uint64(readers * 16 * len(pkts) * 9 / 10); got.Load() < want; {
				time.Sleep(time.Millisecond)
			}
			got.Store(0)
			b.StartTimer()
		}
	}
	b.ReportMetric(float64(e.srv.Stats().WriteDrops), "drops")
}
