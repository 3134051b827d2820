// Command api benchmarks vionet's northbound API in one process: a daemon (SQLite, and
// PostgreSQL when a DSN is given) and an unsigned "hello" net/http handler as the baseline,
// both on loopback, driven by an in-process closed-loop load generator that signs every
// request the way a tenant client does.
//
//	go run ./bench/api [-duration 5s] [-warmup 1s] [-conns 64] [-pg DSN] [-client raw|sdk] [-cpuprofile FILE]
//
// Scenarios run interleaved (hello, sqlite, hello[, postgres]) and each signed scenario is
// reported as a ratio of the mean hello throughput. The exit status is 1 if any request
// failed. See bench/README.md.
package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/vionet/vionet/internal/app"
	"github.com/vionet/vionet/internal/conf"
	"github.com/vionet/vionet/internal/daemon"
	"github.com/vionet/vionet/internal/store"
	"github.com/vionet/vionet/sdk"
	"github.com/vionet/vionet/sdk/signing"
)

const devicePath = "/cmiot/v2/api/device"

func main() {
	var (
		duration   = flag.Duration("duration", 5*time.Second, "measured duration of each scenario")
		warmup     = flag.Duration("warmup", time.Second, "unmeasured warm-up before each scenario")
		conns      = flag.Int("conns", 64, "concurrent closed-loop workers (= keep-alive connections)")
		pgDSN      = flag.String("pg", "", "PostgreSQL server DSN; a fresh database is created on it and dropped afterwards (default $VIONET_BENCH_PG_DSN, then $VIONET_TEST_PG_DSN)")
		client     = flag.String("client", "raw", "signed client: raw (sdk/signing + net/http, lean) or sdk (the Go SDK's GetDevice, decodes the response)")
		cpuprofile = flag.String("cpuprofile", "", "write a CPU profile of each signed scenario's measured window to FILE with the scenario name inserted (cpu.pprof -> cpu.sqlite.pprof)")
	)
	flag.Parse()
	if *pgDSN == "" {
		*pgDSN = os.Getenv("VIONET_BENCH_PG_DSN")
	}
	if *pgDSN == "" {
		*pgDSN = os.Getenv("VIONET_TEST_PG_DSN")
	}
	if *client != "raw" && *client != "sdk" {
		fatalf("-client must be raw or sdk")
	}
	if *conns < 1 {
		fatalf("-conns must be positive")
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	b := &bench{conns: *conns, warmup: *warmup, duration: *duration, client: *client, cpuprofile: *cpuprofile}
	code := 0
	if err := b.run(ctx, *pgDSN); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		code = 1
	}
	b.cleanup()
	if code == 0 && b.errors > 0 {
		fmt.Fprintf(os.Stderr, "bench: %d requests failed\n", b.errors)
		code = 1
	}
	os.Exit(code)
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
	os.Exit(2)
}

type bench struct {
	conns            int
	warmup, duration time.Duration
	client           string
	cpuprofile       string
	cleanups         []func()
	tr               *http.Transport
	hc               *http.Client
	lat              [][]time.Duration // per-worker latency buffers, reused across scenarios
	errors           int64
	firstErr         atomic.Value
}

func (b *bench) defer_(f func()) { b.cleanups = append(b.cleanups, f) }

func (b *bench) cleanup() {
	for i := len(b.cleanups) - 1; i >= 0; i-- {
		b.cleanups[i]()
	}
	b.cleanups = nil
}

// target is one signed API under test.
type target struct {
	name     string
	baseURL  string
	appID    string
	secret   string
	deviceSn string
}

type result struct {
	name     string
	n        int
	errs     int64
	rps      float64
	p50, p99 time.Duration
}

func (b *bench) run(ctx context.Context, pgDSN string) error {
	b.tr = &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        0, // no global limit
		MaxIdleConnsPerHost: b.conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	b.defer_(b.tr.CloseIdleConnections)
	b.hc = &http.Client{Transport: b.tr, Timeout: 30 * time.Second}

	// Latency buffers: sized for ~400k req/s over the measured window, split across workers.
	perWorker := max(4096, int(400_000*b.duration.Seconds())/b.conns)
	b.lat = make([][]time.Duration, b.conns)
	for i := range b.lat {
		b.lat[i] = make([]time.Duration, 0, perWorker)
	}

	helloURL, err := b.serve("hello", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("hello"))
	}))
	if err != nil {
		return err
	}
	helloURL += "/hello"

	sqliteT, err := b.setupDaemon(ctx, "sqlite", "")
	if err != nil {
		return fmt.Errorf("sqlite setup: %w", err)
	}
	var pgT *target
	if pgDSN != "" {
		db, err := b.freshPostgres(ctx, pgDSN)
		if err != nil {
			return fmt.Errorf("postgres setup: %w", err)
		}
		if pgT, err = b.setupDaemon(ctx, "postgres", db); err != nil {
			return fmt.Errorf("postgres setup: %w", err)
		}
	}

	fmt.Printf("vionet API benchmark: %s, GOMAXPROCS=%d, NumCPU=%d, %s/%s\n",
		runtime.Version(), runtime.GOMAXPROCS(0), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH)
	fmt.Printf("%d closed-loop workers (keep-alive), %s warm-up + %s measured per scenario, signed client %q; load generator and servers share this process\n\n",
		b.conns, b.warmup, b.duration, b.client)

	helloOp := func(int) func(context.Context) error {
		return func(ctx context.Context) error { return b.hello(ctx, helloURL) }
	}
	var hellos, signed []result
	plan := []struct {
		name string
		t    *target
	}{{"hello", nil}, {"sqlite", sqliteT}, {"hello", nil}}
	if pgT != nil {
		plan = append(plan, struct {
			name string
			t    *target
		}{"postgres", pgT})
	}
	for _, p := range plan {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var r result
		if p.t == nil {
			r, err = b.scenario(ctx, "hello", helloOp, false)
			hellos = append(hellos, r)
		} else {
			r, err = b.scenario(ctx, "signed GET device ("+p.name+")", b.signedOp(p.t), true)
			signed = append(signed, r)
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "  %-28s %9.0f req/s  p50 %-9s p99 %-9s errors %d\n", r.name, r.rps, fmtDur(r.p50), fmtDur(r.p99), r.errs)
	}

	var base float64
	for _, h := range hellos {
		base += h.rps
	}
	base /= float64(len(hellos))

	fmt.Println()
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\treq/s\tp50\tp99\trequests\terrors\tvs hello\t")
	for i, r := range hellos {
		fmt.Fprintf(tw, "%s #%d\t%.0f\t%s\t%s\t%d\t%d\t%.2f\t\n", r.name, i+1, r.rps, fmtDur(r.p50), fmtDur(r.p99), r.n, r.errs, r.rps/base)
	}
	for _, r := range signed {
		fmt.Fprintf(tw, "%s\t%.0f\t%s\t%s\t%d\t%d\t%.2f\t\n", r.name, r.rps, fmtDur(r.p50), fmtDur(r.p99), r.n, r.errs, r.rps/base)
	}
	tw.Flush()
	fmt.Printf("(vs hello = req/s / mean hello req/s %.0f)\n", base)
	if e, ok := b.firstErr.Load().(string); ok {
		fmt.Printf("first error: %s\n", e)
	}
	return nil
}

// serve runs h on a fresh 127.0.0.1:0 listener with the daemon's server settings.
func (b *bench) serve(name string, h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("%s listen: %w", name, err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          nil,
	}
	go func() { _ = srv.Serve(ln) }()
	b.defer_(func() { _ = srv.Close() })
	return "http://" + ln.Addr().String(), nil
}

// setupDaemon opens a daemon on a fresh data dir (and db, "" for SQLite), serves its
// handler, and creates one tenant with one GB IPC through a second store and app on the
// same database.
func (b *bench) setupDaemon(ctx context.Context, name, db string) (*target, error) {
	dir, err := os.MkdirTemp("", "vionet-bench-"+name+"-")
	if err != nil {
		return nil, err
	}
	b.defer_(func() { os.RemoveAll(dir) })

	cfg := conf.Defaults()
	cfg.DataDir = dir
	cfg.DB = db
	cfg.APIAddr = "127.0.0.1:0"
	cfg.SIPAddr = "127.0.0.1:0"
	cfg.RateLimit = 1e9
	cfg.RateBurst = 1e9
	cfg.LogLevel = "error"
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))

	d, err := daemon.Open(ctx, cfg, log)
	if err != nil {
		return nil, fmt.Errorf("daemon: %w", err)
	}
	base, err := b.serve(name, d.Handler())
	if err != nil {
		return nil, err
	}

	// The daemon does not expose its app: create the tenant and device through a second
	// store (SQLite WAL allows a second writer connection, as the operator CLI does).
	st, err := store.Open(ctx, db, dir)
	if err != nil {
		return nil, fmt.Errorf("admin store: %w", err)
	}
	a := daemon.NewApp(st, cfg, log, nil)
	tn, err := a.AddTenant(ctx, "bench_"+name, "", "")
	if err != nil {
		return nil, fmt.Errorf("add tenant: %w", err)
	}
	dev, err := a.AddDevice(ctx, tn.AppID, app.AddDeviceInput{Protocol: 1, Type: 1, Name: "bench camera"})
	if err != nil {
		return nil, fmt.Errorf("add device: %w", err)
	}
	t := &target{name: name, baseURL: base, appID: tn.AppID, secret: tn.SecretKey, deviceSn: dev.DeviceSn}

	// One checked request through the SDK, so a broken setup fails loudly before measuring.
	detail, err := sdk.New(base, t.appID, t.secret, sdk.WithHTTPClient(b.hc)).GetDevice(ctx, t.deviceSn)
	if err != nil {
		return nil, fmt.Errorf("probe GetDevice: %w", err)
	}
	if detail.DeviceSn != t.deviceSn {
		return nil, fmt.Errorf("probe GetDevice: got device %q, want %q", detail.DeviceSn, t.deviceSn)
	}
	return t, nil
}

// freshPostgres creates database vionet_bench_<pid> on the server at dsn, arranges for it to
// be dropped at the end, and returns its DSN.
func (b *bench) freshPostgres(ctx context.Context, dsn string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", fmt.Errorf("parse DSN: %w", err)
	}
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		return "", err
	}
	name := fmt.Sprintf("vionet_bench_%d", os.Getpid())
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		return "", fmt.Errorf("create database: %w", err)
	}
	b.defer_(func() {
		// The daemon's pool is still open (it has no Close): FORCE ends its sessions.
		dctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(dctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			fmt.Fprintf(os.Stderr, "bench: drop database %s: %v\n", name, err)
		}
		admin.Close()
	})
	u.Path = "/" + name
	return u.String(), nil
}

// scenario runs op on every worker for warm-up + duration and measures the second part.
func (b *bench) scenario(ctx context.Context, name string, newOp func(worker int) func(context.Context) error, profile bool) (result, error) {
	b.tr.CloseIdleConnections()
	runtime.GC()

	start := time.Now()
	measureFrom := start.Add(b.warmup)
	end := measureFrom.Add(b.duration)
	var errs atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < b.conns; w++ {
		b.lat[w] = b.lat[w][:0]
		op := newOp(w)
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := b.lat[w]
			for ctx.Err() == nil {
				t0 := time.Now()
				if !t0.Before(end) {
					break
				}
				err := op(ctx)
				t1 := time.Now()
				if err != nil {
					if ctx.Err() != nil {
						break
					}
					errs.Add(1)
					b.firstErr.CompareAndSwap(nil, name+": "+err.Error())
					continue
				}
				if !t0.Before(measureFrom) && !t1.After(end) {
					lat = append(lat, t1.Sub(t0))
				}
			}
			b.lat[w] = lat
		}()
	}

	var stopProfile func()
	if profile && b.cpuprofile != "" {
		time.Sleep(time.Until(measureFrom))
		var err error
		if stopProfile, err = startProfile(b.cpuprofile, name); err != nil {
			fmt.Fprintln(os.Stderr, "bench: cpuprofile:", err)
		}
	}
	wg.Wait()
	if stopProfile != nil {
		stopProfile()
	}
	if ctx.Err() != nil {
		return result{}, ctx.Err()
	}

	total := 0
	for _, l := range b.lat {
		total += len(l)
	}
	all := make([]time.Duration, 0, total)
	for _, l := range b.lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	r := result{name: name, n: len(all), errs: errs.Load(), rps: float64(len(all)) / b.duration.Seconds()}
	if len(all) > 0 {
		r.p50 = all[len(all)*50/100]
		r.p99 = all[min(len(all)-1, len(all)*99/100)]
	}
	b.errors += r.errs
	return r, nil
}

func startProfile(file, scenario string) (func(), error) {
	tag := scenario
	if i := strings.IndexByte(tag, '('); i >= 0 {
		tag = strings.TrimSuffix(tag[i+1:], ")")
	}
	ext := filepath.Ext(file)
	path := strings.TrimSuffix(file, ext) + "." + tag + ext
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
		fmt.Fprintf(os.Stderr, "  cpu profile: %s\n", path)
	}, nil
}

var helloBody = []byte("hello")

func (b *bench) hello(ctx context.Context, u string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := b.hc.Do(req)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || !bytes.Equal(body, helloBody) {
		return fmt.Errorf("hello: status %d body %.80q", resp.StatusCode, body)
	}
	return nil
}

// signedOp returns the per-worker request function for a signed scenario.
func (b *bench) signedOp(t *target) func(int) func(context.Context) error {
	if b.client == "sdk" {
		c := sdk.New(t.baseURL, t.appID, t.secret, sdk.WithHTTPClient(b.hc))
		return func(int) func(context.Context) error {
			return func(ctx context.Context) error {
				d, err := c.GetDevice(ctx, t.deviceSn)
				if err == nil && d.DeviceSn != t.deviceSn {
					err = fmt.Errorf("got device %q", d.DeviceSn)
				}
				return err
			}
		}
	}
	return func(worker int) func(context.Context) error {
		var seq uint64
		prefix := fmt.Sprintf("bench%04x", worker)
		return func(ctx context.Context) error {
			seq++
			return b.signedGet(ctx, t, prefix+strconv.FormatUint(seq, 16))
		}
	}
}

type deviceSnParams struct {
	DeviceSn string `json:"deviceSn"`
}

var okPrefix = []byte(`{"resultCode":"000000"`)

// signedGet does what any 4.3.1 client does per request: marshal the parameters, MD5 them,
// sign with a fresh timestamp, send GET ?jsonObject=..., and check the envelope's resultCode.
// msgSeq is a per-worker counter instead of random hex (it is not signed).
func (b *bench) signedGet(ctx context.Context, t *target, msgSeq string) error {
	raw, err := json.Marshal(deviceSnParams{t.deviceSn})
	if err != nil {
		return err
	}
	sum := md5.Sum(raw)
	bodyMD5 := hex.EncodeToString(sum[:])
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		t.baseURL+devicePath+"?jsonObject="+url.QueryEscape(string(raw)), nil)
	if err != nil {
		return err
	}
	ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
	h := req.Header
	h["Content-Type"] = []string{sdk.ContentType}
	h[signing.HeaderAppID] = []string{t.appID}
	h[signing.HeaderMsgSeq] = []string{msgSeq}
	h[signing.HeaderTimestamp] = []string{ts}
	h[signing.HeaderSignature] = []string{signing.Request(t.secret, t.appID, ts, devicePath, bodyMD5)}

	resp, err := b.hc.Do(req)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if bytes.HasPrefix(body, okPrefix) { // the server writes resultCode first
		return nil
	}
	var env struct {
		ResultCode string `json:"resultCode"`
		ResultMsg  string `json:"resultMsg"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return fmt.Errorf("status %d, body %.120q: %w", resp.StatusCode, body, err)
	}
	if env.ResultCode != sdk.CodeOK {
		return fmt.Errorf("resultCode %s: %s", env.ResultCode, env.ResultMsg)
	}
	return nil
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.0fµs", float64(d)/float64(time.Microsecond))
	}
}
