// Command gbdevice runs simulated GB/T 28181 devices (IPCs or NVRs) against
// a platform: one device for manual testing, or a fleet for load. Each
// device registers with MD5 digest, keeps its registration fresh, sends
// keepalives, answers catalog, device info/status, record, preset and PTZ
// queries and controls with a simulated head, and can raise alarms. It
// runs until SIGINT or SIGTERM, then unregisters every device. Logs are
// JSON (slog) on stderr.
//
// Usage:
//
//	go run ./cmd/gbdevice --server 127.0.0.1:5060 \
//	    --server-id 34020000002000000001 --domain 3402000000 \
//	    --device-id 34020000001320000001 --password X \
//	    --transport udp --channels 0 --count 1 --charset GB2312 \
//	    --version 2016 --keepalive 60s --expires 3600 --alarm-every 0
//
// --channels 0 simulates an IPC (the device is its own channel); N > 0 an
// NVR with N channels (IDs: the device's first 10 digits, type 131, serial
// device serial×1000+i). --version 2022 sends X-GB-Ver: 3.0 and answers the
// 2022 queries.
//
// Fleets: --count N starts N devices with IDs counting up from --device-id
// (34020000001320000001, …0002, …), --concurrency at a time. vionet issues
// one SIP password per device, so a fleet against vionet needs
// --passwords FILE, a file of "deviceID password" lines (blank lines and
// lines starting with # are ignored); --password is then only the fallback
// for IDs missing from the file (without it a missing ID is an error).
// Every --stats-every the command logs how many devices are registered.
//
// Every device answers INVITEs (live view, playback, download) for its
// channels and streams a 2 s test picture, looped, as PS over RTP (UDP, or
// TCP in the direction the offer's a=setup asks); --video-codec H265
// switches the picture to H.265, --reject-invite answers 488 and --no-media
// accepts but sends nothing, for trying a platform's error paths.
//
// Over UDP sipgo refuses to send a datagram over 1300 bytes, which holds
// one catalog item; --udp-mtu raises that limit (a 2-item catalog page
// needs about 1600) to exercise multi-item pages over UDP.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/vionet/vionet/internal/southbound/gb28181/refdevice"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "gbdevice:", err)
		os.Exit(1)
	}
}

type options struct {
	cfg         refdevice.Config
	expires     int
	count       int
	concurrency int
	passwords   string
	alarmEvery  time.Duration
	statsEvery  time.Duration
	udpMTU      int
	logLevel    string
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("gbdevice", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &o.cfg
	fs.StringVar(&c.ServerAddr, "server", "127.0.0.1:5060", "platform SIP address host:port")
	fs.StringVar(&c.ServerID, "server-id", "34020000002000000001", "platform SIP ID (20 digits)")
	fs.StringVar(&c.ServerDomain, "domain", "3402000000", "platform SIP domain (10 digits)")
	fs.StringVar(&c.DeviceID, "device-id", "34020000001320000001", "device ID (20 digits); the first of a fleet")
	fs.StringVar(&c.Password, "password", "", "SIP password (every device, or the fallback with --passwords)")
	fs.StringVar(&o.passwords, "passwords", "", `file of "deviceID password" lines, one password per device`)
	fs.StringVar(&c.Transport, "transport", "udp", "udp or tcp")
	fs.StringVar(&c.LocalIP, "local-ip", "127.0.0.1", "local IP to bind and advertise")
	fs.IntVar(&c.Channels, "channels", 0, "0 for an IPC, N (1–999) for an NVR with N channels")
	fs.IntVar(&o.count, "count", 1, "number of devices")
	fs.IntVar(&o.concurrency, "concurrency", refdevice.DefaultFleetConcurrency, "devices registering at once")
	fs.StringVar(&c.Charset, "charset", "GB2312", "charset of the MANSCDP bodies: GB2312 or UTF-8")
	fs.StringVar(&c.Version, "version", "2016", "GB/T 28181 edition: 2016 or 2022")
	fs.DurationVar(&c.KeepaliveInterval, "keepalive", refdevice.DefaultKeepaliveInterval, "keepalive interval")
	fs.IntVar(&o.expires, "expires", 3600, "registration period asked for, seconds")
	fs.DurationVar(&o.alarmEvery, "alarm-every", 0, "raise an alarm from every device this often (0: never)")
	fs.DurationVar(&o.statsEvery, "stats-every", 30*time.Second, "log fleet counts this often (0: never)")
	fs.IntVar(&c.CatalogPageSize, "catalog-page-size", refdevice.DefaultCatalogPageSize, "catalog items per Response MESSAGE")
	fs.IntVar(&c.RecordPageSize, "record-page-size", refdevice.DefaultRecordPageSize, "records (and other list items) per Response MESSAGE")
	fs.StringVar(&c.Name, "name", refdevice.DefaultName, "device name")
	fs.StringVar(&c.Manufacturer, "manufacturer", "VIONET", "DeviceInfo Manufacturer")
	fs.StringVar(&c.Model, "model", "", "DeviceInfo Model (default REF-IPC or REF-NVR)")
	fs.StringVar(&c.Firmware, "firmware", "V1.0.0", "DeviceInfo Firmware")
	fs.StringVar(&c.VideoCodec, "video-codec", refdevice.CodecH264, "video streamed after an INVITE: H264 or H265")
	fs.BoolVar(&c.RejectInvite, "reject-invite", false, "answer every INVITE 488 Not Acceptable Here")
	fs.BoolVar(&c.NoMedia, "no-media", false, "accept INVITEs but send no RTP")
	fs.IntVar(&o.udpMTU, "udp-mtu", sip.UDPMTUSize, "sipgo's UDP size limit plus 200 (the largest datagram sent is this minus 200)")
	fs.StringVar(&o.logLevel, "log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.expires <= 0 {
		return nil, fmt.Errorf("--expires %d: want a positive number of seconds", o.expires)
	}
	c.Expires = time.Duration(o.expires) * time.Second
	if o.count < 1 {
		return nil, fmt.Errorf("--count %d: want at least 1", o.count)
	}
	if o.udpMTU < 1000 || o.udpMTU > 65507 {
		return nil, fmt.Errorf("--udp-mtu %d: want 1000–65507", o.udpMTU)
	}
	return o, nil
}

// readPasswords parses "deviceID password" lines.
func readPasswords(r io.Reader) (map[string]string, error) {
	m := make(map[string]string)
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			return nil, fmt.Errorf("line %d: want \"deviceID password\"", n)
		}
		m[f[0]] = f[1]
	}
	return m, sc.Err()
}

func run(args []string, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(log)
	// The devices give sipgo their own loggers; what sipgo still logs
	// through its package default is connection reference counting, which
	// warns "TCP ref went negative" for every TCP device closed. Keep only
	// its errors unless debugging.
	sip.SetDefaultLogger(slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: sipDefaultLevel(level)})))
	sip.UDPMTUSize = o.udpMTU
	o.cfg.Logger = log

	fc := refdevice.FleetConfig{Base: o.cfg, Count: o.count, Concurrency: o.concurrency}
	if o.passwords != "" {
		f, err := os.Open(o.passwords)
		if err != nil {
			return err
		}
		pw, err := readPasswords(f)
		_ = f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", o.passwords, err)
		}
		fallback := o.cfg.Password
		fc.Password = func(id string) (string, error) {
			if p, ok := pw[id]; ok {
				return p, nil
			}
			if fallback != "" {
				return fallback, nil
			}
			return "", fmt.Errorf("not in %s and no --password", o.passwords)
		}
	}
	fleet, err := refdevice.NewFleet(fc)
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	log.Info("starting", "count", o.count, "server", o.cfg.ServerAddr, "transport", o.cfg.Transport,
		"first_device", o.cfg.DeviceID, "channels", o.cfg.Channels, "version", o.cfg.Version, "charset", o.cfg.Charset)
	started := time.Now()
	startErr := fleet.Start(ctx)
	s := fleet.Stats()
	log.Info("started", "registered", s.Registered, "failed", s.Failed, "took", time.Since(started).String())
	for _, err := range fleet.Errors() {
		log.Warn("device failed to start", "error", err)
	}
	if s.Started == 0 {
		_ = fleet.Stop(false)
		if startErr == nil {
			startErr = errors.New("no device started")
		}
		return startErr
	}

	var wg sync.WaitGroup
	if o.alarmEvery > 0 {
		for _, d := range fleet.Devices() {
			wg.Add(1)
			go func() {
				defer wg.Done()
				alarmLoop(ctx, d, o.alarmEvery, log)
			}()
		}
	}
	if o.statsEvery > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(o.statsEvery)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					s := fleet.Stats()
					log.Info("fleet", "devices", s.Devices, "started", s.Started, "failed", s.Failed, "registered", s.Registered)
				}
			}
		}()
	}

	<-ctx.Done()
	log.Info("stopping: unregistering")
	wg.Wait()
	if err := fleet.Stop(true); err != nil {
		log.Warn("unregister failed", "error", err)
	}
	log.Info("stopped")
	return nil
}

// alarmLoop raises a video (motion detection) alarm on the device's first
// channel every interval while the device is registered.
func alarmLoop(ctx context.Context, d *refdevice.Device, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	ch := d.ChannelIDs()[0]
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if !d.Registered() {
				continue
			}
			if err := d.RaiseAlarm(1, 5, 2, "移动侦测", ch); err != nil {
				log.Warn("alarm failed", "device", d.ID(), "error", err)
			}
		}
	}
}

func sipDefaultLevel(level slog.Level) slog.Level {
	if level <= slog.LevelDebug {
		return level
	}
	return slog.LevelError
}
