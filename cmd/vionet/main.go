// Command vionet is the whole platform in one binary: `vionet serve` runs it, the other
// subcommands are operator tools working on the same database.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/vionet/vionet/internal/app"
	"github.com/vionet/vionet/internal/conf"
	"github.com/vionet/vionet/internal/daemon"
	"github.com/vionet/vionet/internal/store"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `vionet — open video IoT platform (视联网 北向接口规范 v1.3.1)

Usage:
  vionet serve [settings]                 run the platform
  vionet tenant add [--appid A] [--secret S] [--public-key FILE] [settings]
  vionet tenant list [settings]
  vionet tenant rm APPID [settings]
  vionet tenant rotate-secret APPID [--secret S] [settings]
  vionet media url --path P [--publish] [--ttl 1h] [settings]
                                          sign operator URLs of a stream path (pulls, RTMP pushes)
  vionet order grant --appid A --type T --count N [settings]
                                          add N cameras (negative: remove) to a tenant's order of
                                          service type T (1 recording, 3 pictures, 4 live licence)
  vionet order list [--appid A] [settings]
  vionet settings                          list every setting with its default
  vionet version

Settings are flags (--data-dir ./data), VIONET_* environment variables (VIONET_DATA_DIR)
or keys of a YAML file given with --config; see docs/configuration.md.
`

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "vionet:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("missing subcommand")
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], stderr)
	case "tenant":
		return tenant(args[1:], stdout)
	case "media":
		return mediaCmd(args[1:], stdout)
	case "order":
		return orderCmd(args[1:], stdout)
	case "settings":
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "SETTING\tDEFAULT\tMEANING")
		for _, line := range conf.Describe() {
			fmt.Fprintln(w, line)
		}
		return w.Flush()
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "vionet", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown subcommand %q", args[0])
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

func serve(args []string, stderr io.Writer) error {
	cfg, _, err := conf.Load("serve", args, os.Environ())
	if err != nil {
		return err
	}
	log := newLogger(stderr, cfg.LogLevel)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	d, err := daemon.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	log.Info("vionet starting", "version", version)
	return d.Run(ctx)
}

// tenant runs the tenant admin subcommands against the configured database directly, so
// they work whether or not a server is running; a running server sees changes within
// --tenant-cache-ttl.
func tenant(args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New("tenant: want add, list, rm or rotate-secret")
	}
	sub, rest := args[0], args[1:]
	var appID, secret, keyFile string
	fs := flag.NewFlagSet("tenant "+sub, flag.ContinueOnError)
	fs.StringVar(&appID, "appid", "", "appid (generated when empty)")
	fs.StringVar(&secret, "secret", "", "secret key (generated when empty)")
	fs.StringVar(&keyFile, "public-key", "", "file with the tenant's RSA public key (PEM or Base64 DER); a key pair is generated when empty")
	cfg, pos, err := conf.LoadFlags(fs, rest, os.Environ())
	if err != nil {
		return err
	}
	ctx := context.Background()
	st, err := store.Open(ctx, cfg.DB, cfg.DataDir)
	if err != nil {
		return err
	}
	defer st.Close()
	a := daemon.NewApp(st, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")

	switch sub {
	case "add":
		var pub string
		if keyFile != "" {
			b, err := os.ReadFile(keyFile)
			if err != nil {
				return err
			}
			pub = string(b)
		}
		t, err := a.AddTenant(ctx, appID, secret, pub)
		if err != nil {
			return err
		}
		return enc.Encode(t)
	case "list":
		ts, err := a.Tenants(ctx)
		if err != nil {
			return err
		}
		out := make([]app.NewTenant, 0, len(ts))
		for _, t := range ts {
			out = append(out, app.NewTenant{AppID: t.AppID, SecretKey: t.SecretKey, PublicKey: t.PublicKey})
		}
		return enc.Encode(out)
	case "rm":
		if len(pos) != 1 {
			return errors.New("tenant rm APPID")
		}
		return a.RemoveTenant(ctx, pos[0])
	case "rotate-secret":
		if len(pos) != 1 {
			return errors.New("tenant rotate-secret APPID")
		}
		s, err := a.RotateSecret(ctx, pos[0], secret)
		if err != nil {
			return err
		}
		return enc.Encode(map[string]string{"appid": pos[0], "secretkey": s})
	}
	return fmt.Errorf("tenant: unknown subcommand %q", sub)
}

// mediaCmd signs operator URLs: for streams that belong to no tenant (media-pull sources,
// RTMP pushes), with the node's media key from the same settings as `vionet serve`.
func mediaCmd(args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "url" {
		return errors.New("media: want url --path P [--publish] [--ttl D]")
	}
	var path string
	var publish bool
	var ttl time.Duration
	fs := flag.NewFlagSet("media url", flag.ContinueOnError)
	fs.StringVar(&path, "path", "", "stream path, e.g. push/cam1 or a media-pull path")
	fs.BoolVar(&publish, "publish", false, "also sign an RTMP publish URL")
	fs.DurationVar(&ttl, "ttl", time.Hour, "how long the URLs are valid")
	cfg, _, err := conf.LoadFlags(fs, args[1:], os.Environ())
	if err != nil {
		return err
	}
	path = strings.Trim(path, "/")
	if path == "" || strings.HasPrefix(path, "live/") {
		return errors.New("media url: --path is required and must not be under live/ (device streams get URLs from 4.5.1.1)")
	}
	urls, err := daemon.MediaURLs(cfg, path, publish, ttl)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(urls)
}
