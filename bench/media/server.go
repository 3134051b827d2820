package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// settings are the listen addresses and key of one server, as `vionet` flags. Every
// address is a loopback port picked free just before the start; the media key is fixed so
// that `vionet media url` can sign URLs (also for a --media-pull source) before the server
// runs.
type settings struct {
	dataDir                         string
	api, sip, rtsp, rtmp, mediaHTTP string
	key                             string
	extra                           []string // more flags (--media-pull, --live-idle-timeout)
}

func newSettings(dataDir string) (settings, error) {
	s := settings{dataDir: dataDir}
	var raw [24]byte
	_, _ = rand.Read(raw[:])
	s.key = hex.EncodeToString(raw[:])
	var err error
	if s.sip, err = freePort(true); err != nil {
		return s, err
	}
	for _, p := range []*string{&s.api, &s.rtsp, &s.rtmp, &s.mediaHTTP} {
		if *p, err = freePort(false); err != nil {
			return s, err
		}
	}
	return s, nil
}

// flags are the settings as command-line flags, shared by `serve` and `media url`.
func (s settings) flags() []string {
	return append([]string{
		"--data-dir", s.dataDir, "--media-key", s.key,
		"--api-addr", s.api, "--sip-addr", s.sip,
		"--rtsp-addr", s.rtsp, "--rtsp-udp-rtp-addr=", "--rtsp-udp-rtcp-addr=",
		"--rtmp-addr", s.rtmp, "--media-http-addr", s.mediaHTTP,
		"--rtp-ports", "0", "--rtp-listen-ip", "127.0.0.1",
		"--public-host", "127.0.0.1", "--intranet-host", "127.0.0.1",
	}, s.extra...)
}

// freePort finds a free 127.0.0.1 port (free on UDP too when udp is set, for SIP).
func freePort(udp bool) (string, error) {
	for range 50 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", err
		}
		addr := ln.Addr().String()
		if udp {
			pc, err := net.ListenPacket("udp", addr)
			if err != nil {
				ln.Close()
				continue
			}
			pc.Close()
		}
		ln.Close()
		return addr, nil
	}
	return "", errors.New("no free port")
}

// urls is what `vionet media url --json` prints.
type urls struct {
	Path    string `json:"path"`
	RTSP    string `json:"rtsp"`
	RTMP    string `json:"rtmp"`
	HTTPFLV string `json:"httpFlv"`
	Publish string `json:"publish"`
}

// signURLs runs `vionet media url` for path with the server's settings.
func signURLs(ctx context.Context, bin string, s settings, path string) (urls, error) {
	args := append([]string{"media", "url", "--path", path, "--publish", "--ttl", "3h"}, s.flags()...)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = cleanEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return urls{}, fmt.Errorf("vionet media url: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	var u urls
	if err := json.Unmarshal(out, &u); err != nil {
		return urls{}, fmt.Errorf("vionet media url: %w: %s", err, out)
	}
	if u.RTSP == "" || u.RTMP == "" || u.HTTPFLV == "" || u.Publish == "" {
		return urls{}, fmt.Errorf("vionet media url: missing URLs in %s", out)
	}
	return u, nil
}

// cleanEnv is the environment without VIONET_* (nothing from the caller's environment
// changes the setup).
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "VIONET_") {
			env = append(env, kv)
		}
	}
	return env
}

// server is one `vionet serve` child process.
type server struct {
	cmd       *exec.Cmd
	pid       int
	set       settings
	pprofAddr string // pprofserve only
	done      chan struct{}
	waitErr   error

	mu       sync.Mutex
	warnings map[string]int // WARN/ERROR log lines by level and message
	example  map[string]string
	raw      []string // first non-JSON lines verbatim (a panic at start)
}

// startServer runs `vionet serve` with s and returns once its API and media listeners
// accept connections.
func startServer(ctx context.Context, bin string, s settings, pprof bool) (*server, error) {
	cmd := exec.Command(bin, append([]string{"serve", "--log-level", "info"}, s.flags()...)...)
	cmd.Env = cleanEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	srv := &server{cmd: cmd, set: s, done: make(chan struct{}), warnings: map[string]int{}, example: map[string]string{}}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start vionet: %w", err)
	}
	srv.pid = cmd.Process.Pid
	pprofCh := make(chan string, 1)
	go srv.readLog(stderr, pprofCh)
	go func() { srv.waitErr = cmd.Wait(); close(srv.done) }()

	deadline := time.Now().Add(60 * time.Second)
	if pprof {
		select {
		case srv.pprofAddr = <-pprofCh:
		case <-srv.done:
			return nil, fmt.Errorf("pprofserve exited: %v %s", srv.waitErr, srv.firstLines())
		case <-time.After(time.Until(deadline)):
			srv.stop()
			return nil, errors.New("pprofserve did not start within 60s")
		}
	}
	for _, addr := range []string{s.api, s.rtsp, s.rtmp, s.mediaHTTP} {
		for {
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err == nil {
				c.Close()
				break
			}
			select {
			case <-srv.done:
				return nil, fmt.Errorf("vionet exited: %v %s", srv.waitErr, srv.firstLines())
			case <-ctx.Done():
				srv.stop()
				return nil, ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				srv.stop()
				return nil, fmt.Errorf("vionet not listening on %s within 60s %s", addr, srv.firstLines())
			}
		}
	}
	return srv, nil
}

// readLog counts the server's WARN and ERROR lines (JSON log on stderr) and keeps
// non-JSON lines (panics).
func (srv *server) readLog(r io.Reader, pprofCh chan<- string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var rec struct{ Level, Msg, Addr string }
		if json.Unmarshal(line, &rec) != nil {
			// Not slog: a panic, or a library logging through the log package
			// ("2006/01/02 15:04:05 text"), counted by its text.
			str := string(line)
			k := "RAW " + str
			if len(str) > 20 && str[4] == '/' && str[7] == '/' && str[13] == ':' {
				k = "RAW " + str[20:]
			}
			srv.mu.Lock()
			if len(srv.raw) < 40 {
				srv.raw = append(srv.raw, str)
			}
			srv.warnings[k]++
			if _, ok := srv.example[k]; !ok {
				srv.example[k] = str
			}
			srv.mu.Unlock()
			continue
		}
		switch {
		case rec.Msg == "pprof listening":
			pprofCh <- rec.Addr
		case rec.Level == "WARN" || rec.Level == "ERROR":
			srv.mu.Lock()
			k := rec.Level + " " + rec.Msg
			srv.warnings[k]++
			if _, ok := srv.example[k]; !ok {
				srv.example[k] = string(line)
			}
			srv.mu.Unlock()
		}
	}
	_, _ = io.Copy(io.Discard, r)
}

func (srv *server) firstLines() string {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	var b strings.Builder
	for _, l := range srv.raw {
		b.WriteString("\n  " + l)
	}
	for k, l := range srv.example {
		b.WriteString("\n  " + k + ": " + l)
	}
	return b.String()
}

// logSummary lists the WARN/ERROR lines by kind, most frequent first.
func (srv *server) logSummary() []string {
	srv.mu.Lock()
	defer srv.mu.Unlock()
	var out []string
	for k, n := range srv.warnings {
		out = append(out, fmt.Sprintf("%6d × %s   e.g. %s", n, k, truncate(srv.example[k], 300)))
	}
	sort.Slice(out, func(i, j int) bool { return out[i] > out[j] })
	return out
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// alive reports whether the process is still running.
func (srv *server) alive() bool {
	select {
	case <-srv.done:
		return false
	default:
		return true
	}
}

// stop sends SIGTERM and waits up to 10 s, then kills.
func (srv *server) stop() {
	if !srv.alive() {
		return
	}
	_ = srv.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-srv.done:
	case <-time.After(10 * time.Second):
		_ = srv.cmd.Process.Kill()
		<-srv.done
	}
}

// waitPath polls /metrics until the hub has at least one published path.
func (srv *server) waitPath(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		n, err := srv.metric(ctx, "vionet_media_paths")
		if err == nil && n >= 1 {
			return nil
		}
		if !srv.alive() {
			return fmt.Errorf("vionet exited: %v %s", srv.waitErr, srv.firstLines())
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no published path after %s (last: %v, %v)", timeout, n, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// metric reads one unlabelled metric from the API listener's /metrics.
func (srv *server) metric(ctx context.Context, name string) (float64, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+srv.set.api+"/metrics", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			return strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	return 0, fmt.Errorf("%s not in /metrics", name)
}

// cpuProfile starts a CPU profile in the server (pprofserve only); the returned function
// stops it and writes it to file.
func (srv *server) cpuProfile(ctx context.Context, file string) (func() error, error) {
	if srv.pprofAddr == "" {
		return func() error { return nil }, nil
	}
	post := func(p string) (*http.Response, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+srv.pprofAddr+p, nil)
		return http.DefaultClient.Do(req)
	}
	res, err := post("/bench/cpu/start")
	if err != nil {
		return nil, err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("cpu profile start: %s", res.Status)
	}
	return func() error {
		res, err := post("/bench/cpu/stop")
		if err != nil {
			return err
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("cpu profile stop: %s", res.Status)
		}
		b, err := io.ReadAll(res.Body)
		if err != nil {
			return err
		}
		return os.WriteFile(file, b, 0o644)
	}, nil
}

// goroutineDump writes the server's goroutine stacks, grouped (pprofserve only): where
// a stalled server waits.
func (srv *server) goroutineDump(ctx context.Context, file string) error {
	return srv.fetch(ctx, "/debug/pprof/goroutine?debug=1", file)
}

// heapProfile writes the server's heap profile (after a GC) to file (pprofserve only).
func (srv *server) heapProfile(ctx context.Context, file string) error {
	return srv.fetch(ctx, "/debug/pprof/heap?gc=1", file)
}

// fetch GETs a pprof endpoint into file (pprofserve only).
func (srv *server) fetch(ctx context.Context, path, file string) error {
	if srv.pprofAddr == "" {
		return nil
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+srv.pprofAddr+path, nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", path, res.Status)
	}
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	return os.WriteFile(file, b, 0o644)
}
