package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/vionet/vionet/internal/app"
	"github.com/vionet/vionet/internal/conf"
	"github.com/vionet/vionet/internal/daemon"
	"github.com/vionet/vionet/internal/store"
)

// clockTicks is USER_HZ, the unit of utime/stime in /proc/PID/stat (100 on every Linux
// this runs on; Go has no sysconf).
const clockTicks = 100

// issued is one device as vionet issued it (4.4.1.1): its code and SIP password.
type issued struct{ sn, pwd string }

// provision creates a tenant and n GB/T 28181 IPCs in a fresh SQLite data dir, through the
// store and app directly (no server running), and returns their codes and passwords.
func provision(ctx context.Context, dir string, n int) ([]issued, error) {
	cfg := conf.Defaults()
	cfg.DataDir = dir
	st, err := store.Open(ctx, "", dir)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	a := daemon.NewApp(st, cfg, slog.New(slog.DiscardHandler), nil)
	tn, err := a.AddTenant(ctx, "", "", "")
	if err != nil {
		return nil, fmt.Errorf("add tenant: %w", err)
	}
	out := make([]issued, 0, n)
	for i := range n {
		d, err := a.AddDevice(ctx, tn.AppID, app.AddDeviceInput{Protocol: 1, Type: 1, Name: "bench " + strconv.Itoa(i)})
		if err != nil {
			return nil, fmt.Errorf("add device %d: %w", i, err)
		}
		out = append(out, issued{d.DeviceSn, d.LoginPwd})
	}
	return out, nil
}

// clearRegistrations makes every registration look expired, so the next server start
// restores no sessions (a "cold" restart: every device must register again).
func clearRegistrations(ctx context.Context, dir string) error {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "vionet.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, `UPDATE devices SET registered_until = 0`)
	return err
}

// freeSIPPort finds a port free on both UDP and TCP on 127.0.0.1.
func freeSIPPort() (int, error) {
	for range 50 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := pc.LocalAddr().(*net.UDPAddr).Port
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		pc.Close()
		if err == nil {
			ln.Close()
			return port, nil
		}
	}
	return 0, errors.New("no port free on both UDP and TCP")
}

// server is one `vionet serve` child process.
type server struct {
	cmd       *exec.Cmd
	pid       int
	started   time.Time
	listening time.Time // when "sip listening" was read
	apiAddr   string
	pprofAddr string // pprofserve only
	label     string
	stopped   bool          // stop or kill was called (an exit is not a crash)
	done      chan struct{} // closed when the process exited
	waitErr   error

	mu      sync.Mutex
	counts  map[string]int    // warn/error log lines by level+msg
	example map[string]string // the first line of each kind
	lines   []string          // first warn/error lines, verbatim
	crash   []string          // a panic or fatal error, verbatim (first 200 lines)
}

type serverOpts struct {
	bin, dataDir, sipAddr string
	keepalive             time.Duration
	verbose               bool
	pprof                 bool // bin is pprofserve: wait for its "pprof listening"
}

// startServer runs `vionet serve` and returns once it logged "sip listening".
func startServer(ctx context.Context, o serverOpts, label string) (*server, error) {
	args := []string{"serve", "--data-dir", o.dataDir, "--sip-addr", o.sipAddr, "--api-addr", "127.0.0.1:0",
		"--sip-keepalive-interval", o.keepalive.String(), "--log-level", "info"}
	cmd := exec.Command(o.bin, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "VIONET_") { // nothing from the caller's environment changes the setup
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, done: make(chan struct{}), counts: map[string]int{}, example: map[string]string{}, label: label}
	s.started = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start vionet: %w", err)
	}
	s.pid = cmd.Process.Pid
	ready := make(chan struct{})
	apiCh := make(chan string, 1)
	pprofCh := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		var once sync.Once
		for sc.Scan() {
			line := sc.Bytes()
			var rec struct {
				Level, Msg, Addr string
			}
			if json.Unmarshal(line, &rec) != nil {
				str := string(line)
				s.mu.Lock()
				inCrash := len(s.crash) > 0
				if inCrash || strings.HasPrefix(str, "panic: ") || strings.HasPrefix(str, "fatal error: ") {
					if len(s.crash) < 200 {
						s.crash = append(s.crash, str)
					}
					s.mu.Unlock()
					continue
				}
				s.mu.Unlock()
				s.note("RAW", normalize(str), str, o.verbose)
				continue
			}
			switch {
			case rec.Msg == "api listening":
				apiCh <- rec.Addr
			case rec.Msg == "pprof listening":
				pprofCh <- rec.Addr
			case rec.Msg == "sip listening":
				once.Do(func() { s.listening = time.Now(); close(ready) })
			case rec.Level == "WARN" || rec.Level == "ERROR":
				s.note(rec.Level, rec.Msg, string(line), o.verbose)
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	go func() { s.waitErr = cmd.Wait(); close(s.done) }()

	timeout := time.NewTimer(60 * time.Second)
	defer timeout.Stop()
	if o.pprof {
		select {
		case s.pprofAddr = <-pprofCh:
		case <-s.done:
			return nil, fmt.Errorf("pprofserve exited: %v (%s)", s.waitErr, s.firstLines())
		case <-timeout.C:
			s.kill()
			return nil, errors.New("pprofserve did not start within 60s")
		}
	}
	select {
	case s.apiAddr = <-apiCh:
	case <-s.done:
		return nil, fmt.Errorf("vionet exited before listening: %v (%s)", s.waitErr, s.firstLines())
	case <-timeout.C:
		s.kill()
		return nil, errors.New("vionet did not start within 60s")
	case <-ctx.Done():
		s.kill()
		return nil, ctx.Err()
	}
	select {
	case <-ready:
	case <-s.done:
		return nil, fmt.Errorf("vionet exited before sip listening: %v (%s)", s.waitErr, s.firstLines())
	case <-timeout.C:
		s.kill()
		return nil, errors.New("vionet SIP did not start within 60s")
	case <-ctx.Done():
		s.kill()
		return nil, ctx.Err()
	}
	return s, nil
}

func (s *server) note(level, msg, line string, verbose bool) {
	s.mu.Lock()
	k := level + " " + msg
	s.counts[k]++
	if _, ok := s.example[k]; !ok {
		s.example[k] = line
	}
	if len(s.lines) < 5 {
		s.lines = append(s.lines, line)
	}
	s.mu.Unlock()
	if verbose {
		fmt.Fprintln(os.Stderr, "  vionet:", line)
	}
}

// normalize reduces a plain-text log line (sipgo's package logger) to its message: without
// the date, time and key=value attributes, so equal messages are counted together.
func normalize(line string) string {
	f := strings.Fields(line)
	if len(f) >= 2 && strings.Count(f[0], "/") == 2 && strings.Count(f[1], ":") == 2 {
		f = f[2:]
	}
	var out []string
	for _, w := range f {
		if !strings.Contains(w, "=") {
			out = append(out, w)
		}
	}
	return strings.Join(out, " ")
}

// exited reports whether the process ended (without stop or kill: a crash).
func (s *server) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// crashReport describes an unexpected exit: status and the panic output.
func (s *server) crashReport() string {
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprintf("%s server exited by itself: %v\n%s", s.label, s.waitErr, strings.Join(s.crash, "\n"))
}

func (s *server) firstLines() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.lines, " | ")
}

// logKind is one kind of warn/error log line and how often it came.
type logKind struct {
	label, kind, example string
	n                    int
}

// logSummary lists the warn/error log lines by count, most frequent first.
func (s *server) logSummary() []logKind {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []logKind
	for k, n := range s.counts {
		out = append(out, logKind{s.label, k, s.example[k], n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].n > out[j].n })
	return out
}

// stop sends SIGTERM and waits (SIGKILL after 30s); it returns how long the exit took.
func (s *server) stop() time.Duration {
	s.stopped = true
	t0 := time.Now()
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		s.kill()
	}
	return time.Since(t0)
}

func (s *server) kill() {
	s.stopped = true
	_ = s.cmd.Process.Kill()
	<-s.done
}

// procStat is a process's CPU time and memory from /proc.
type procStat struct {
	at       time.Time
	cpu      time.Duration // utime+stime
	rss, hwm int64         // VmRSS, VmHWM in bytes
}

func readProc(pid int) (procStat, error) {
	st := procStat{at: time.Now()}
	p := "/proc/self"
	if pid > 0 {
		p = "/proc/" + strconv.Itoa(pid)
	}
	raw, err := os.ReadFile(p + "/stat")
	if err != nil {
		return st, err
	}
	// Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
	i := strings.LastIndexByte(string(raw), ')')
	f := strings.Fields(string(raw[i+1:]))
	if len(f) < 13 {
		return st, fmt.Errorf("%s/stat: short", p)
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	stt, _ := strconv.ParseInt(f[12], 10, 64)
	st.cpu = time.Duration(ut+stt) * time.Second / clockTicks
	status, err := os.ReadFile(p + "/status")
	if err != nil {
		return st, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		var dst *int64
		switch k {
		case "VmRSS":
			dst = &st.rss
		case "VmHWM":
			dst = &st.hwm
		default:
			continue
		}
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		*dst = kb << 10
	}
	return st, nil
}

// cpuPct is the CPU used between a and b as a percentage of one core.
func cpuPct(a, b procStat) float64 {
	wall := b.at.Sub(a.at)
	if wall <= 0 {
		return 0
	}
	return 100 * float64(b.cpu-a.cpu) / float64(wall)
}

// rssSampler records the peak VmRSS of a process while it runs.
type rssSampler struct {
	stop chan struct{}
	done chan struct{}
	peak int64
}

func sampleRSS(pid int, every time.Duration) *rssSampler {
	r := &rssSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			if st, err := readProc(pid); err == nil {
				r.peak = max(r.peak, st.rss)
			}
			select {
			case <-r.stop:
				return
			case <-t.C:
			}
		}
	}()
	return r
}

func (r *rssSampler) finish() int64 { close(r.stop); <-r.done; return r.peak }

// metrics scrapes the server's /metrics into "name{labels}" → value.
func (s *server) metrics(ctx context.Context) (map[string]float64, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+s.apiAddr+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err == nil {
			out[line[:i]] = v
		}
	}
	return out, sc.Err()
}

// cpuProfile starts a CPU profile in the server (pprofserve only); the returned function
// stops it and writes it to file.
func (s *server) cpuProfile(ctx context.Context, file string) (func() error, error) {
	if s.pprofAddr == "" {
		return func() error { return nil }, nil
	}
	if _, err := s.post(ctx, "/bench/cpu/start"); err != nil {
		return nil, err
	}
	return func() error {
		b, err := s.post(ctx, "/bench/cpu/stop")
		if err != nil {
			return err
		}
		return os.WriteFile(file, b, 0o644)
	}, nil
}

// heapProfile writes the server's heap profile to file after a forced GC (pprofserve only).
func (s *server) heapProfile(ctx context.Context, file string) error {
	if s.pprofAddr == "" {
		return nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+s.pprofAddr+"/debug/pprof/heap?gc=1", nil)
	if err != nil {
		return err
	}
	b, err := doBody(req)
	if err != nil {
		return err
	}
	return os.WriteFile(file, b, 0o644)
}

func (s *server) post(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+s.pprofAddr+path, nil)
	if err != nil {
		return nil, err
	}
	return doBody(req)
}

func doBody(req *http.Request) ([]byte, error) {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("%s: %s: %s", req.URL.Path, resp.Status, strings.TrimSpace(string(b)))
	}
	return b, err
}

// udpCounters are the network namespace's UDP counters (/proc/net/snmp): on a loopback-only
// run, drops of the server's or the devices' sockets show up as RcvbufErrors.
type udpCounters struct{ inDatagrams, inErrors, rcvbufErrors int64 }

func readUDP() udpCounters {
	raw, err := os.ReadFile("/proc/net/snmp")
	if err != nil {
		return udpCounters{}
	}
	var names, vals []string
	for _, line := range strings.Split(string(raw), "\n") {
		if !strings.HasPrefix(line, "Udp: ") {
			continue
		}
		if names == nil {
			names = strings.Fields(line)
		} else {
			vals = strings.Fields(line)
			break
		}
	}
	var c udpCounters
	for i := 1; i < len(names) && i < len(vals); i++ {
		v, _ := strconv.ParseInt(vals[i], 10, 64)
		switch names[i] {
		case "InDatagrams":
			c.inDatagrams = v
		case "InErrors":
			c.inErrors = v
		case "RcvbufErrors":
			c.rcvbufErrors = v
		}
	}
	return c
}

func (a udpCounters) sub(b udpCounters) udpCounters {
	return udpCounters{a.inDatagrams - b.inDatagrams, a.inErrors - b.inErrors, a.rcvbufErrors - b.rcvbufErrors}
}
