// Package e2e drives a real vionet binary on loopback the way tenants and devices do: the Go
// SDK, raw signed HTTP and the operator CLI. Every test runs on SQLite, and on PostgreSQL
// too when VIONET_TEST_PG_DSN points at a server (scripts/test.sh starts a throwaway one).
package e2e

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/vionet/vionet/sdk"
)

var vionetBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "vionet-e2e-bin")
	if err != nil {
		panic(err)
	}
	vionetBin = filepath.Join(dir, "vionet")
	build := exec.Command("go", "build", "-race", "-o", vionetBin, "github.com/vionet/vionet/cmd/vionet")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building vionet:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// engine is one database configuration the suite runs on.
type engine struct {
	name string
	// db returns the --db value for a fresh, empty database.
	db func(t *testing.T) string
}

// engines lists SQLite, and PostgreSQL when the test script provides one.
func engines(t *testing.T) []engine {
	list := []engine{{name: "sqlite", db: func(*testing.T) string { return "" }}}
	if dsn := os.Getenv("VIONET_TEST_PG_DSN"); dsn != "" {
		list = append(list, engine{name: "postgres", db: func(t *testing.T) string { return freshPostgres(t, dsn) }})
	} else if os.Getenv("CI") != "" {
		t.Fatal("CI run without VIONET_TEST_PG_DSN: the PostgreSQL half of the suite would be skipped")
	}
	return list
}

var pgSeq atomic.Int64

// freshPostgres creates an empty database on the test server and drops it after the test.
func freshPostgres(t *testing.T, dsn string) string {
	t.Helper()
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	name := fmt.Sprintf("vionet_e2e_%d_%d", os.Getpid(), pgSeq.Add(1))
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", dsn)
		if err == nil {
			_, _ = admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
			admin.Close()
		}
	})
	return u.String()
}

// eachEngine runs fn as a parallel subtest per engine.
func eachEngine(t *testing.T, fn func(t *testing.T, e engine)) {
	for _, e := range engines(t) {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			fn(t, e)
		})
	}
}

// server is one vionet process with its data directory and database.
type server struct {
	t       *testing.T
	dataDir string
	db      string
	args    []string
	cmd     *exec.Cmd
	addr    string
	sipAddr string // UDP and TCP share the port
	logs    *logBuffer
}

// mediaTestFlags put every media listener on an ephemeral loopback port (tests that need
// known ports, or RTSP over UDP, override them in their own args, which come later).
var mediaTestFlags = []string{
	"--rtsp-addr", "127.0.0.1:0", "--rtsp-udp-rtp-addr=", "--rtsp-udp-rtcp-addr=", "--rtmp-addr", "127.0.0.1:0",
	"--media-http-addr", "127.0.0.1:0", "--rtp-ports", "0", "--rtp-listen-ip", "127.0.0.1", "--rtp-ip", "127.0.0.1",
}

// startServer runs `vionet serve` on loopback with an ephemeral port.
func startServer(t *testing.T, e engine, args ...string) *server {
	t.Helper()
	s := &server{t: t, dataDir: t.TempDir(), db: e.db(t), args: args}
	s.start()
	t.Cleanup(s.stop)
	return s
}

func (s *server) baseArgs() []string {
	args := []string{"--data-dir", s.dataDir, "--db", s.db, "--log-level", "info"}
	return append(args, s.args...)
}

func (s *server) start() {
	t := s.t
	t.Helper()
	// A restarted server keeps its SIP port: devices keep sending there.
	sipListen := "127.0.0.1:0"
	if s.sipAddr != "" {
		sipListen = s.sipAddr
	}
	s.addr, s.sipAddr = "", ""
	args := append([]string{"serve", "--api-addr", "127.0.0.1:0", "--sip-addr", sipListen}, mediaTestFlags...)
	args = append(args, s.baseArgs()...)
	cmd := exec.Command(vionetBin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.cmd = cmd
	s.logs = &logBuffer{}
	addrCh, sipCh := make(chan string, 1), make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			s.logs.add(line)
			var rec struct {
				Msg  string `json:"msg"`
				Addr string `json:"addr"`
				UDP  string `json:"udp"`
			}
			if json.Unmarshal([]byte(line), &rec) == nil {
				switch rec.Msg {
				case "sip listening":
					sipCh <- rec.UDP
				case "api listening":
					addrCh <- rec.Addr
				}
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	for s.addr == "" || s.sipAddr == "" {
		select {
		case s.addr = <-addrCh:
		case s.sipAddr = <-sipCh:
		case <-time.After(30 * time.Second):
			s.cmd.Process.Kill()
			t.Fatalf("vionet did not start; log:\n%s", s.logs.String())
		}
	}
}

// kill9 ends the server as a crash would.
func (s *server) kill9() {
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	_ = s.cmd.Wait()
	s.cmd = nil
}

// stop ends the server gracefully (SIGTERM) and checks that it exits cleanly.
func (s *server) stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil && !s.t.Failed() {
			s.t.Errorf("vionet exited with %v; log:\n%s", err, s.logs.String())
		}
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		s.t.Errorf("vionet did not stop on SIGTERM")
	}
	s.cmd = nil
	if s.t.Failed() {
		s.t.Logf("vionet log:\n%s", s.logs.tail(60))
	}
}

func (s *server) url() string { return "http://" + s.addr }

// cli runs a vionet subcommand against the server's database and returns its stdout.
func (s *server) cli(args ...string) (string, error) {
	cmd := exec.Command(vionetBin, append(args, s.baseArgs()...)...)
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), fmt.Errorf("%v: %s", err, ee.Stderr)
	}
	return string(out), err
}

// tenantKeys is what `vionet tenant add` prints.
type tenantKeys struct {
	AppID      string `json:"appid"`
	SecretKey  string `json:"secretkey"`
	PublicKey  string `json:"publicKey"`
	PrivateKey string `json:"privateKey"`
}

// addTenant creates a tenant through the CLI.
func (s *server) addTenant(extra ...string) tenantKeys {
	s.t.Helper()
	out, err := s.cli(append([]string{"tenant", "add"}, extra...)...)
	if err != nil {
		s.t.Fatalf("tenant add: %v", err)
	}
	var k tenantKeys
	if err := json.Unmarshal([]byte(out), &k); err != nil {
		s.t.Fatalf("tenant add output %q: %v", out, err)
	}
	return k
}

// client returns an SDK client for a tenant.
func (s *server) client(k tenantKeys, opts ...sdk.Option) *sdk.Client {
	return sdk.New(s.url(), k.AppID, k.SecretKey, opts...)
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c
}

type logBuffer struct {
	mu    sync.Mutex
	lines []string
}

func (b *logBuffer) add(l string) {
	b.mu.Lock()
	b.lines = append(b.lines, l)
	b.mu.Unlock()
}

func (b *logBuffer) String() string { return b.tail(1 << 30) }

func (b *logBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	from := max(0, len(b.lines)-n)
	return strings.Join(b.lines[from:], "\n")
}

// eventually polls cond until it holds or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for %s", timeout, what)
}
