// Command pprofserve is `vionet serve` (same settings, same daemon, same JSON log on
// stderr) plus a profiling listener, for `go run ./bench/gb28181 -pprof DIR`: vionet itself
// has no pprof endpoint. The listener (127.0.0.1:0, logged as "pprof listening") serves
// net/http/pprof and two bench endpoints:
//
//	POST /bench/cpu/start   start a CPU profile
//	POST /bench/cpu/stop    stop it and return the profile
//
// Usage: pprofserve serve [settings]
package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	rpprof "runtime/pprof"
	"sync"
	"syscall"

	"github.com/vionet/vionet/internal/conf"
	"github.com/vionet/vionet/internal/daemon"
)

func main() {
	if len(os.Args) < 2 || os.Args[1] != "serve" {
		fmt.Fprintln(os.Stderr, "usage: pprofserve serve [settings]")
		os.Exit(2)
	}
	if err := serve(os.Args[2:]); err != nil {
		fmt.Fprintln(os.Stderr, "pprofserve:", err)
		os.Exit(1)
	}
}

// serve is cmd/vionet's serve with the profiling listener started first.
func serve(args []string) error {
	cfg, _, err := conf.Load("serve", args, os.Environ())
	if err != nil {
		return err
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		l = slog.LevelInfo
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	go func() { _ = http.Serve(ln, profMux()) }()
	log.Info("pprof listening", "addr", ln.Addr().String())

	d, err := daemon.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	log.Info("vionet starting", "version", "pprofserve")
	return d.Run(ctx)
}

func profMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	var (
		mu  sync.Mutex
		buf *bytes.Buffer
	)
	mux.HandleFunc("POST /bench/cpu/start", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if buf != nil {
			http.Error(w, "already profiling", http.StatusConflict)
			return
		}
		b := new(bytes.Buffer)
		if err := rpprof.StartCPUProfile(b); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		buf = b
	})
	mux.HandleFunc("POST /bench/cpu/stop", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if buf == nil {
			http.Error(w, "not profiling", http.StatusConflict)
			return
		}
		rpprof.StopCPUProfile()
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(buf.Bytes())
		buf = nil
	})
	return mux
}
