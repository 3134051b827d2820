// Package conf holds vionet's one configuration struct and loads it from, in increasing
// precedence: built-in defaults, an optional YAML file (--config / VIONET_CONFIG), VIONET_*
// environment variables, and command-line flags.
//
// Every setting has the same name in all three places: the flag --api-addr is the YAML key
// api-addr and the environment variable VIONET_API_ADDR.
package conf

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/vionet/vionet/internal/domain"
)

// Config is every setting of `vionet serve` and of the operator subcommands.
type Config struct {
	Config  string `conf:"config" help:"YAML file with any of these settings (keys as the flag names)"`
	DataDir string `conf:"data-dir" help:"directory for the embedded SQLite database and local files"`
	DB      string `conf:"db" help:"database: empty for SQLite under data-dir, or a postgres:// URL"`

	APIAddr      string `conf:"api-addr" help:"listen address of the northbound REST API"`
	PublicHost   string `conf:"public-host" help:"host (IP or name) written into URLs and access info for urlNetworkType 2 (public)"`
	IntranetHost string `conf:"intranet-host" help:"host written into URLs and access info for urlNetworkType 1 (intranet)"`
	PublicHostV6 string `conf:"public-host-v6" help:"public IPv6 address reported in access-node info (optional)"`
	IntranetV6   string `conf:"intranet-host-v6" help:"intranet IPv6 address reported in access-node info (optional)"`

	SIPID     string `conf:"sip-id" help:"GB/T 28181 SIP server ID (20 digits)"`
	SIPDomain string `conf:"sip-domain" help:"GB/T 28181 SIP domain (10 digits); also the prefix of device codes vionet issues"`
	SIPAddr   string `conf:"sip-addr" help:"SIP listen address (UDP and TCP)"`

	SIPKeepaliveInterval time.Duration `conf:"sip-keepalive-interval" help:"keepalive period expected from GB/T 28181 devices"`
	SIPKeepaliveMisses   int           `conf:"sip-keepalive-misses" help:"missed keepalives after which a device is offline"`
	SIPRequestTimeout    time.Duration `conf:"sip-request-timeout" help:"how long a query to a device waits for its answer"`

	PlatformID     string   `conf:"platform-id" help:"ID of this access platform (4.4.1.1 platformId, 4.4.5.1)"`
	PlatformName   string   `conf:"platform-name" help:"name of this access platform"`
	PlatformVendor string   `conf:"platform-vendor" help:"vendor of this access platform"`
	AreaCodes      []string `conf:"area-codes" help:"comma-separated area-code prefixes this platform serves (4.4.5.1); empty = all"`

	RateLimit       float64       `conf:"rate-limit" help:"API requests per second allowed per appid (token bucket refill)"`
	RateBurst       int           `conf:"rate-burst" help:"API token bucket size per appid"`
	TimestampWindow time.Duration `conf:"timestamp-window" help:"how far a request timestamp may be from server time"`
	MaxBodyBytes    int64         `conf:"max-body-bytes" help:"largest accepted request body"`
	TenantCacheTTL  time.Duration `conf:"tenant-cache-ttl" help:"how long the API caches a tenant's keys (tenant CLI changes take effect within it)"`

	PushWorkers      int           `conf:"push-workers" help:"concurrent push deliveries"`
	PushTimeout      time.Duration `conf:"push-timeout" help:"timeout of one push attempt"`
	PushRetryInitial time.Duration `conf:"push-retry-initial" help:"first push retry delay (doubles per attempt)"`
	PushRetryMax     time.Duration `conf:"push-retry-max" help:"longest delay between push retries"`
	PushRetryFor     time.Duration `conf:"push-retry-for" help:"how long a push is retried before it is dead-lettered"`
	PushPoll         time.Duration `conf:"push-poll" help:"how often the push queue is polled when idle"`

	MediaKey         string        `conf:"media-key" help:"secret (16+ bytes) signing the token in every media URL; empty: generated once and kept in data-dir/media.key"`
	RTSPAddr         string        `conf:"rtsp-addr" help:"RTSP server listen address (TCP); empty turns RTSP off"`
	RTSPUDPRTPAddr   string        `conf:"rtsp-udp-rtp-addr" help:"RTSP server UDP address for RTP (RTCP on rtsp-udp-rtcp-addr); empty: RTSP over UDP off"`
	RTSPUDPRTCPAddr  string        `conf:"rtsp-udp-rtcp-addr" help:"RTSP server UDP address for RTCP"`
	RTMPAddr         string        `conf:"rtmp-addr" help:"RTMP server listen address (play and publish); empty turns RTMP off"`
	MediaHTTPAddr    string        `conf:"media-http-addr" help:"listen address of HTTP-FLV, HLS and file (picture) downloads"`
	RTPIP            string        `conf:"rtp-ip" help:"IP address devices send their streams to (SDP c=); empty: intranet-host"`
	RTPListenIP      string        `conf:"rtp-listen-ip" help:"IP address the RTP receiver binds; empty: all"`
	RTPPorts         string        `conf:"rtp-ports" help:"RTP receive ports: a range LOW-HIGH (one port per stream) or one port shared by all streams, told apart by SSRC (0: an ephemeral shared port)"`
	MediaTransport   string        `conf:"media-transport" help:"how devices are asked to send streams: udp, tcp-passive (device connects to vionet) or tcp-active (vionet connects to the device)"`
	StrictSSRC       bool          `conf:"strict-ssrc" help:"drop RTP whose SSRC is not the one offered (default: accept and count it, as many cameras ignore the offer)"`
	LiveStartTimeout time.Duration `conf:"live-start-timeout" help:"how long a live view waits from INVITE to the first keyframe"`
	LiveIdleTimeout  time.Duration `conf:"live-idle-timeout" help:"how long a stream without viewers is kept before the device gets a BYE"`
	MediaPull        []string      `conf:"media-pull" help:"streams pulled on demand from RTSP sources, as PATH=rtsp://… entries (comma-separated); viewers open PATH with an operator token (vionet media url)"`
	RecordSegment    time.Duration `conf:"record-segment" help:"length of a cloud recording segment file (cut at the next keyframe)"`
	RetentionDay     time.Duration `conf:"retention-day" help:"length of one day of a plan's retention (10002010001); only tests shorten it"`
	ArchiveAfter     time.Duration `conf:"archive-after" help:"recordings older than this move to the archive tier and need 4.5.1.7 before playback (0: never)"`
	ThawDelay        time.Duration `conf:"thaw-delay" help:"how long unfreezing archived recordings takes before the msgType 6 push"`
	FFmpeg           string        `conf:"ffmpeg" help:"ffmpeg binary used to make thumbnails and snapshots"`

	S3Endpoint  string `conf:"s3-endpoint" help:"S3-compatible server (host:port, or an http:// or https:// URL) for pictures, recordings, downloads and clips; empty: local disk under data-dir/files"`
	S3Bucket    string `conf:"s3-bucket" help:"S3 bucket (created if missing)"`
	S3AccessKey string `conf:"s3-access-key" help:"S3 access key"`
	S3SecretKey string `conf:"s3-secret-key" help:"S3 secret key"`
	S3Region    string `conf:"s3-region" help:"S3 region; empty: us-east-1 or what the server reports"`
	S3SSL       bool   `conf:"s3-ssl" help:"talk HTTPS to s3-endpoint"`
	S3Prefix    string `conf:"s3-prefix" help:"prefix of every object name, for installations sharing a bucket"`

	LogLevel        string        `conf:"log-level" help:"debug, info, warn or error"`
	ShutdownTimeout time.Duration `conf:"shutdown-timeout" help:"grace period for in-flight requests on SIGTERM"`
}

// Defaults returns the configuration that works on a laptop with nothing else set.
func Defaults() Config {
	return Config{
		DataDir:      "./data",
		APIAddr:      ":8081",
		PublicHost:   "127.0.0.1",
		IntranetHost: "127.0.0.1",
		SIPID:        "34020000002000000001",
		SIPDomain:    "3402000000",
		SIPAddr:      ":5060",

		SIPKeepaliveInterval: 60 * time.Second,
		SIPKeepaliveMisses:   3,
		SIPRequestTimeout:    10 * time.Second,
		PlatformID:           "1",
		PlatformName:         "vionet",
		PlatformVendor:       "vionet",
		RateLimit:            500,
		RateBurst:            1000,
		TimestampWindow:      15 * time.Minute,
		MaxBodyBytes:         1 << 20,
		TenantCacheTTL:       2 * time.Second,
		PushWorkers:          8,
		PushTimeout:          10 * time.Second,
		PushRetryInitial:     2 * time.Second,
		PushRetryMax:         10 * time.Minute,
		PushRetryFor:         24 * time.Hour,
		PushPoll:             time.Second,
		RTSPAddr:             ":8554",
		RTSPUDPRTPAddr:       ":8000",
		RTSPUDPRTCPAddr:      ":8001",
		RTMPAddr:             ":1935",
		MediaHTTPAddr:        ":8080",
		RTPPorts:             "30000-30499",
		MediaTransport:       "udp",
		LiveStartTimeout:     10 * time.Second,
		LiveIdleTimeout:      30 * time.Second,
		RecordSegment:        time.Minute,
		RetentionDay:         24 * time.Hour,
		ThawDelay:            2 * time.Second,
		FFmpeg:               "ffmpeg",
		S3Bucket:             "vionet",
		LogLevel:             "info",
		ShutdownTimeout:      10 * time.Second,
	}
}

// Validate reports the first setting that cannot work.
func (c *Config) Validate() error {
	var errs []error
	if !isDigits(c.SIPID, 20) {
		errs = append(errs, fmt.Errorf("sip-id %q: must be 20 digits", c.SIPID))
	}
	if !isDigits(c.SIPDomain, 10) {
		errs = append(errs, fmt.Errorf("sip-domain %q: must be 10 digits", c.SIPDomain))
	}
	for _, a := range []struct{ name, v string }{{"api-addr", c.APIAddr}, {"sip-addr", c.SIPAddr}} {
		if _, _, err := net.SplitHostPort(a.v); err != nil {
			errs = append(errs, fmt.Errorf("%s %q: %w", a.name, a.v, err))
		}
	}
	if c.DB != "" && !strings.HasPrefix(c.DB, "postgres://") && !strings.HasPrefix(c.DB, "postgresql://") &&
		!strings.HasPrefix(c.DB, "sqlite:") {
		errs = append(errs, fmt.Errorf("db %q: want postgres://… or sqlite:PATH", c.DB))
	}
	if c.RateLimit <= 0 || c.RateBurst <= 0 {
		errs = append(errs, errors.New("rate-limit and rate-burst must be positive"))
	}
	if _, _, err := c.RTPPortRange(); err != nil {
		errs = append(errs, err)
	}
	if _, ok := domain.ParseStreamTransport(c.MediaTransport); !ok {
		errs = append(errs, fmt.Errorf("media-transport %q: want udp, tcp-passive or tcp-active", c.MediaTransport))
	}
	if c.MediaKey != "" && len(c.MediaKey) < 16 {
		errs = append(errs, errors.New("media-key must be at least 16 bytes"))
	}
	for _, p := range c.MediaPull {
		if path, u, ok := strings.Cut(p, "="); !ok || path == "" || strings.HasPrefix(path, "/") || strings.HasPrefix(path, "live/") ||
			(!strings.HasPrefix(u, "rtsp://") && !strings.HasPrefix(u, "rtsps://")) {
			errs = append(errs, fmt.Errorf("media-pull %q: want PATH=rtsp://… (PATH not under live/)", p))
		}
	}
	if c.MediaHTTPAddr == "" {
		errs = append(errs, errors.New("media-http-addr is required (HLS, HTTP-FLV and pictures are served there)"))
	}
	if c.S3Endpoint != "" && (c.S3Bucket == "" || c.S3AccessKey == "" || c.S3SecretKey == "") {
		errs = append(errs, errors.New("s3-endpoint needs s3-bucket, s3-access-key and s3-secret-key"))
	}
	if c.PushWorkers <= 0 {
		errs = append(errs, errors.New("push-workers must be positive"))
	}
	return errors.Join(errs...)
}

// RTPPortRange parses rtp-ports: LOW-HIGH, or one port (low == high, 0 for ephemeral) shared
// by all streams.
func (c *Config) RTPPortRange() (low, high int, err error) {
	lo, hi, isRange := strings.Cut(c.RTPPorts, "-")
	low, err1 := strconv.Atoi(strings.TrimSpace(lo))
	high, err2 := low, error(nil)
	if isRange {
		high, err2 = strconv.Atoi(strings.TrimSpace(hi))
	}
	if err1 != nil || err2 != nil || low < 0 || high > 65535 || high < low || (isRange && low == 0) {
		return 0, 0, fmt.Errorf("rtp-ports %q: want LOW-HIGH or one port", c.RTPPorts)
	}
	return low, high, nil
}

// SIPPort is the port part of SIPAddr, as reported to devices (4.4.1.1 SIPServerPort).
func (c *Config) SIPPort() string {
	_, port, _ := net.SplitHostPort(c.SIPAddr)
	return port
}

func isDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
